"""A euro family's money in Chromium (SPEC 10.6, issue 28): a price typed "12,50", three of them
counted in the category's "spent / limit", an ambiguous amount explained, a price in dollars shown
"≈ €40" at the latest rate, at both widths and axe clean."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from piglist.extensions import db
from piglist.models import Group, User
from piglist.stores import fx

from .. import factories
from .support import DESKTOP, PHONE


@pytest.fixture
def euros(site, family):
    """The family keeps euros, with a €80 limit on Clothes, a $50 Lego set on Tom's list and the
    ECB's rate of $1.25 a euro."""
    app = site.app()
    with app.app_context():
        group = db.session.get_one(Group, family.group)
        group.currency = "EUR"
        db.session.commit()
        clothes = factories.make_category(group, "Clothes", spending_limit=Decimal("80"))
        factories.make_gift(
            db.session.get_one(User, family.ids["tom"]), group, title="Lego set", price="50", currency="USD"
        )
        fx.store(fx.Rates(date(2026, 12, 4), {"USD": Decimal("1.25")}))
        category = clothes.id
        db.session.remove()
        db.engine.dispose()
    return category


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_euro_family_writes_prices_their_way(people, family, euros, viewport):
    tom = people(viewport).login(family.emails["tom"])
    page = tom.goto(f"/groups/{family.group}/gifts/add")
    page.get_by_label("Title").fill("Wool socks")
    page.get_by_label("Category").select_option(str(euros))
    page.get_by_label("Price").fill("1,234")
    page.get_by_role("button", name="Save gift").click()
    expect(
        page.get_by_text("“1,234” could be read two ways. Write the price as an amount such as 1.234,50.")
    ).to_be_visible()
    page.get_by_label("Price").fill("12,50")
    page.get_by_label("How many").fill("3")
    page.get_by_role("button", name="Save gift").click()
    expect(page.get_by_text("“Wool socks” is on your piglist.")).to_be_visible()
    expect(page.get_by_text("€37.50 / €80")).to_be_visible()
    dad = people(viewport).login(family.emails["dad"])
    lists = dad.goto(family.list_of("tom"))
    expect(lists.get_by_text("≈ €40")).to_be_visible()
    expect(lists.get_by_text("not counted")).to_have_count(0)


def test_the_money_pages_pass_axe_at_both_widths(audit, people, family, euros):
    tom = people(DESKTOP).login(family.emails["tom"])
    dad = people(DESKTOP).login(family.emails["dad"])
    audit("money-my-piglist", f"/groups/{family.group}/my-piglist", tom)
    audit("money-piglist", family.list_of("tom"), dad)
