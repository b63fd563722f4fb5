"""SPEC §9: an admin can release the purchases of a member who has left or been removed. The
gifts become available, the others see it live, and the owner sees nothing at all."""

from __future__ import annotations

import pytest

from piglist.extensions import db
from piglist.models import Gift

from . import factories
from .support.apps import both_backends
from .support.clients import changes, csrf_token
from .support.queries import BUDGET, counting_queries


@pytest.fixture
def departed(api, family):
    """A gift of the owner's bought by Gran, who then left the group."""
    gift = factories.make_gift(family.owner, family.group, price=20)
    assert api(family.other).post(f"/gifts/{gift.id}/purchase").status_code == 200
    response = api(family.other).delete(f"/groups/{family.group.id}/members/{family.other.id}")
    assert response.status_code == 204
    return gift


def gift_row(gift_id: int) -> Gift:
    db.session.expire_all()
    return db.session.get(Gift, gift_id)


def test_an_admin_releases_the_purchases_of_a_member_who_left(api, family, departed):
    giver = api(family.giver)
    assert giver.get(f"/gifts/{departed.id}").get_json()["status"] == "purchased"
    response = api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    assert response.status_code == 200
    assert response.get_json() == {"released": 1}
    seen = giver.get(f"/gifts/{departed.id}").get_json()
    assert seen["status"] == "available" and seen["purchased_by"] is None
    assert giver.post(f"/gifts/{departed.id}/purchase").status_code == 200


def test_an_admin_releases_the_purchases_of_a_removed_member(api, family):
    gift = factories.make_gift(family.owner, family.group)
    api(family.other).post(f"/gifts/{gift.id}/purchase")
    api(family.admin).delete(f"/groups/{family.group.id}/members/{family.other.id}")
    response = api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    assert response.get_json() == {"released": 1}
    assert gift_row(gift.id).status == "available"


def test_the_release_reaches_the_others_live(api, family, departed):
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    body = changes(giver, family.group.id, since=cursor, wait=5)
    assert [(e["type"], e["gift_id"]) for e in body["events"]] == [("gift_unpurchased", departed.id)]


def test_the_owner_sees_nothing_of_a_release(api, family, departed):
    owner = api(family.owner)
    cursor = changes(owner, family.group.id)["cursor"]
    before = [
        owner.get(f"/gifts/{departed.id}").get_data(),
        owner.get(f"/groups/{family.group.id}/piglists/{family.owner.id}").get_data(),
    ]
    updated_at = gift_row(departed.id).updated_at
    api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    after = [
        owner.get(f"/gifts/{departed.id}").get_data(),
        owner.get(f"/groups/{family.group.id}/piglists/{family.owner.id}").get_data(),
    ]
    assert after == before
    assert changes(owner, family.group.id, since=cursor, wait=1) == {"cursor": cursor, "events": []}
    assert gift_row(departed.id).updated_at == updated_at


@pytest.mark.parametrize(("who", "status"), [("giver", 403), ("owner", 403), ("outsider", 404)])
def test_only_an_admin_may_release(api, family, departed, who, status):
    caller = factories.make_user() if who == "outsider" else getattr(family, who)
    response = api(caller).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    assert response.status_code == status
    assert "error" in response.get_json()
    assert gift_row(departed.id).status == "purchased"


def test_a_current_members_purchases_are_theirs_to_undo(api, family):
    gift = factories.make_gift(family.owner, family.group)
    api(family.giver).post(f"/gifts/{gift.id}/purchase")
    response = api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.giver.id}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "user_id"
    assert gift_row(gift.id).purchased_by_id == family.giver.id


def test_purchases_on_another_groups_lists_are_untouched(api, family, departed):
    elsewhere = factories.make_group(family.owner, family.other, name="Work")
    there = factories.make_gift(family.owner, elsewhere)
    api(family.other).post(f"/gifts/{there.id}/purchase")
    api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    assert gift_row(there.id).purchased_by_id == family.other.id


def test_the_admin_page_lists_former_buyers_and_releases_them(client, auth, family, departed):
    auth.login_as(family.admin)
    page = client.get(f"/admin/groups/{family.group.id}/members").get_data(as_text=True)
    assert "Purchases by people who have left" in page
    assert f'id="former-buyer-{family.other.id}"' in page
    response = client.post(
        f"/admin/groups/{family.group.id}/purchases/{family.other.id}/release",
        data={"csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "1 gift is available again" in response.get_data(as_text=True)
    assert "Purchases by people who have left" not in response.get_data(as_text=True)
    assert gift_row(departed.id).status == "available"


def test_a_member_cannot_release_through_the_admin_page(client, auth, family, departed):
    auth.login_as(family.giver)
    response = client.post(
        f"/admin/groups/{family.group.id}/purchases/{family.other.id}/release",
        data={"csrf_token": csrf_token(client)},
    )
    assert response.status_code == 403
    assert gift_row(departed.id).status == "purchased"


def test_releasing_takes_back_only_the_departed_members_part_of_a_gift(api, family):
    gift = factories.make_gift(family.owner, family.group, quantity=3)
    assert api(family.other).post(f"/gifts/{gift.id}/purchase", json={"quantity": 2}).status_code == 200
    assert api(family.giver).post(f"/gifts/{gift.id}/purchase").status_code == 200
    api(family.other).delete(f"/groups/{family.group.id}/members/{family.other.id}")
    owner_before = api(family.owner).get(f"/gifts/{gift.id}").get_data()
    response = api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    assert response.status_code == 200 and response.get_json()["released"] == 1
    seen = api(family.giver).get(f"/gifts/{gift.id}").get_json()
    assert (seen["status"], seen["purchased_quantity"]) == ("available", 1)
    assert [p["user"]["id"] for p in seen["purchases"]] == [family.giver.id]
    assert seen["purchased_by"]["id"] == family.giver.id
    assert api(family.owner).get(f"/gifts/{gift.id}").get_data() == owner_before


def _departed_buyer_of(api, family, count: int) -> list[int]:
    """``count`` gifts of the owner's, each 3 wanted: Gran bought 2 of each, Dad 1 of every
    other one; then Gran left."""
    gifts = [factories.make_gift(family.owner, family.group, quantity=3) for _ in range(count)]
    for n, gift in enumerate(gifts):
        assert api(family.other).post(f"/gifts/{gift.id}/purchase", json={"quantity": 2}).status_code == 200
        if n % 2:
            assert api(family.giver).post(f"/gifts/{gift.id}/purchase").status_code == 200
    api(family.other).delete(f"/groups/{family.group.id}/members/{family.other.id}")
    return [g.id for g in gifts]


@both_backends
@pytest.mark.parametrize("count", [2, 9])
def test_a_release_runs_the_same_statements_for_2_or_9_gifts(api, family, count):
    """The admin check, the group's lock, the departed member's membership, their gifts, all of
    those locked in one statement, their purchases, one delete and one (executemany) update."""
    gift_ids = _departed_buyer_of(api, family, count)
    admin = api(family.admin)
    for _ in range(2):
        admin.get("/me")  # the token read and remembered (piglist.auth.credentials)
    path = f"/groups/{family.group.id}/purchases/{family.other.id}"
    with counting_queries() as statements:
        response = admin.delete(path)
    assert response.get_json() == {"released": count}
    assert len(statements) <= BUDGET, statements
    for n, gift_id in enumerate(gift_ids):
        seen = api(family.giver).get(f"/gifts/{gift_id}").get_json()
        assert seen["purchased_quantity"] == n % 2 and seen["status"] == "available"
        assert [p["user"]["id"] for p in seen["purchases"]] == ([family.giver.id] if n % 2 else [])


def test_two_admins_releasing_while_others_buy_never_lose_a_purchase(app, api, family):
    """Two releases of Gran's purchases at once, while Dad buys the last of the gifts he hadn't
    bought from: the releases don't deadlock, Gran's parts go exactly once, and every purchase of
    Dad's stays."""
    from collections import Counter

    from .support.concurrency import run_together

    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.fail("a race needs PostgreSQL")
    gift_ids = _departed_buyer_of(api, family, 6)
    second = factories.make_user(display_name="Aunt")
    factories.add_member(family.group, second, role="admin")
    path = f"/groups/{family.group.id}/purchases/{family.other.id}"
    admins = [api(family.admin), api(second)]
    giver = api(family.giver)
    calls = [lambda a=a: a.delete(path) for a in admins] + [
        lambda g=g: giver.post(f"/gifts/{g}/purchase") for g in gift_ids[::2]
    ]
    assert run_together(calls) == Counter({200: 5})
    for gift_id in gift_ids:
        seen = giver.get(f"/gifts/{gift_id}").get_json()
        assert [p["user"]["id"] for p in seen["purchases"]] == [family.giver.id]
        assert seen["purchased_quantity"] == 1 and seen["status"] == "available"
