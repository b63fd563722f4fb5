"""Pictures are Piglist's own (SPEC §9): every picture is re-encoded (size capped, a still, no
metadata), kept once, served from /images/<key> for ever; uploads are checked with a clear
error; links are fetched once by the worker, through the hardened fetcher."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift, Picture
from piglist.pictures.encoding import MAX_SIDE, PictureRefused, reencode

from . import factories
from .support.apps import both_backends
from .support.clients import member_client, post_form
from .support.jobs import run_jobs
from .support.pictures import animated_gif_bytes, bomb_png_bytes, jpeg_bytes, opened, picture_bytes, upload
from .support.rows import fresh
from .support.shop import Shop

# --- re-encoding -------------------------------------------------------------------------------


def test_a_photo_loses_its_gps_position_and_every_other_piece_of_metadata():
    original = jpeg_bytes(gps=True)
    assert opened(original).getexif().get_ifd(0x8825)  # the test photo does carry a position
    result = reencode(original)
    image = opened(result.data)
    assert image.format == "WEBP" and result.content_type == "image/webp"
    assert not image.getexif() and "exif" not in image.info and "comment" not in image.info
    assert b"PiglistCam" not in result.data and b"taken at home" not in result.data


@pytest.mark.parametrize(
    "original",
    [
        jpeg_bytes((2400, 1200)),
        picture_bytes("PNG", (1200, 2400)),
        picture_bytes("WEBP", (2048, 2048)),
        picture_bytes("PNG", (3000, 100), mode="RGBA"),
    ],
    ids=["jpeg", "png", "webp", "png-with-transparency"],
)
def test_the_longest_side_is_capped_and_the_shape_kept(original):
    before = opened(original).size
    result = reencode(original)
    after = opened(result.data).size
    assert max(after) == MAX_SIDE
    assert abs((after[0] / after[1]) / (before[0] / before[1]) - 1) < 0.05


def test_small_pictures_keep_their_size_and_transparency():
    result = reencode(picture_bytes("PNG", (40, 30), mode="RGBA"))
    image = opened(result.data)
    assert image.size == (40, 30) and image.mode == "RGBA"


def test_an_animated_gif_becomes_a_still():
    original = animated_gif_bytes(frames=4)
    assert opened(original).n_frames == 4
    image = opened(reencode(original).data)
    assert not getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bomb_png_bytes(), "too many pixels"),
        (bomb_png_bytes(9000, 9000), "too many pixels"),  # below Pillow's own limit, above ours
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "isn't a picture"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "isn't a picture"),
        (b"", "isn't a picture"),
        (jpeg_bytes()[:200], "damaged"),
        (b"\0" * (5 * 1024 * 1024 + 1), "at most 5 MB"),
    ],
    ids=["bomb", "bomb-below-pillow-limit", "pdf", "svg", "empty", "truncated-jpeg", "over-5-mb"],
)
def test_what_is_not_a_usable_picture_is_refused_plainly(data, reason):
    with pytest.raises(PictureRefused) as refused:
        reencode(data)
    assert reason in refused.value.reason


# --- uploads -----------------------------------------------------------------------------------


@both_backends
def test_an_uploaded_picture_is_served_by_piglist_for_ever(app, api, family):
    response = upload(
        api,
        family.owner,
        f"/groups/{family.group.id}/gifts",
        picture=jpeg_bytes((1600, 1200), gps=True),
        title="Kite",
        price="12.50",
        quantity="2",
        options='{"colour": "red"}',
    )
    assert response.status_code == 201, response.get_json()
    gift = response.get_json()
    assert gift["image_url"].startswith("/images/") and gift["quantity"] == 2
    assert gift["options"] == {"colour": "red"}
    served = member_client(app, family.giver).get(gift["image_url"])
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert served.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert opened(served.get_data()).size == (1024, 768)
    assert b"PiglistCam" not in served.get_data()


def test_the_same_picture_is_stored_once(api, family):
    path = f"/groups/{family.group.id}/gifts"
    first = upload(api, family.owner, path, picture=jpeg_bytes(), title="A").get_json()
    second = upload(api, family.owner, path, picture=jpeg_bytes(), title="B").get_json()
    assert first["image_url"] == second["image_url"]
    assert db.session.scalar(select(func.count()).select_from(Picture)) == 1


def test_a_picture_can_be_uploaded_when_patching_and_a_gift_sent_back_keeps_its_picture(api, family):
    gift = factories.make_gift(family.owner, family.group)
    changed = upload(api, family.owner, f"/gifts/{gift.id}", method="patch", picture=picture_bytes("PNG"))
    assert changed.status_code == 200
    picture = changed.get_json()["image_url"]
    again = api(family.owner).patch(f"/gifts/{gift.id}", json=changed.get_json())
    assert again.status_code == 200 and again.get_json()["image_url"] == picture
    removed = api(family.owner).patch(f"/gifts/{gift.id}", json={"image_url": None})
    assert removed.get_json()["image_url"] is None


@pytest.mark.parametrize(
    ("picture", "filename", "message"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "photo.jpg", "isn't a picture"),
        (b"just some words", "notes.png", "isn't a picture"),
        (bomb_png_bytes(), "bomb.png", "too many pixels"),
        (b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024), "big.jpg", "at most 5 MB"),
    ],
    ids=["pdf-renamed-jpg", "text", "decompression-bomb", "20-mb-photo"],
)
def test_a_bad_upload_gets_a_clear_error_and_changes_nothing(api, family, picture, filename, message):
    response = upload(
        api,
        family.owner,
        f"/groups/{family.group.id}/gifts",
        picture=picture,
        filename=filename,
        title="Kite",
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed" and error["field"] == "image" and message in error["message"]
    assert db.session.scalar(select(func.count()).select_from(Gift)) == 0
    assert db.session.scalar(select(func.count()).select_from(Picture)) == 0


def test_an_upload_beyond_any_reason_is_payload_too_large(api, family):
    response = upload(
        api, family.owner, f"/groups/{family.group.id}/gifts", picture=b"\0" * (26 * 1024 * 1024), title="K"
    )
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "payload_too_large"


def test_other_requests_keep_the_small_body_limit(api, family):
    response = api(family.owner).call(
        "POST",
        f"/groups/{family.group.id}/gifts",
        data=b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_a_made_up_picture_address_is_refused(api, family):
    response = api(family.owner).post(
        f"/groups/{family.group.id}/gifts", json={"title": "Kite", "image_url": "/images/" + "a" * 64}
    )
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "image_url"


def test_the_form_uploads_a_picture_and_explains_a_bad_one(app, family):
    gid = family.group.id
    tom = member_client(app, family.owner)
    bad = post_form(
        tom,
        f"/groups/{gid}/gifts/add",
        {"title": "Kite", "image": (io.BytesIO(b"%PDF-1.4 not a photo"), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422 and "isn&#39;t a picture we can use" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Gift)) == 0
    good = post_form(
        tom,
        f"/groups/{gid}/gifts/add",
        {"title": "Kite", "image": (io.BytesIO(picture_bytes("GIF")), "kite.gif")},
        content_type="multipart/form-data",
    )
    assert good.status_code == 303
    gift = db.session.scalar(select(Gift))
    page = tom.get(f"/groups/{gid}/my-piglist").get_data(as_text=True)
    assert f'<img src="{gift.image_url}"' in page


def test_the_picture_store_can_be_a_directory(app, api, family, tmp_path):
    app.config["IMAGE_STORE"] = str(tmp_path / "pictures")
    gift = upload(api, family.owner, f"/groups/{family.group.id}/gifts", picture=jpeg_bytes(), title="K")
    url = gift.get_json()["image_url"]
    key = url.rsplit("/", 1)[1]
    assert (tmp_path / "pictures" / key).is_file()
    assert db.session.get(Picture, key).data is None
    assert member_client(app, family.owner).get(url).status_code == 200


@pytest.mark.parametrize("key", ["a" * 64, "../../etc/passwd", "A" * 64, "abc"])
def test_unknown_pictures_are_not_found(client, key):
    assert client.get(f"/images/{key}").status_code == 404


def test_pages_allow_pictures_from_piglist_only(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in csp + ";" and "https:" not in csp and "http:" not in csp


# --- links fetched by the worker ---------------------------------------------------------------


@both_backends
def test_a_pasted_picture_link_is_fetched_once_and_served_by_piglist(app, api, family, shop):
    link = shop.page("/kite.png", (200, "image/png", picture_bytes("PNG", (2000, 1000))))
    created = api(family.owner).post(
        f"/groups/{family.group.id}/gifts", json={"title": "Kite", "image_url": link}
    )
    assert created.status_code == 201 and created.get_json()["image_url"] is None
    run_jobs(app)
    gift = fresh(created.get_json()["id"])
    assert gift.image_url.startswith("/images/") and gift.image_source is None
    assert shop.hits["/kite.png"] == 1
    seen = api(family.giver).get(f"/gifts/{gift.id}").get_json()
    assert seen["image_url"] == gift.image_url  # the others never get the shop's address


def test_a_picture_link_to_a_private_address_is_never_fetched(app, api, family):
    shop = Shop()  # on loopback, and not allowed this time
    try:
        link = shop.page("/p.png", (200, "image/png", picture_bytes("PNG")))
        created = api(family.owner).post(
            f"/groups/{family.group.id}/gifts", json={"title": "Kite", "image_url": link}
        )
        run_jobs(app)
        gift = fresh(created.get_json()["id"])
        assert gift.image_url is None and gift.image_source == link
        assert shop.hits["/p.png"] == 0
        assert api(family.giver).get(f"/gifts/{gift.id}").get_json()["image_url"] is None
    finally:
        shop.close()


@pytest.mark.parametrize(
    "answer",
    [
        (200, "text/html", "<html>not a picture</html>"),
        (200, "image/png", b"%PDF-1.4 pretending"),
        (200, "image/png", bomb_png_bytes()),
        (404, "text/html", "gone"),
    ],
    ids=["html", "pdf-as-png", "bomb", "404"],
)
def test_a_link_that_is_no_usable_picture_leaves_the_gift_without_one(app, api, family, shop, answer):
    link = shop.page("/p.png", answer)
    created = api(family.owner).post(
        f"/groups/{family.group.id}/gifts", json={"title": "K", "image_url": link}
    )
    run_jobs(app)
    gift = fresh(created.get_json()["id"])
    assert gift.image_url is None and gift.image_source == link
    assert db.session.scalar(select(func.count()).select_from(Picture)) == 0


def test_rescrape_images_fetches_the_pictures_still_held_as_links(app, api, family, shop, runner):
    link = shop.page("/old.jpg", (200, "image/jpeg", jpeg_bytes()))
    old = factories.make_gift(family.owner, family.group, image_source=link)
    done = factories.make_gift(family.owner, family.group)
    result = runner.invoke(args=["piglist", "rescrape", "--images"])
    assert result.exit_code == 0 and "Queued 1 picture fetch." in result.output
    run_jobs(app)
    assert fresh(old.id).image_url.startswith("/images/") and fresh(done.id).image_url is None
    mixed = runner.invoke(args=["piglist", "rescrape", "--images", "--failed"])
    assert mixed.exit_code != 0 and "--images goes alone" in mixed.output
