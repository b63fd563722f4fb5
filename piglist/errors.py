"""The errors the domain raises: services raise :class:`PiglistError` subclasses, each with the
code and status the SPEC's ``{"error": {code, message, field}}`` names. How a door turns one into
an answer is ``piglist.web.errors``'s business; these know no request.
"""

from __future__ import annotations

from typing import Any


class PiglistError(Exception):
    code = "bad_request"
    status = 400
    retry_after: int | None = None  # seconds, sent as Retry-After

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class BadRequest(PiglistError):
    pass


class Unauthenticated(PiglistError):
    code, status = "unauthenticated", 401


class Forbidden(PiglistError):
    code, status = "forbidden", 403


class NotFound(PiglistError):
    code, status = "not_found", 404


class AlreadyPurchased(PiglistError):
    code, status = "already_purchased", 409


class GroupLocked(PiglistError):
    code, status = "group_locked", 409


class Duplicate(PiglistError):
    code, status = "duplicate", 409


class OverPledged(PiglistError):
    """A pledge that would make a group gift's pledges add up to more than its price (§10.3)."""

    code, status = "over_pledged", 409


class GroupGiftConflict(PiglistError):
    """The group gift isn't in the state the request needs: not fully pledged yet, already
    bought, or open while someone tries to buy the last one alone."""

    code, status = "group_gift_conflict", 409


class EditConflict(PiglistError):
    """The thing changed since the form was opened; only a caller that says what it saw gets it."""

    code, status = "edit_conflict", 409


class UnsupportedMediaType(PiglistError):
    code, status = "unsupported_media_type", 415


class ValidationFailed(PiglistError):
    code, status = "validation_failed", 422


class SpendingLimitExceeded(PiglistError):
    code, status = "spending_limit_exceeded", 422


class MaxItemPriceExceeded(PiglistError):
    code, status = "max_item_price_exceeded", 422


class CurrencyUnconvertible(PiglistError):
    """A price in another currency than the group's, in a category with a limit, while no
    exchange rate between them is known (SPEC 10.6)."""

    code, status = "currency_unconvertible", 422


class Unavailable(PiglistError):
    code, status = "unavailable", 503

    def __init__(self, message: str, field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, field)
        self.retry_after = retry_after


class RateLimited(PiglistError):
    code, status = "rate_limited", 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
