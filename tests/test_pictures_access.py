"""Issue 22, finding 13: ``/images/<key>`` is served only to members of a group where a gift shows
the picture. Anyone else (logged out, another group's member, someone removed) gets the very
answer a key never stored gets, so holding a picture tells nobody whether Piglist keeps it; and
a key can't be used to borrow another group's picture onto a gift."""

from __future__ import annotations

import pytest

from piglist.pictures.encoding import reencode

from . import factories
from .support.clients import member_client
from .support.pages import normalised
from .support.pictures import jpeg_bytes, upload

PHOTO = jpeg_bytes((300, 200))
NEVER_STORED = "/images/" + "ab" * 32


@pytest.fixture
def picture(api, family) -> str:
    response = upload(api, family.owner, f"/groups/{family.group.id}/gifts", picture=PHOTO, title="Kite")
    assert response.status_code == 201
    return response.get_json()["image_url"]


def answer(client, path: str) -> tuple[int, str, str]:
    """Status, type and body, the per-response CSRF token and CSP nonce blanked."""
    return normalised(client.get(path))


def test_the_key_is_the_hash_of_the_picture_so_only_membership_guards_it(picture):
    assert picture == "/images/" + reencode(PHOTO).key  # computable by whoever holds the photo


@pytest.mark.parametrize("who", ["owner", "giver", "admin"])
def test_members_of_the_group_get_the_picture(app, family, picture, who):
    response = member_client(app, getattr(family, who)).get(picture)
    assert response.status_code == 200 and response.mimetype == "image/webp"
    assert response.headers["Cache-Control"] == "private, max-age=31536000, immutable"


def test_an_api_client_gets_it_with_its_token(family, picture, client):
    token = factories.token_for(family.giver)
    assert client.get(picture, headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_nobody_else_can_tell_a_stored_picture_from_a_made_up_key(app, family, picture, client):
    outsider = member_client(app, factories.make_user(display_name="Eve"))
    for someone in (client, outsider):
        assert answer(someone, picture) == answer(someone, NEVER_STORED)
        assert answer(someone, picture)[0] == 404
    bad_token = client.get(picture, headers={"Authorization": "Bearer pgl_not-a-token"})
    assert bad_token.status_code == 404


def test_a_removed_member_loses_the_picture(app, api, family, picture):
    gran = member_client(app, family.other)
    assert gran.get(picture).status_code == 200
    assert api(family.admin).delete(f"/groups/{family.group.id}/members/{family.other.id}").status_code == 204
    assert answer(gran, picture) == answer(gran, NEVER_STORED)


def test_another_groups_member_cant_borrow_the_picture_by_its_key(app, api, family, picture):
    eve = factories.make_user(display_name="Eve")
    elsewhere = factories.make_group(eve, name="Eve's")
    path = f"/groups/{elsewhere.id}/gifts"
    borrowed = api(eve).post(path, json={"title": "Kite", "image_url": picture})
    made_up = api(eve).post(path, json={"title": "Kite", "image_url": NEVER_STORED})
    assert (borrowed.status_code, borrowed.get_data()) == (made_up.status_code, made_up.get_data())
    assert borrowed.status_code == 422
    assert member_client(app, eve).get(picture).status_code == 404


def test_the_same_picture_in_two_groups_is_served_to_the_members_of_either(app, api, family, picture):
    eve = factories.make_user(display_name="Eve")
    elsewhere = factories.make_group(eve, name="Eve's")
    again = upload(api, eve, f"/groups/{elsewhere.id}/gifts", picture=PHOTO, title="Same kite")
    assert again.get_json()["image_url"] == picture  # stored once
    assert member_client(app, eve).get(picture).status_code == 200
    assert member_client(app, family.giver).get(picture).status_code == 200
    # A member may reuse a picture they can see, on a list of theirs.
    reused = api(family.giver).post(
        f"/groups/{family.group.id}/gifts", json={"title": "K", "image_url": picture}
    )
    assert reused.status_code == 201 and reused.get_json()["image_url"] == picture
