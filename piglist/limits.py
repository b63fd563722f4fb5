"""What counts toward a category's limits, defined once: for the check on every gift write, for
the owner's totals, and for the admin's "can this limit go lower?".

A gift counts when it is on the list (not deleted), has a price, and is priced in the group's
currency: a price in another currency can't be compared with the limits, so it is accepted,
flagged on the page, and left out. Purchases play no part.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from .extensions import db
from .models import Gift, Group, Piglist


def counts_toward_limits(group: Group, price: Decimal | None, currency: str | None) -> bool:
    return price is not None and (currency or group.currency) == group.currency


def gift_counts(group: Group, gift: Gift) -> bool:
    return gift.deleted_at is None and counts_toward_limits(group, gift.price, gift.currency)


def category_usage(
    group: Group, category_id: int, *, piglist_id: int | None = None, exclude_gift_id: int | None = None
) -> list[tuple[int, Decimal, Decimal | None]]:
    """Per list (by owner's user id): the total and the highest price of the gifts that count in
    the category."""
    query = (
        select(Piglist.user_id, func.coalesce(func.sum(Gift.price), 0), func.max(Gift.price))
        .join(Gift, Gift.piglist_id == Piglist.id)
        .where(
            Gift.category_id == category_id,
            Gift.deleted_at.is_(None),
            Gift.price.is_not(None),
            Gift.currency == group.currency,
        )
        .group_by(Piglist.user_id)
    )
    if piglist_id is not None:
        query = query.where(Piglist.id == piglist_id)
    if exclude_gift_id is not None:
        query = query.where(Gift.id != exclude_gift_id)
    return [
        (user_id, Decimal(total).quantize(Decimal("0.01")), highest)
        for user_id, total, highest in db.session.execute(query)
    ]
