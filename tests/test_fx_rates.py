"""Money across currencies and quantities (SPEC 10.6, issue 28): the ECB's daily rates fetched
from a local feed in the ECB's format (a real socket), foreign prices counted in the limits at the
latest rate and shown "≈ €40", ``currency_unconvertible`` without a rate, and price times quantity in
every total and limit, under concurrent requests."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import FxRate, Gift, utcnow
from piglist.ops import housekeeping
from piglist.stores import fx

from . import factories
from .support.clients import error, member_client, page_text, post_form
from .support.concurrency import run_together

FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
  <Cube>
    <Cube time="2026-12-04">
      <Cube currency="USD" rate="1.2500"/>
      <Cube currency="JPY" rate="160.00"/>
      <Cube currency="GBP" rate="0.8000"/>
    </Cube>
  </Cube>
</gesmes:Envelope>
"""


class Feed:
    """A tiny HTTP server answering every GET with ``body`` (and counting them)."""

    def __init__(self, body: bytes = FEED, status: int = 200):
        self.body, self.status, self.hits = body, status, 0
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                feed.hits += 1
                self.send_response(feed.status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(feed.body)))
                self.end_headers()
                self.wfile.write(feed.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/eurofxref-daily.xml"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed(app):
    served = Feed()
    app.config["FX_RATES_URL"] = served.url
    yield served
    served.close()


def stored():
    return {row.currency: (row.per_euro, str(row.rates_date)) for row in db.session.scalars(select(FxRate))}


# --- fetching ------------------------------------------------------------------------------------


def test_the_cli_fetches_the_rates_now_and_prints_their_date(app, runner, feed):
    result = runner.invoke(args=["piglist", "fx-rates"])
    assert result.exit_code == 0, result.output
    assert "2026-12-04" in result.output
    assert stored() == {
        "USD": (Decimal("1.250000"), "2026-12-04"),
        "JPY": (Decimal("160.000000"), "2026-12-04"),
        "GBP": (Decimal("0.800000"), "2026-12-04"),
    }
    assert feed.hits == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"<html>not the feed", 200),
        (b"<Cube><Cube currency='USD' rate='1.1'/></Cube>", 200),  # no date
        (
            b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><Cube><Cube time='2026-12-05'><Cube currency='USD' rate='&a;'/></Cube></Cube>",
            200,
        ),
        (FEED, 503),
    ],
)
def test_a_bad_feed_changes_nothing_and_says_why(app, runner, feed, body, status):
    assert runner.invoke(args=["piglist", "fx-rates"]).exit_code == 0
    feed.body, feed.status = body, status
    result = runner.invoke(args=["piglist", "fx-rates"])
    assert result.exit_code != 0
    assert "No exchange rates stored" in result.output
    assert stored()["USD"] == (Decimal("1.250000"), "2026-12-04")


def test_without_a_url_the_cli_says_so(app, runner):
    app.config["FX_RATES_URL"] = ""
    result = runner.invoke(args=["piglist", "fx-rates"])
    assert result.exit_code != 0 and "FX_RATES_URL" in result.output


def test_the_worker_fetches_once_a_day(app, feed):
    housekeeping.run_once(requeue=False, remind=True)
    housekeeping.run_once(requeue=False, remind=True)
    assert feed.hits == 1 and stored()["GBP"][0] == Decimal("0.800000")
    db.session.execute(FxRate.__table__.update().values(fetched_at=utcnow() - fx.REFRESH_AFTER))
    db.session.commit()
    housekeeping.run_once(requeue=False, remind=True)
    assert feed.hits == 2


def test_conversion_goes_through_the_euro():
    rates = fx.Rates(None, {"USD": Decimal("1.25"), "GBP": Decimal("0.8")})
    assert rates.convert(Decimal("50"), "USD", "EUR") == Decimal("40.00")
    assert rates.convert(Decimal("40"), "EUR", "USD") == Decimal("50.00")
    assert rates.convert(Decimal("10"), "USD", "GBP") == Decimal("6.40")
    assert rates.convert(Decimal("10"), "CHF", "EUR") is None
    assert rates.convert(Decimal("10"), "CHF", "CHF") == Decimal("10")


# --- foreign prices in the limits --------------------------------------------------------------


def test_without_a_rate_a_foreign_price_in_a_limited_category_is_refused(app, api, euro_family):
    category = factories.make_category(euro_family.group, spending_limit=Decimal("100"))
    owner = api(euro_family.owner)
    path = f"/groups/{euro_family.group.id}/gifts"
    refused = owner.post(
        path, json={"title": "Lego", "price": "50", "currency": "USD", "category_id": category.id}
    )
    assert refused.status_code == 422
    assert error(refused)["code"] == "currency_unconvertible"
    assert error(refused)["field"] == "price"
    assert db.session.scalar(select(Gift).where(Gift.title == "Lego")) is None
    # Without a limit, or in the group's own currency, it is taken.
    assert owner.post(path, json={"title": "Lego", "price": "50", "currency": "USD"}).status_code == 201
    assert (
        owner.post(path, json={"title": "Book", "price": "50", "category_id": category.id}).status_code == 201
    )
    # Moving the foreign one into the limited category is refused the same way.
    lego = db.session.scalar(select(Gift).where(Gift.title == "Lego"))
    moved = owner.patch(f"/gifts/{lego.id}", json={"category_id": category.id})
    assert moved.status_code == 422 and error(moved)["code"] == "currency_unconvertible"


def test_the_page_form_says_so_too(app, euro_family):
    category = factories.make_category(euro_family.group, spending_limit=Decimal("100"))
    owner = member_client(app, euro_family.owner)
    answer = post_form(
        owner,
        f"/groups/{euro_family.group.id}/gifts/add",
        {
            "title": "Lego",
            "price": "49,99",
            "currency": "USD",
            "category_id": str(category.id),
            "quantity": "1",
            "priority": "normal",
        },
    )
    assert answer.status_code == 422
    assert "no exchange rate from USD is known yet" in page_text(answer)
    assert db.session.scalar(select(Gift).where(Gift.title == "Lego")) is None


def test_a_foreign_price_counts_at_the_latest_rate_and_shows_about(app, api, runner, feed, euro_family):
    assert runner.invoke(args=["piglist", "fx-rates"]).exit_code == 0
    group = euro_family.group
    category = factories.make_category(group, spending_limit=Decimal("100"), max_item_price=Decimal("45"))
    owner = api(euro_family.owner)
    path = f"/groups/{group.id}/gifts"
    # $50 is €40 at 1.25: within the €45 per gift; two of them, €80.
    added = owner.post(
        path,
        json={"title": "Lego", "price": "50", "currency": "USD", "quantity": 2, "category_id": category.id},
    )
    assert added.status_code == 201, added.get_json()
    over = owner.post(path, json={"title": "Book", "price": "20.01", "category_id": category.id})
    assert over.status_code == 422 and error(over)["code"] == "spending_limit_exceeded"
    assert "€100.01" in error(over)["message"]
    dear = owner.post(
        path, json={"title": "Set", "price": "60", "currency": "USD", "category_id": category.id}
    )
    assert dear.status_code == 422 and error(dear)["code"] == "max_item_price_exceeded"
    assert "≈ €48" in error(dear)["message"]
    assert (
        owner.post(path, json={"title": "Book", "price": "20", "category_id": category.id}).status_code == 201
    )
    # Shown as the group's currency to the owner and to the givers; the jargon is gone.
    for person in (euro_family.owner, euro_family.giver):
        page = page_text(
            member_client(app, person).get(f"/groups/{group.id}/piglists/{euro_family.owner.id}")
        )
        assert "$50" in page and "≈ €40" in page, person
        assert "not counted" not in page
    mine = page_text(member_client(app, euro_family.owner).get(f"/groups/{group.id}/my-piglist"))
    assert "€100 / €100" in mine


def test_changing_the_currency_refuses_prices_no_rate_converts(app, api, euro_family):
    category = factories.make_category(euro_family.group, spending_limit=Decimal("500"))
    factories.make_gift(euro_family.owner, euro_family.group, price="40", category_id=category.id)
    answer = api(euro_family.admin).patch(f"/groups/{euro_family.group.id}", json={"currency": "CHF"})
    assert answer.status_code == 422 and error(answer)["code"] == "currency_unconvertible"
    db.session.refresh(euro_family.group)
    assert euro_family.group.currency == "EUR"


# --- price × quantity --------------------------------------------------------------------------


def test_totals_and_limits_count_price_times_quantity(app, api, family):
    category = factories.make_category(family.group, spending_limit=Decimal("80"))
    owner = api(family.owner)
    path = f"/groups/{family.group.id}/gifts"
    socks = owner.post(
        path, json={"title": "Socks", "price": "12.50", "quantity": 3, "category_id": category.id}
    ).get_json()
    assert "$37.50 / $80" in page_text(
        member_client(app, family.owner).get(f"/groups/{family.group.id}/my-piglist")
    )
    # Six pairs would be $75: with a $10 gift, over.
    assert (
        owner.post(path, json={"title": "Hat", "price": "10", "category_id": category.id}).status_code == 201
    )
    more = owner.patch(f"/gifts/{socks['id']}", json={"quantity": 6})
    assert more.status_code == 422 and error(more)["code"] == "spending_limit_exceeded"
    assert db.session.get(Gift, socks["id"]).quantity == 3
    assert owner.patch(f"/gifts/{socks['id']}", json={"quantity": 5}).status_code == 200
    # Lowering the limit below 5 × 12.50 + 10 is refused.
    lower = api(family.admin).patch(
        f"/groups/{family.group.id}/categories/{category.id}", json={"spending_limit": "72"}
    )
    assert lower.status_code == 422 and "$72.50" in error(lower)["message"]


def test_simultaneous_quantity_changes_cannot_push_a_list_over_its_limit(app, api, family):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    category = factories.make_category(family.group, spending_limit=Decimal("100.00"))
    gifts = [
        factories.make_gift(family.owner, family.group, price="10", category_id=category.id) for _ in range(4)
    ]
    owner = api(family.owner)
    paths = [f"/gifts/{g.id}" for g in gifts]
    calls = [lambda p=p: owner.patch(p, json={"quantity": 6}) for p in paths]
    # 4 × 10 = 40; one gift going to 6 makes 90, a second would make 140.
    assert run_together(calls) == Counter({200: 1, 422: 3})
    db.session.expire_all()
    total = sum(
        g.price * g.quantity for g in db.session.scalars(select(Gift).where(Gift.category_id == category.id))
    )
    assert total == Decimal("90.00")


def test_a_limit_is_refused_where_a_price_no_rate_converts(app, api, euro_family):
    category = factories.make_category(euro_family.group, "Toys")
    factories.make_gift(
        euro_family.owner,
        euro_family.group,
        title="Lego",
        price="50",
        currency="USD",
        category_id=category.id,
    )
    admin = api(euro_family.admin)
    path = f"/groups/{euro_family.group.id}/categories/{category.id}"
    answer = admin.patch(path, json={"spending_limit": "100"})
    assert answer.status_code == 422
    assert error(answer)["code"] == "currency_unconvertible" and error(answer)["field"] == "spending_limit"
    assert "“Lego” in Toys is priced in USD" in error(answer)["message"]
    db.session.refresh(category)
    assert category.spending_limit is None
    # With the rate known, it counts: $50 is €40.
    fx.store(fx.Rates(date(2026, 12, 4), {"USD": Decimal("1.25")}))
    assert error(admin.patch(path, json={"spending_limit": "39.99"}))["code"] == "validation_failed"
    assert admin.patch(path, json={"spending_limit": "40"}).status_code == 200
