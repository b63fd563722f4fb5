"""Exchange rates: the European Central Bank's daily reference rates (SPEC 10.6), so a gift priced
in another currency than its group's counts in the category limits and shows "≈ €45.20".

The worker fetches the ECB's daily XML once a day from ``FX_RATES_URL`` (``flask piglist
fx-rates`` does it at once) and keeps the latest rates in the ``fx_rates`` table, so every
process reads the same ones. The URL is the operator's setting, not anybody's input, so it is
fetched with plain ``requests`` (the scraper's guard against local addresses is for links people
paste), with a timeout and a size cap.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import requests
from flask import current_app, g, has_request_context
from lxml import etree
from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import FxRate, utcnow

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds to connect, and between bytes
MAX_BYTES = 1_000_000  # the daily file is about 2 kB
# The worker fetches again once the stored rates are this old (the ECB publishes each working day
# around 16:00 CET; fetching a day after the last fetch keeps them at most a day behind).
REFRESH_AFTER = timedelta(hours=24)
CENTS = Decimal("0.01")
# Each app (process) keeps what it read for a minute: a list page asks for the rates on every
# request (the lists' cache is keyed on their day), and they change once a day. "No rates yet" is
# kept for the request only: until the first fetch lands each request looks once, so the first
# rates count at once in every process.
READ_EVERY = 60.0
_lock = threading.Lock()


class RatesUnavailable(Exception):
    """The feed couldn't be fetched or read; the stored rates stay as they were."""


@dataclass(frozen=True)
class Rates:
    """Units of each currency one euro buys, on ``day`` (None: no rates known yet)."""

    day: date | None
    per_euro: dict[str, Decimal] = field(default_factory=dict)

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal | None:
        """``amount`` in ``source`` as ``target``, to the cent; None when either rate is unknown."""
        if source == target:
            return amount
        known = {"EUR": Decimal(1), **self.per_euro}
        if source not in known or target not in known:
            return None
        return (amount / known[source] * known[target]).quantize(CENTS, rounding=ROUND_HALF_UP)


def parse_feed(body: bytes) -> Rates:
    """The ECB's eurofxref-daily.xml: ``<Cube time="…"><Cube currency="USD" rate="1.05"/>…``."""
    # No entities, no DTDs from the network: the URL is the operator's, the bytes are still a feed's.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise RatesUnavailable(f"the feed is not XML: {exc}") from None
    day: date | None = None
    rates: dict[str, Decimal] = {}
    for cube in root.iter():
        if not isinstance(cube.tag, str) or not cube.tag.endswith("Cube"):
            continue
        if cube.get("time") and day is None:
            try:
                day = date.fromisoformat(cube.get("time", ""))
            except ValueError:
                raise RatesUnavailable(f"the feed's date {cube.get('time')!r} is not a date") from None
        code, rate = cube.get("currency"), cube.get("rate")
        if code and rate:
            try:
                value = Decimal(rate)
            except InvalidOperation:
                continue
            if len(code) == 3 and code.isalpha() and code.isupper() and value.is_finite() and value > 0:
                rates[code] = value
    if day is None or not rates:
        raise RatesUnavailable("the feed holds no dated rates")
    return Rates(day, rates)


def fetch_feed(url: str) -> Rates:
    try:
        with requests.get(url, timeout=TIMEOUT, stream=True) as response:
            response.raise_for_status()
            body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise RatesUnavailable(f"couldn't fetch {url}: {exc}") from None
    if len(body) > MAX_BYTES:
        raise RatesUnavailable(f"{url} answered more than {MAX_BYTES} bytes")
    return parse_feed(body)


def store(rates: Rates) -> None:
    """Replace the stored rates with ``rates`` (one transaction: readers see old or new)."""
    assert rates.day is not None
    now = utcnow()
    db.session.execute(delete(FxRate))
    db.session.add_all(
        FxRate(currency=code, per_euro=value, rates_date=rates.day, fetched_at=now)
        for code, value in sorted(rates.per_euro.items())
    )
    db.session.commit()
    forget()


def refresh(url: str | None = None) -> Rates:
    """Fetch the feed now and store it; RatesUnavailable when it can't be had."""
    rates = fetch_feed(url or current_app.config["FX_RATES_URL"])
    store(rates)
    return rates


def last_fetched() -> datetime | None:
    return db.session.scalar(select(func.max(FxRate.fetched_at)))


def refresh_if_due() -> Rates | None:
    """The worker's daily fetch: when ``FX_RATES_URL`` is set and the stored rates are a day old
    (or there are none). A failure is logged and tried again at the next round."""
    if not current_app.config.get("FX_RATES_URL"):
        return None
    fetched = last_fetched()
    if fetched is not None and utcnow() - fetched < REFRESH_AFTER:
        return None
    try:
        return refresh()
    except RatesUnavailable as exc:
        db.session.rollback()
        log.warning("exchange rates not refreshed: %s", exc)
        return None


def latest() -> Rates:
    """The stored rates, read again at most once a minute per app."""
    kept = current_app.extensions.get("piglist_fx_rates")
    if kept is not None and time.monotonic() < kept[0]:
        return kept[1]
    if has_request_context() and "piglist_fx_rates" in g:
        return g.piglist_fx_rates
    rows = db.session.execute(select(FxRate.currency, FxRate.per_euro, FxRate.rates_date)).all()
    rates = Rates(
        max((row.rates_date for row in rows), default=None),
        {row.currency: Decimal(row.per_euro) for row in rows},
    )
    if rates.day is not None:
        with _lock:
            current_app.extensions["piglist_fx_rates"] = (time.monotonic() + READ_EVERY, rates)
    elif has_request_context():
        g.piglist_fx_rates = rates
    return rates


def forget() -> None:
    """Read the rates afresh next time (after storing new ones)."""
    current_app.extensions.pop("piglist_fx_rates", None)
