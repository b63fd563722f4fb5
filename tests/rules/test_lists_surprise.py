"""The surprise rule by recipient (SPEC 10.1, 10.2), tested as the recipients themselves: Tom on
his member list, and both partners of a shared list. Everything they can fetch — pages, frames,
API answers, the change feed, stats, export — is byte for byte the same before and after
others add ideas to their list, buy them, look at them, edit and remove them, and buy their
wishes. Mails and socket events are checked at the rule they all go through."""

from __future__ import annotations

import pytest

from piglist.extensions import db
from piglist.live import feed
from piglist.models import Piglist
from piglist.rules.surprise import visible_event

from .. import factories
from ..support.clients import ApiClient, member_client, post_form
from ..support.jobs import run_jobs
from ..support.owner_view import owner_pages
from ..support.pages import normalised, snapshot


def api_paths(family, list_ids, gift_ids):
    gid = family.group.id
    return [
        f"/groups/{gid}/piglists",
        f"/groups/{gid}/piglists/{family.owner.id}",
        f"/groups/{gid}/lists",
        *(f"/lists/{lid}" for lid in list_ids),
        *(f"/gifts/{gift_id}" for gift_id in gift_ids),
        f"/groups/{gid}/stats",
        f"/groups/{gid}/changes",
        "/me/export",
    ]


def api_snapshot(client, paths):
    return {path: (r.status_code, r.get_data(as_text=True)) for path in paths for r in [client.get(path)]}


def member_list(family, user) -> Piglist:
    return db.session.query(Piglist).filter_by(group_id=family.group.id, user_id=user.id).one()


def ideas_come_and_go(api, app, family, list_id, author=None, buyer=None):
    """Dad (or ``author``) adds an idea to the list, Gran (or ``buyer``) buys it and looks at it,
    the author edits and removes it; a second idea stays, bought."""
    author, buyer = author or family.giver, buyer or family.other
    dad, gran = api(author), api(buyer)
    idea = dad.post(
        f"/lists/{list_id}/gifts", json={"title": "Telescope", "price": "90", "url": "https://shop.example/t"}
    )
    assert idea.status_code == 201, idea.get_json()
    idea_id = idea.get_json()["id"]
    assert gran.post(f"/gifts/{idea_id}/purchase").status_code == 200
    viewing = f"/groups/{family.group.id}/gifts/{idea_id}/viewing"
    assert post_form(member_client(app, buyer), viewing, {"connection": "tab-1"}).status_code == 204
    assert dad.patch(f"/gifts/{idea_id}", json={"price": "95"}).status_code == 200
    assert dad.delete(f"/gifts/{idea_id}").status_code == 204
    stays = dad.post(f"/lists/{list_id}/gifts", json={"title": "Compass", "price": "15"}).get_json()
    assert gran.post(f"/gifts/{stays['id']}/purchase").status_code == 200
    return stays["id"]


@pytest.fixture
def toms_world(app, family):
    category = factories.make_category(family.group, name="Books", spending_limit="200")
    gift = factories.make_gift(family.owner, family.group, title="Kite", price="40", category_id=category.id)
    return gift, category


def test_toms_pages_and_api_are_identical_with_or_without_ideas(app, api, family, toms_world, mailbox):
    gift, category = toms_world
    tom_list = member_list(family, family.owner).id
    pages = owner_pages(app, family, gift, category)
    tom_pages = member_client(app, family.owner)
    # The API through Tom's session: a token's "last used" would show on his profile page.
    tom_api = ApiClient(tom_pages, None)
    paths = api_paths(family, [tom_list], [gift.id])
    before_pages, before_api = snapshot(tom_pages, pages), api_snapshot(tom_api, paths)
    assert all(status == 200 for status, _, _ in before_pages.values())
    assert all(status == 200 for status, _ in before_api.values()), before_api

    stays = ideas_come_and_go(api, app, family, tom_list)
    run_jobs(app)

    assert snapshot(tom_pages, pages) == before_pages
    assert api_snapshot(tom_api, paths) == before_api
    # The idea itself is as missing for Tom as a gift that never was.
    assert normalised(tom_pages.get(f"/groups/{family.group.id}/gifts/{stays}")) == normalised(
        tom_pages.get(f"/groups/{family.group.id}/gifts/999999")
    )
    hidden, missing = tom_api.get(f"/gifts/{stays}"), tom_api.get("/gifts/999999")
    assert (hidden.status_code, hidden.get_data()) == (missing.status_code, missing.get_data())
    assert mailbox.to(family.owner.email) == []


def test_a_wish_never_clashes_with_an_idea_its_recipient_cannot_see(api, family):
    tom_list = member_list(family, family.owner).id
    url = "https://shop.example/same"
    assert (
        api(family.giver).post(f"/lists/{tom_list}/gifts", json={"title": "Idea", "url": url}).status_code
        == 201
    )
    assert (
        api(family.owner)
        .post(f"/groups/{family.group.id}/gifts", json={"title": "Mine", "url": url})
        .status_code
        == 201
    )


def test_ideas_are_not_held_to_the_recipients_limits(api, family):
    category = factories.make_category(family.group, name="Toys", spending_limit="50", max_item_price="40")
    tom_list = member_list(family, family.owner).id
    idea = api(family.giver).post(
        f"/lists/{tom_list}/gifts", json={"title": "Bike", "price": "300", "category_id": category.id}
    )
    assert idea.status_code == 201
    wish = api(family.owner).post(
        f"/groups/{family.group.id}/gifts", json={"title": "Ball", "price": "40", "category_id": category.id}
    )
    assert wish.status_code == 201
    totals = api(family.giver).get(f"/lists/{tom_list}").get_json()["totals"]
    assert {t["category_id"]: t["total"] for t in totals}[category.id] == "40.00"


def test_both_partners_of_a_shared_list_see_the_same_with_or_without_ideas_and_purchases(app, api, family):
    shared = (
        api(family.owner)
        .post(f"/groups/{family.group.id}/lists", json={"kind": "shared", "with_user_id": family.giver.id})
        .get_json()
    )
    assert api(family.giver).post(f"/lists/{shared['id']}/accept").status_code == 200
    wish = (
        api(family.owner)
        .post(f"/lists/{shared['id']}/gifts", json={"title": "Sofa", "price": "500"})
        .get_json()
    )
    partners = {who: api(who) for who in (family.owner, family.giver)}
    paths = api_paths(family, [shared["id"]], [wish["id"]])
    before = {who: api_snapshot(client, paths) for who, client in partners.items()}

    gran, mum = api(family.other), api(family.admin)
    idea = gran.post(f"/lists/{shared['id']}/gifts", json={"title": "Lamp", "price": "30"}).get_json()
    assert mum.post(f"/gifts/{idea['id']}/purchase").status_code == 200
    assert mum.post(f"/gifts/{wish['id']}/purchase").status_code == 200
    viewing = f"/groups/{family.group.id}/gifts/{wish['id']}/viewing"
    assert post_form(member_client(app, family.other), viewing, {"connection": "tab-1"}).status_code == 204

    for who, client in partners.items():
        assert api_snapshot(client, paths) == before[who], who.display_name
    # Neither partner may add an idea or buy from their own list.
    assert partners[family.giver].post(f"/gifts/{wish['id']}/purchase").status_code == 403
    # Givers see it all.
    seen = gran.get(f"/gifts/{wish['id']}").get_json()
    assert seen["status"] == "purchased" and [v["id"] for v in seen["viewers"]] == []
    assert mum.get(f"/gifts/{wish['id']}").get_json()["viewers"] == [
        {"id": family.other.id, "display_name": "Gran"}
    ]


def test_no_event_about_an_idea_reaches_any_recipient(app, api, family, monkeypatch):
    """The socket (JSON and Turbo) and the long poll hand out only what visible_event lets
    through: every event about an idea is kept from the list's recipients, and from nobody else."""
    published: list[dict] = []
    real = feed.publish_now
    monkeypatch.setattr(
        feed, "publish_now", lambda gid, payload: (published.append(payload), real(gid, payload))[1]
    )
    shared = (
        api(family.owner)
        .post(f"/groups/{family.group.id}/lists", json={"kind": "shared", "with_user_id": family.giver.id})
        .get_json()
    )
    api(family.giver).post(f"/lists/{shared['id']}/accept")
    ideas_come_and_go(api, app, family, shared["id"], author=family.other, buyer=family.admin)
    assert {p["type"] for p in published} >= {
        "gift_created",
        "gift_purchased",
        "gift_updated",
        "gift_deleted",
        "presence",
    }
    for payload in published:
        assert visible_event(payload, family.owner.id) is None
        assert visible_event(payload, family.giver.id) is None
        assert visible_event(payload, family.other.id) is not None


def test_outsiders_and_recipients_cannot_change_an_idea_but_its_author_and_non_recipient_keepers_can(
    api, family
):
    lily = (
        api(family.admin)
        .post(f"/groups/{family.group.id}/lists", json={"kind": "dependant", "name": "Lily"})
        .get_json()
    )
    idea = api(family.giver).post(f"/lists/{lily['id']}/gifts", json={"title": "Puzzle"}).get_json()
    assert idea["idea"] is True
    assert api(family.other).patch(f"/gifts/{idea['id']}", json={"title": "X"}).status_code == 403
    assert api(family.giver).patch(f"/gifts/{idea['id']}", json={"title": "Jigsaw"}).status_code == 200
    # Mum keeps Lily's list and isn't its recipient: she may tidy ideas up.
    assert api(family.admin).patch(f"/gifts/{idea['id']}", json={"title": "Big jigsaw"}).status_code == 200
    tom_list = member_list(family, family.owner).id
    on_tom = api(family.giver).post(f"/lists/{tom_list}/gifts", json={"title": "Secret"}).get_json()
    # Tom keeps his list, but is its recipient: the idea isn't there for him at all.
    assert api(family.owner).patch(f"/gifts/{on_tom['id']}", json={"title": "Peek"}).status_code == 404
    assert api(family.owner).delete(f"/gifts/{on_tom['id']}").status_code == 404
