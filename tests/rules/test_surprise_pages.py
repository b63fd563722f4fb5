"""The surprise rule on the website, tested as the owner: every page they can open is the same,
byte for byte (apart from the CSRF token, the CSP nonce and the forms' one-time key), before and after someone else buys
their gift, undoes it, looks at it, or buys it before the owner deletes it."""

from __future__ import annotations

import re

import pytest

from piglist.extensions import db

from .. import factories
from ..support.apps import both_backends
from ..support.clients import member_client, post_form
from ..support.owner_view import owner_pages
from ..support.pages import CURSOR, normalised, snapshot

FLASHES = re.compile(r'<div class="flashes".*?</div>', re.S)


@both_backends
@pytest.mark.parametrize(
    "actions",
    [
        ["buy"],
        ["buy", "undo"],
        ["view"],
        ["view", "buy", "view_again"],
        ["buy", "another_tries"],
    ],
)
def test_owner_pages_are_identical_byte_for_byte(app, family, world, actions):
    gift, category = world
    gid = family.group.id
    owner = member_client(app, family.owner)
    dad, gran = member_client(app, family.giver), member_client(app, family.other)
    paths = owner_pages(app, family, gift, category)
    before = snapshot(owner, paths)
    assert all(status == 200 for status, _, _ in before.values()), before

    for action in actions:
        if action == "buy":
            assert post_form(dad, f"/groups/{gid}/gifts/{gift.id}/purchase").status_code == 303
        elif action == "undo":
            assert post_form(dad, f"/groups/{gid}/gifts/{gift.id}/unpurchase").status_code == 303
        elif action in ("view", "view_again"):
            for tab, client in (("tab-1", dad), ("tab-2", gran)):
                viewing = f"/groups/{gid}/gifts/{gift.id}/viewing"
                assert post_form(client, viewing, {"connection": tab}).status_code == 204
        elif action == "another_tries":
            headers = {"Turbo-Frame": f"gift_{gift.id}"}
            assert (
                post_form(gran, f"/groups/{gid}/gifts/{gift.id}/purchase", headers=headers).status_code == 409
            )

    after = snapshot(owner, paths)
    for path in paths:
        assert after[path] == before[path], path


@pytest.mark.parametrize(
    "steps",
    [
        [("dad", "2")],
        [("dad", "1"), ("gran", "1")],
        [("dad", "2"), ("gran", "1"), ("dad", "undo")],
        [("dad", "2"), ("gran", "2")],  # more than remain: refused
    ],
)
def test_owner_pages_are_identical_byte_for_byte_with_partial_purchases(app, family, world, steps):
    gift, category = world
    gift.quantity, gift.priority, gift.description = 3, "high", "The red one, please."
    db.session.commit()
    gid = family.group.id
    owner = member_client(app, family.owner)
    buyers = {"dad": member_client(app, family.giver), "gran": member_client(app, family.other)}
    paths = owner_pages(app, family, gift, category)
    before = snapshot(owner, paths)
    assert "3 wanted" in before[f"/groups/{gid}/gifts/{gift.id}/tile"][2]
    for who, what in steps:
        action = "unpurchase" if what == "undo" else "purchase"
        post_form(buyers[who], f"/groups/{gid}/gifts/{gift.id}/{action}", {"quantity": what})
    after = snapshot(owner, paths)
    for path in paths:
        assert after[path] == before[path], path


def test_owner_pages_are_identical_while_a_gift_is_viewed_from_a_tile_refresh(app, family, world):
    """The other members' pages do change (that is the point); the owner's don't."""
    gift, category = world
    gid = family.group.id
    owner, gran = member_client(app, family.owner), member_client(app, family.other)
    paths = owner_pages(app, family, gift, category)
    before = snapshot(owner, paths)
    grans_tile = gran.get(f"/groups/{gid}/gifts/{gift.id}/tile").get_data(as_text=True)
    viewing = f"/groups/{gid}/gifts/{gift.id}/viewing"
    assert post_form(member_client(app, family.giver), viewing, {"connection": "tab-1"}).status_code == 204
    assert gran.get(f"/groups/{gid}/gifts/{gift.id}/tile").get_data(as_text=True) != grans_tile
    assert snapshot(owner, paths) == before


@both_backends
def test_deleting_a_bought_gift_looks_to_the_owner_like_deleting_any_gift(app, family, world):
    """Afterwards the owner's pages are exactly as if the gift had never been there."""
    kept, category = world
    gid = family.group.id
    owner, dad = member_client(app, family.owner), member_client(app, family.giver)
    paths = owner_pages(app, family, kept, category)
    before = snapshot(owner, paths)

    bought = factories.make_gift(
        family.owner, family.group, title="Train", price="30", url="https://shop.example/t1"
    )
    plain = factories.make_gift(
        family.owner, family.group, title="Train", price="30", url="https://shop.example/t2"
    )
    assert post_form(dad, f"/groups/{gid}/gifts/{bought.id}/purchase").status_code == 303

    answers = []
    for gift in (bought, plain):
        response = post_form(owner, f"/groups/{gid}/gifts/{gift.id}/delete")
        flashed = FLASHES.search(owner.get(response.headers["Location"]).get_data(as_text=True)).group(0)
        gone = owner.get(f"/groups/{gid}/gifts/{gift.id}")
        answers.append((response.status_code, response.headers["Location"], flashed, normalised(gone)))
    assert answers[0] == answers[1]
    assert "“Train” is removed from your piglist." in answers[0][2]
    assert answers[0][3][0] == 404

    def without_cursor(pages):
        return {
            path: (status, kind, CURSOR.sub(r"\1…", body)) for path, (status, kind, body) in pages.items()
        }

    assert without_cursor(snapshot(owner, paths)) == without_cursor(before)
    # Dad undoing his purchase of the removed gift changes nothing for Tom, not even the cursor.
    after_deleting = snapshot(owner, paths)
    assert post_form(dad, f"/groups/{gid}/gifts/{bought.id}/unpurchase").status_code == 303
    assert snapshot(owner, paths) == after_deleting


def test_owner_answers_to_buying_their_own_gift_do_not_depend_on_a_purchase(app, family, world):
    gift, _ = world
    gid = family.group.id
    owner, dad = member_client(app, family.owner), member_client(app, family.giver)

    def tries():
        answers = []
        for action in ("purchase", "unpurchase"):
            for headers in ({}, {"Turbo-Frame": f"gift_{gift.id}"}):
                response = post_form(owner, f"/groups/{gid}/gifts/{gift.id}/{action}", headers=headers)
                landing = owner.get(response.headers["Location"]) if response.status_code == 303 else response
                answers.append((response.status_code, response.headers.get("Location"), normalised(landing)))
        return answers

    before = tries()
    post_form(dad, f"/groups/{gid}/gifts/{gift.id}/purchase")
    assert tries() == before
