"""JSON as the SPEC writes it: money as two-decimal strings, times as ISO 8601 UTC; and read back
without letting a hostile body crash the parser."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class PiglistJSONProvider(DefaultJSONProvider):
    sort_keys = False

    @staticmethod
    def default(o: Any) -> Any:
        if isinstance(o, datetime):
            return iso_utc(o)
        if isinstance(o, date):
            return o.isoformat()
        if isinstance(o, Decimal):
            return f"{o:.2f}"
        return DefaultJSONProvider.default(o)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            # Absurdly nested arrays exhaust the parser's stack; that is bad JSON, not our error.
            raise ValueError("JSON nested too deeply") from None
