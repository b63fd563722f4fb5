"""The all-lists page as a phone needs it (issue 27): an index of whose lists there are, each list in
a lazy frame of its own (plain links without JavaScript), the reader's own list last; the frames
served from the lists' cache; answers compressed when the browser accepts it."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from . import factories
from .support.apps import both_backends
from .support.clients import all_lists, member_client, post_form
from .support.pages import normalised
from .support.queries import counting_queries, gift_queries

INDEX = re.compile(r'<nav class="list-index".*?</nav>', re.S)
FRAME = re.compile(r'<turbo-frame id="piglist_(\d+)" class="list-frame" loading="lazy" src="([^"]+)"')


@pytest.fixture
def wishes(family):
    factories.make_gift(family.owner, family.group, title="Kite", price="40")
    factories.make_gift(family.giver, family.group, title="Drill", price="80")
    factories.make_gift(family.other, family.group, title="Teapot", price="20")
    factories.make_gift(family.admin, family.group, title="Scarf", price="15")


@both_backends
def test_the_page_is_an_index_and_a_lazy_frame_per_list_own_last(app, family, wishes):
    gid = family.group.id
    dad = member_client(app, family.giver)
    page = dad.get(f"/groups/{gid}/piglists").get_data(as_text=True)

    index = INDEX.search(page).group(0)
    links = re.findall(r'<a href="([^"]+)" data-list-frame="piglist_(\d+)">([^<]+)</a>', index)
    # Everyone else by name, then one's own: plain links to each list's own page.
    assert [name for _, _, name in links] == ["Gran", "Mum", "Tom", "Your piglist"]
    assert links[-1][0] == f"/groups/{gid}/my-piglist"
    assert links[0][0] == f"/groups/{gid}/piglists/{family.other.id}"

    frames = FRAME.findall(page)
    assert [int(uid) for uid, _ in frames] == [int(uid) for _, uid, _ in links]
    assert frames[0][1] == f"/groups/{gid}/piglists/{family.other.id}/frame"
    # The page itself carries no gift: each frame brings its list when it comes into view.
    assert not any(title in page for title in ("Kite", "Drill", "Teapot", "Scarf"))
    assert 'id="gift_' not in page

    shown = all_lists(dad, f"/groups/{gid}/piglists")
    assert all(title in shown for title in ("Kite", "Drill", "Teapot", "Scarf"))
    assert shown.index("Teapot") < shown.index("Scarf") < shown.index("Kite") < shown.index("Drill")


def test_filters_pass_to_every_frame_and_its_buttons_come_back_to_the_page(app, family, wishes):
    gid = family.group.id
    dad = member_client(app, family.giver)
    page = dad.get(f"/groups/{gid}/piglists?sort=price").get_data(as_text=True)
    frames = FRAME.findall(page)
    assert frames and all(src.endswith("/frame?sort=price") for _, src in frames)

    frame = dad.get(f"/groups/{gid}/piglists/{family.owner.id}/frame?sort=price").get_data(as_text=True)
    assert frame.lstrip().startswith(f'<turbo-frame id="piglist_{family.owner.id}"')
    assert "Kite" in frame and "Drill" not in frame
    # A purchase made in the frame comes back to the page it is part of, with its filters.
    assert f"/groups/{gid}/piglists?sort=price" in frame.replace("%3F", "?").replace("%3D", "=")

    one = dad.get(f"/groups/{gid}/piglists?member={family.other.id}").get_data(as_text=True)
    assert [int(uid) for uid, _ in FRAME.findall(one)] == [family.other.id]


@both_backends
def test_a_frame_is_served_from_the_lists_cache_as_the_page_stores_it(app, family, wishes):
    gid = family.group.id
    dad = member_client(app, family.giver)
    path = f"/groups/{gid}/piglists/{family.owner.id}/frame"
    with counting_queries() as first:
        made = normalised(dad.get(path))
    with counting_queries() as second:
        served = normalised(dad.get(path))
    assert gift_queries(first) >= 1 and gift_queries(second) == 0
    assert served == made

    # A purchase is seen at once by the others' frames.
    kite = factories.make_gift(family.owner, family.group, title="Train", price="30")
    assert "Train" in dad.get(path).get_data(as_text=True)
    gran = member_client(app, family.other)
    post_form(gran, f"/groups/{gid}/gifts/{kite.id}/purchase")
    assert normalised(dad.get(path)) != served


def test_frames_of_people_outside_the_group_or_for_outsiders_are_not_found(app, family, wishes):
    gid = family.group.id
    stranger = factories.make_user(display_name="Eve")
    other_group = factories.make_group(stranger, name="Elsewhere")
    dad = member_client(app, family.giver)
    assert dad.get(f"/groups/{gid}/piglists/{stranger.id}/frame").status_code == 404
    assert dad.get(f"/groups/{other_group.id}/piglists/{stranger.id}/frame").status_code in (403, 404)
    assert dad.get(f"/groups/{gid}/piglists/999999/frame").status_code == 404
    eve = member_client(app, stranger)
    answer = eve.get(f"/groups/{gid}/piglists/{family.owner.id}/frame")
    assert answer.status_code in (403, 404)
    assert "Kite" not in answer.get_data(as_text=True)
    logged_out = app.test_client().get(f"/groups/{gid}/piglists/{family.owner.id}/frame")
    assert logged_out.status_code == 302 and "/login" in logged_out.headers["Location"]


@pytest.mark.parametrize("query", ["sort=sideways", "category=abc", "priority=%00", "member=-1"])
def test_hostile_filters_answer_the_frame_as_they_answer_the_page(app, family, wishes, query):
    gid = family.group.id
    dad = member_client(app, family.giver)
    page = dad.get(f"/groups/{gid}/piglists?{query}")
    frame = dad.get(f"/groups/{gid}/piglists/{family.owner.id}/frame?{query}")
    assert page.status_code < 500 and frame.status_code < 500
    assert (page.status_code == 200) == (frame.status_code == 200)


@pytest.mark.parametrize(("encoding", "decompress"), [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_pages_and_frames_are_compressed_to_the_same_bytes(app, family, wishes, encoding, decompress):
    gid = family.group.id
    dad = member_client(app, family.giver)
    for path in (f"/groups/{gid}/piglists", f"/groups/{gid}/piglists/{family.owner.id}/frame"):
        plain = dad.get(path)
        packed = dad.get(path, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert int(packed.headers["Content-Length"]) < len(plain.get_data()) / 2
        unpacked = packed.get_data()
        packed.set_data(decompress(unpacked))
        assert normalised(packed)[2] == normalised(plain)[2]


def test_a_page_asked_for_from_another_site_is_not_compressed(app, family, wishes):
    """BREACH (piglist.web.assets.Compression): a page holding the CSRF token and echoing the
    request (the log-in page's next) is never compressed for a cross-site request, so its length
    tells an attacker's page nothing about the token."""
    dad = member_client(app, family.giver)
    visitor = app.test_client()
    for client, path in (
        (visitor, "/login?next=/groups/1/piglists%3Fcsrf_token%3DIj"),
        (dad, f"/groups/{family.group.id}/piglists"),
    ):
        same = client.get(path, headers={"Accept-Encoding": "br, gzip", "Sec-Fetch-Site": "same-origin"})
        cross = client.get(path, headers={"Accept-Encoding": "br, gzip", "Sec-Fetch-Site": "cross-site"})
        assert same.status_code == cross.status_code == 200, path
        assert cross.headers.get("Content-Encoding") is None, path
        assert "csrf-token" in cross.get_data(as_text=True), path  # the secret is there, uncompressed
        assert {"Sec-Fetch-Site", "Accept-Encoding"} <= {v.strip() for v in cross.headers["Vary"].split(",")}
        if int(same.headers.get("Content-Length", 0)) >= 500 or same.headers.get("Content-Encoding"):
            assert same.headers["Content-Encoding"] == "br", path
        assert "Sec-Fetch-Site" in same.headers["Vary"]


def test_json_is_compressed_and_pictures_and_small_answers_are_not(app, family, wishes):
    answer = app.test_client().get(
        f"/api/v1/groups/{family.group.id}/piglists",
        headers={"Accept-Encoding": "gzip", "Authorization": f"Bearer {factories.token_for(family.giver)}"},
    )
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert b"Kite" in gzip.decompress(answer.get_data())
    small = app.test_client().get("/health", headers={"Accept-Encoding": "br"})
    assert "Content-Encoding" not in small.headers
    icon = app.test_client().get("/static/img/icon-512.png", headers={"Accept-Encoding": "br, gzip"})
    assert icon.status_code == 200 and "Content-Encoding" not in icon.headers


def test_static_files_keep_their_conditional_answers_and_precompressed_copies(client):
    first = client.get("/static/css/app.css", headers={"Accept-Encoding": "br, gzip"})
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(
        "/static/css/app.css", headers={"Accept-Encoding": "br, gzip", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert "Accept-Encoding" in first.headers.get("Vary", "") or "Content-Encoding" not in first.headers
    assert first.headers["X-Content-Type-Options"] == "nosniff"
