"""Quantity and priority (SPEC §9): several members each buy part of a gift, undo only their own,
never more than the quantity; "Most wanted" first; the wisher's note on the tile."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift, Purchase

from . import factories
from .support.apps import both_backends
from .support.clients import error, member_client, post_form


def buy(api, user, gift, quantity=None):
    body = None if quantity is None else {"quantity": quantity}
    return api(user).post(f"/gifts/{gift.id}/purchase", json=body)


def purchases_of(gift) -> list[tuple[int, int]]:
    db.session.expire_all()
    return [
        (p.user_id, p.quantity)
        for p in db.session.scalars(select(Purchase).where(Purchase.gift_id == gift.id))
    ]


def test_a_gift_wants_one_normally_and_says_so(api, family):
    created = api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"title": "Kite"}).get_json()
    assert (created["quantity"], created["priority"]) == (1, "normal")


@both_backends
def test_several_members_each_buy_part_of_a_gift(api, family):
    gift = factories.make_gift(family.owner, family.group, quantity=3)
    first = buy(api, family.giver, gift, 2)
    assert first.status_code == 200
    seen = first.get_json()
    assert (seen["status"], seen["purchased_quantity"]) == ("available", 2)
    assert seen["purchased_by"]["id"] == family.giver.id  # the first purchase, for old clients
    assert [(p["user"]["id"], p["quantity"]) for p in seen["purchases"]] == [(family.giver.id, 2)]
    last = buy(api, family.other, gift).get_json()
    assert (last["status"], last["purchased_quantity"]) == ("purchased", 3)
    assert [p["quantity"] for p in last["purchases"]] == [2, 1]
    assert last["purchased_by"]["id"] == family.giver.id


def test_asking_for_more_than_remain_is_already_purchased_and_changes_nothing(api, family):
    gift = factories.make_gift(family.owner, family.group, quantity=3)
    buy(api, family.giver, gift, 2)
    response = buy(api, family.other, gift, 2)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "already_purchased" and "Only 1 of 3" in error["message"]
    assert purchases_of(gift) == [(family.giver.id, 2)]
    assert buy(api, family.other, gift, 1).status_code == 200
    assert buy(api, family.admin, gift).get_json()["error"]["code"] == "already_purchased"


def test_buying_again_adds_to_ones_own_purchase(api, family):
    gift = factories.make_gift(family.owner, family.group, quantity=5)
    buy(api, family.giver, gift, 1)
    assert buy(api, family.giver, gift, 2).get_json()["purchases"][0]["quantity"] == 3
    assert purchases_of(gift) == [(family.giver.id, 3)]


@pytest.mark.parametrize("quantity", [0, -1, 100, "two", 1.5, True, [1], {"n": 1}])
def test_a_wrong_quantity_to_buy_is_refused_and_changes_nothing(api, family, quantity):
    gift = factories.make_gift(family.owner, family.group, quantity=3)
    response = buy(api, family.giver, gift, quantity)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "quantity"
    assert purchases_of(gift) == []


@pytest.mark.parametrize("body", [b"[1]", b'"x"', b"{not json"])
def test_a_purchase_body_that_is_not_an_object_is_a_bad_request(api, family, body):
    gift = factories.make_gift(family.owner, family.group)
    response = api(family.giver).call(
        "POST", f"/gifts/{gift.id}/purchase", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"
    assert purchases_of(gift) == []


def test_undo_removes_only_the_callers_own_purchases(api, family):
    gift = factories.make_gift(family.owner, family.group, quantity=3)
    buy(api, family.giver, gift, 1)
    buy(api, family.other, gift, 2)
    undone = api(family.giver).delete(f"/gifts/{gift.id}/purchase").get_json()
    assert [(p["user"]["id"], p["quantity"]) for p in undone["purchases"]] == [(family.other.id, 2)]
    assert undone["purchased_by"]["id"] == family.other.id  # the first purchase now
    assert undone["status"] == "available"
    # Someone who bought none of it can't undo the others'; a second undo is harmless.
    assert api(family.admin).delete(f"/gifts/{gift.id}/purchase").status_code == 403
    assert api(family.giver).delete(f"/gifts/{gift.id}/purchase").status_code == 403
    assert purchases_of(gift) == [(family.other.id, 2)]
    assert api(family.other).delete(f"/gifts/{gift.id}/purchase").status_code == 200
    assert api(family.other).delete(f"/gifts/{gift.id}/purchase").status_code == 200
    db.session.expire_all()
    gift = db.session.get(Gift, gift.id)
    assert (gift.status, gift.purchased_by_id, gift.purchased_at) == ("available", None, None)


def summary_row(gift) -> tuple:
    db.session.expire_all()
    row = db.session.get(Gift, gift.id)
    first = db.session.scalars(
        select(Purchase).where(Purchase.gift_id == gift.id).order_by(Purchase.purchased_at, Purchase.id)
    ).first()
    expected = (first.user_id, first.purchased_at) if first else (None, None)
    assert (row.purchased_by_id, row.purchased_at) == expected  # the first purchase's
    return row.status, row.purchased_by_id


@both_backends
def test_the_answers_and_the_gifts_row_are_what_a_fresh_read_gives(api, family):
    """A purchase and an undo answer from what they read under the gift's lock and wrote, without
    reading the gift again: the answer is the same as a fresh GET's, and the gift's row keeps its
    summary (status, and the first purchase's buyer and time) for the first release's clients."""
    gift = factories.make_gift(family.owner, family.group, quantity=2)
    path = f"/gifts/{gift.id}"
    steps = [
        (family.giver, "POST", ("available", family.giver.id)),
        (family.other, "POST", ("purchased", family.giver.id)),
        (family.giver, "DELETE", ("available", family.other.id)),
        (family.other, "DELETE", ("available", None)),
        (family.other, "DELETE", ("available", None)),  # nothing left to undo
    ]
    for person, method, row in steps:
        client = api(person)
        answer = client.call(method, path + "/purchase")
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json() == client.get(path).get_json()
        assert summary_row(gift) == row


def test_a_removed_gift_stays_for_each_member_who_bought_part_of_it(api, family):
    gift = factories.make_gift(family.owner, family.group, quantity=3)
    buy(api, family.giver, gift)
    buy(api, family.other, gift)
    assert api(family.owner).delete(f"/gifts/{gift.id}").status_code == 204
    for buyer in (family.giver, family.other):
        assert api(buyer).get(f"/gifts/{gift.id}").get_json()["removed"] is True
    assert api(family.admin).get(f"/gifts/{gift.id}").status_code == 404
    assert buy(api, family.admin, gift).status_code == 404
    api(family.giver).delete(f"/gifts/{gift.id}/purchase")
    assert api(family.giver).get(f"/gifts/{gift.id}").status_code == 404
    assert api(family.other).get(f"/gifts/{gift.id}").status_code == 200


def test_limits_and_totals_count_price_times_quantity(api, family):
    # SPEC 10.6: the category totals and limits count price × quantity; the stats count a gift once.
    category = factories.make_category(family.group, spending_limit="100", max_item_price="50")
    owner = api(family.owner)
    path = f"/groups/{family.group.id}/gifts"
    over = owner.post(path, json={"title": "Socks", "price": "40", "quantity": 3, "category_id": category.id})
    assert over.status_code == 422 and error(over)["code"] == "spending_limit_exceeded"
    made = owner.post(path, json={"title": "Socks", "price": "40", "quantity": 2, "category_id": category.id})
    assert made.status_code == 201
    totals = owner.get(f"/groups/{family.group.id}/piglists/{family.owner.id}").get_json()["totals"]
    assert [t["total"] for t in totals] == ["80.00"]
    buy(api, family.giver, db.session.get(Gift, made.get_json()["id"]), 1)
    stats = api(family.giver).get(f"/groups/{family.group.id}/stats").get_json()
    assert (stats["others_gifts"], stats["others_purchased"], stats["bought_by_me"]) == (1, 0, 1)
    assert stats["total_value"] == "40.00"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 100}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"priority": "urgent"}, "priority"),
        ({"priority": 1}, "priority"),
    ],
)
def test_a_wrong_quantity_or_priority_on_a_gift_is_refused(api, family, fields, field):
    owner = api(family.owner)
    response = owner.post(f"/groups/{family.group.id}/gifts", json={"title": "Kite", **fields})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == field
    assert db.session.scalar(select(func.count()).select_from(Gift)) == 0


def test_most_wanted_come_first_and_can_be_filtered(api, family):
    made = {
        name: factories.make_gift(family.owner, family.group, title=name, priority=priority)
        for name, priority in [("Socks", "low"), ("Kite", "normal"), ("Bike", "high")]
    }
    giver = api(family.giver)
    path = f"/groups/{family.group.id}/piglists/{family.owner.id}"
    assert [g["title"] for g in giver.get(path).get_json()["gifts"]] == ["Bike", "Kite", "Socks"]
    assert [g["title"] for g in giver.get(path + "?priority=high").get_json()["gifts"]] == ["Bike"]
    assert giver.get(path + "?priority=urgent").status_code == 422
    api(family.owner).patch(f"/gifts/{made['Socks'].id}", json={"priority": "high"})
    assert [g["title"] for g in giver.get(path).get_json()["gifts"]] == [
        "Socks",
        "Bike",
        "Kite",
    ]  # oldest first among equals


def test_tiles_show_most_wanted_the_note_and_how_many_are_bought(app, family):
    gift = factories.make_gift(
        family.owner, family.group, title="Kite", quantity=3, priority="high", description="The red one " * 30
    )
    gid = family.group.id
    dad = member_client(app, family.giver)
    post_form(dad, f"/groups/{gid}/gifts/{gift.id}/purchase", {"quantity": "2"})
    page = dad.get(f"/groups/{gid}/piglists/{family.owner.id}").get_data(as_text=True)
    assert "Most wanted" in page and "2 of 3 bought" in page and "Bought by you (2)" in page
    assert "The red one The red one" in page and "The red one " * 30 not in page  # shortened
    assert '<select id="quantity_' not in page  # one left: no choice of how many
    gran = (
        member_client(app, family.other)
        .get(f"/groups/{gid}/piglists/{family.owner.id}")
        .get_data(as_text=True)
    )
    assert "Bought by Dad (2)" in gran and "Mark as purchased" in gran
    mine = member_client(app, family.owner).get(f"/groups/{gid}/my-piglist").get_data(as_text=True)
    assert (
        "Most wanted" in mine
        and "3 wanted" in mine
        and "bought" not in mine.lower().replace("you never see what was bought", "")
    )


def test_the_form_sets_quantity_and_priority_and_explains_mistakes(app, family):
    gid = family.group.id
    tom = member_client(app, family.owner)
    bad = post_form(tom, f"/groups/{gid}/gifts/add", {"title": "Kite", "quantity": "0", "priority": "high"})
    assert bad.status_code == 422 and "The quantity must be at least 1." in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Gift)) == 0
    good = post_form(tom, f"/groups/{gid}/gifts/add", {"title": "Kite", "quantity": "4", "priority": "low"})
    assert good.status_code == 303
    gift = db.session.scalar(select(Gift))
    assert (gift.quantity, gift.priority) == (4, "low")
    edit = tom.get(f"/groups/{gid}/gifts/{gift.id}/edit").get_data(as_text=True)
    assert 'value="4"' in edit and '<option selected value="low">' in edit


def test_a_buyer_picks_how_many_on_the_page(app, family):
    gift = factories.make_gift(family.owner, family.group, quantity=4, price=Decimal("3"))
    gid = family.group.id
    dad = member_client(app, family.giver)
    assert '<select id="quantity_' in dad.get(f"/groups/{gid}/gifts/{gift.id}").get_data(as_text=True)
    response = post_form(dad, f"/groups/{gid}/gifts/{gift.id}/purchase", {"quantity": "5"})
    assert response.status_code == 303
    assert "Only 4 of 4 are still to buy." in dad.get(response.headers["Location"]).get_data(as_text=True)
    assert purchases_of(gift) == []
    post_form(dad, f"/groups/{gid}/gifts/{gift.id}/purchase", {"quantity": "3"})
    assert purchases_of(gift) == [(family.giver.id, 3)]
