"""The pages' money fields in a euro group (SPEC 10.6): "49,99", "1.234,50", "€100" are taken as
the family writes them; an ambiguous or malformed one is refused with the expected form, and
nothing changes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Category, Exchange, Gift, Pledge

from . import factories
from .support.clients import member_client, page_text, post_form


def gift_form(**fields):
    return {"title": "Socks", "quantity": "1", "priority": "normal", "currency": "EUR", **fields}


def test_a_category_limit_and_a_price_as_a_euro_family_writes_them(app, euro_family):
    gid = euro_family.group.id
    mum = member_client(app, euro_family.admin)
    answer = post_form(
        mum,
        f"/admin/groups/{gid}/categories",
        {"name": "Clothes", "spending_limit": "1.234,50", "max_item_price": "100 €"},
    )
    assert answer.status_code == 302, page_text(answer)
    category = db.session.scalar(select(Category).where(Category.name == "Clothes"))
    assert (category.spending_limit, category.max_item_price) == (Decimal("1234.50"), Decimal("100.00"))

    tom = member_client(app, euro_family.owner)
    added = post_form(
        tom, f"/groups/{gid}/gifts/add", gift_form(price="€12,50", quantity="3", category_id=str(category.id))
    )
    assert added.status_code == 303, page_text(added)
    gift = db.session.scalar(select(Gift).where(Gift.title == "Socks"))
    assert (gift.price, gift.quantity) == (Decimal("12.50"), 3)
    assert "€37.50 / €1,234.50" in page_text(tom.get(f"/groups/{gid}/my-piglist"))


@pytest.mark.parametrize(
    ("price", "message"),
    [
        ("1,234", "“1,234” could be read two ways. Write the price as an amount such as 1.234,50."),
        ("1,234.50", "Write the price as an amount such as 1.234,50."),
        ("zwölf", "Write the price as an amount such as 1.234,50."),
        ("$12", "Write the price as an amount such as 1.234,50."),
    ],
)
def test_an_ambiguous_or_malformed_price_shows_the_expected_form(app, euro_family, price, message):
    tom = member_client(app, euro_family.owner)
    answer = post_form(tom, f"/groups/{euro_family.group.id}/gifts/add", gift_form(price=price))
    assert answer.status_code == 422
    assert message in page_text(answer)
    assert db.session.scalar(select(Gift)) is None


def test_a_dollar_sign_is_taken_for_a_price_in_dollars(app, euro_family):
    tom = member_client(app, euro_family.owner)
    answer = post_form(
        tom, f"/groups/{euro_family.group.id}/gifts/add", gift_form(price="$12,50", currency="USD")
    )
    assert answer.status_code == 303
    gift = db.session.scalar(select(Gift))
    assert (gift.price, gift.currency) == (Decimal("12.50"), "USD")


def test_a_pledge_and_a_budget_as_written(app, euro_family):
    gid = euro_family.group.id
    bike = factories.make_gift(euro_family.owner, euro_family.group, title="Bike", price="200.00")
    dad = member_client(app, euro_family.giver)
    base = f"/groups/{gid}/gifts/{bike.id}"
    post_form(dad, base + "/group-gift")
    refused = post_form(dad, base + "/pledge", {"amount": "1,234", "next": base}, follow_redirects=True)
    assert "Write an amount such as 1.234,50." in page_text(refused)
    assert db.session.scalars(select(Pledge)).all() == []
    post_form(dad, base + "/pledge", {"amount": "12,50", "next": base})
    assert [p.amount for p in db.session.scalars(select(Pledge))] == [Decimal("12.50")]

    people = [euro_family.admin, euro_family.giver, euro_family.other]
    mum = member_client(app, euro_family.admin)
    answer = post_form(
        mum,
        f"/groups/{gid}/exchanges",
        {"name": "Christmas", "participant_ids": [str(p.id) for p in people], "budget": "25,50 €"},
    )
    assert answer.status_code == 302, page_text(answer)
    assert db.session.scalar(select(Exchange)).budget == Decimal("25.50")


def test_the_api_keeps_its_canonical_amounts(api, euro_family):
    answer = api(euro_family.owner).post(
        f"/groups/{euro_family.group.id}/gifts", json={"title": "x", "price": "49,99"}
    )
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"] == "The price must be an amount such as 12.50."
