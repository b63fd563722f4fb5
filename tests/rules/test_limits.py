"""The spending limit and the maximum item price: on every door that writes a price, per list,
under concurrent writes, and when an admin changes a category's limits or the group's currency."""

from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift

from .. import factories
from ..support.clients import error
from ..support.concurrency import run_together


def test_max_item_price(api, family):
    category = factories.make_category(family.group, max_item_price=Decimal("50"))
    owner = api(family.owner)
    over = owner.post(
        f"/groups/{family.group.id}/gifts",
        json={"title": "Dear", "price": "50.01", "category_id": category.id},
    )
    assert over.status_code == 422
    assert error(over)["code"] == "max_item_price_exceeded"
    assert error(over)["field"] == "price"
    ok = owner.post(
        f"/groups/{family.group.id}/gifts", json={"title": "Fine", "price": "50", "category_id": category.id}
    )
    assert ok.status_code == 201


def test_spending_limit_on_add_and_edit(api, family):
    category = factories.make_category(family.group, spending_limit=Decimal("100"))
    owner = api(family.owner)
    gid = family.group.id
    first = owner.post(
        f"/groups/{gid}/gifts", json={"title": "A", "price": "60", "category_id": category.id}
    ).get_json()
    over = owner.post(
        f"/groups/{gid}/gifts", json={"title": "B", "price": "40.01", "category_id": category.id}
    )
    assert over.status_code == 422 and error(over)["code"] == "spending_limit_exceeded"
    assert (
        owner.post(
            f"/groups/{gid}/gifts", json={"title": "B", "price": "40", "category_id": category.id}
        ).status_code
        == 201
    )
    # Editing counts the gift once, not twice.
    assert owner.patch(f"/gifts/{first['id']}", json={"price": "60"}).status_code == 200
    raised = owner.patch(f"/gifts/{first['id']}", json={"price": "61"})
    assert raised.status_code == 422 and error(raised)["code"] == "spending_limit_exceeded"
    assert db.session.get(Gift, first["id"]).price == Decimal("60.00")


def test_spending_limit_is_per_list(api, family):
    category = factories.make_category(family.group, spending_limit=Decimal("50"))
    for person in (family.owner, family.giver):
        response = api(person).post(
            f"/groups/{family.group.id}/gifts", json={"title": "x", "price": "50", "category_id": category.id}
        )
        assert response.status_code == 201


def test_twelve_simultaneous_adds_under_a_limit_let_exactly_three_in(app, api, family):
    category = factories.make_category(family.group, spending_limit=Decimal("100.00"))
    owner = api(family.owner)
    path, category_id = f"/groups/{family.group.id}/gifts", category.id
    calls = [
        lambda n=n: owner.post(
            path, json={"title": f"Gift {n}", "price": "30.00", "category_id": category_id}
        )
        for n in range(12)
    ]
    assert run_together(calls) == Counter({201: 3, 422: 9})
    total = db.session.scalar(select(func.sum(Gift.price)).where(Gift.category_id == category.id))
    assert total == Decimal("90.00")


def test_simultaneous_edits_cannot_push_a_list_over_its_limit(app, api, family):
    category = factories.make_category(family.group, spending_limit=Decimal("100.00"))
    gifts = [
        factories.make_gift(family.owner, family.group, price="10", category_id=category.id) for _ in range(4)
    ]
    owner = api(family.owner)
    paths = [f"/gifts/{g.id}" for g in gifts]
    calls = [lambda p=p: owner.patch(p, json={"price": "45.00"}) for p in paths]
    # 4 × 10 = 40; one raise to 45 makes 75, a second would make 110.
    assert run_together(calls) == Counter({200: 1, 422: 3})
    total = db.session.scalar(select(func.sum(Gift.price)).where(Gift.category_id == category.id))
    assert total <= Decimal("100.00")


def test_changing_the_currency_must_keep_the_limits(api, family):
    category = factories.make_category(family.group, spending_limit="50")
    factories.make_gift(family.owner, family.group, price="40", currency="EUR", category_id=category.id)
    factories.make_gift(family.owner, family.group, price="30", currency="EUR", category_id=category.id)
    response = api(family.admin).patch(f"/groups/{family.group.id}", json={"currency": "EUR"})
    assert response.status_code == 422
    assert error(response)["field"] == "currency" and "Tom" in error(response)["message"]
    db.session.refresh(family.group)
    assert family.group.currency == "USD"


def test_a_limit_cannot_go_below_what_a_list_already_holds(api, family):
    category = factories.make_category(family.group, spending_limit="100")
    factories.make_gift(family.owner, family.group, category_id=category.id, price="60")
    factories.make_gift(family.owner, family.group, category_id=category.id, price="30")
    response = api(family.admin).patch(
        f"/groups/{family.group.id}/categories/{category.id}", json={"spending_limit": "80"}
    )
    assert response.status_code == 422
    assert "Tom" in error(response)["message"]
    lower_max = api(family.admin).patch(
        f"/groups/{family.group.id}/categories/{category.id}", json={"max_item_price": "50"}
    )
    assert lower_max.status_code == 422
    assert error(lower_max)["field"] == "max_item_price"


def test_one_comparison_decides_both_limits():
    from piglist.rules.limits import breaches

    d = Decimal
    assert breaches(d("100"), d("50"), total=d("100"), highest=d("50")) == set()
    assert breaches(d("100"), d("50"), total=d("100.01"), highest=d("50")) == {"spending_limit"}
    assert breaches(d("100"), d("50"), total=d("60"), highest=d("50.01")) == {"max_item_price"}
    assert breaches(None, None, total=d("1e6"), highest=d("1e6")) == set()
