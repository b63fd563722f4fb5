"""The API's JSON writes times as ISO 8601 UTC (SPEC §5) exactly as ``isoformat`` would, and money
as two-decimal strings, however the values arrive (exact types, subclasses, other time zones)."""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from piglist.web.jsonprovider import PiglistJSONProvider, iso_utc

ZONES = [
    UTC,
    ZoneInfo("Etc/UTC"),
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("America/St_Johns"),
    timezone(-timedelta(hours=11)),
]


def isoformat_utc(value: datetime) -> str:
    """The way the API wrote times before iso_utc wrote them directly."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def test_times_read_as_isoformat_writes_them():
    picked = random.Random(27)
    samples = [
        datetime(1, 1, 1, 12, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(9999, 12, 31, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    ]
    samples += [
        datetime(
            picked.randint(2, 9998),
            picked.randint(1, 12),
            picked.randint(1, 28),
            picked.randint(0, 23),
            picked.randint(0, 59),
            picked.randint(0, 59),
            picked.randint(0, 999999),
            tzinfo=picked.choice(ZONES),
        )
        for _ in range(2000)
    ]
    for value in samples:
        assert iso_utc(value) == isoformat_utc(value), value


class Price(Decimal):
    pass


class Moment(datetime):
    pass


def test_exact_types_and_their_subclasses_read_alike():
    when = datetime(2026, 12, 7, 15, 3, 2, 500000, tzinfo=ZoneInfo("Europe/Berlin"))
    provider = PiglistJSONProvider.default
    assert provider(Decimal("12.5")) == provider(Price("12.5")) == "12.50"
    assert provider(Decimal("5")) == "5.00"
    assert provider(when) == provider(Moment.fromisoformat(when.isoformat())) == "2026-12-07T14:03:02Z"
    assert provider(date(2026, 12, 24)) == "2026-12-24"
    assert json.dumps({"at": when, "price": Decimal("0")}, default=provider) == (
        '{"at": "2026-12-07T14:03:02Z", "price": "0.00"}'
    )
