"""A category's limits, in one place: ``max_item_price`` (no gift may cost more) and
``spending_limit`` (the gifts of one list in the category may not add up to more).

Every door that writes a price goes through here: adding, editing, moving a gift to another
category, a scrape filling a price in (:func:`check_gift`), and an admin changing a
category's limits or the group's currency (:func:`check_limits_hold`). The owner's totals
count what :func:`gift_counts` says counts.

A gift counts when it is a wish (ideas others add don't: limits bound what a list's recipients ask
for, SPEC 10.2), is on the list (not deleted), has a price, and is priced in the group's currency: a price in another currency can't be compared with the limits, so it is accepted,
flagged on the page, and left out. Purchases play no part. Callers hold the list's and the
category's row locks (piglist.stores.rowlocks) so that concurrent writes each see final sums.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from piglist.rules.money import format_money

from ..errors import MaxItemPriceExceeded, SpendingLimitExceeded, ValidationFailed
from ..extensions import db
from ..models import Category, Gift, Group, Piglist


def counts_toward_limits(group: Group, price: Decimal | None, currency: str | None) -> bool:
    return price is not None and (currency or group.currency) == group.currency


def gift_counts(group: Group, gift: Gift) -> bool:
    return (
        not gift.is_idea
        and gift.deleted_at is None
        and counts_toward_limits(group, gift.price, gift.currency)
    )


def category_usage(
    group: Group, category_id: int, *, piglist_id: int | None = None, exclude_gift_id: int | None = None
) -> list[tuple[int, Decimal, Decimal | None]]:
    """Per list (by its id): the total and the highest price of the gifts that count in the
    category."""
    query = (
        select(Piglist.id, func.coalesce(func.sum(Gift.price), 0), func.max(Gift.price))
        .join(Gift, Gift.piglist_id == Piglist.id)
        .where(
            Gift.category_id == category_id,
            Gift.is_idea.is_(False),
            Gift.deleted_at.is_(None),
            Gift.price.is_not(None),
            Gift.currency == group.currency,
        )
        .group_by(Piglist.id)
    )
    if piglist_id is not None:
        query = query.where(Piglist.id == piglist_id)
    if exclude_gift_id is not None:
        query = query.where(Gift.id != exclude_gift_id)
    return [
        (list_id, Decimal(total or 0).quantize(Decimal("0.01")), highest)
        for list_id, total, highest in db.session.execute(query)
    ]


def breaches(
    spending_limit: Decimal | None, max_item_price: Decimal | None, total: Decimal, highest: Decimal | None
) -> set[str]:
    """The limits a list's ``total`` and ``highest`` price in a category break: the one
    comparison every check makes."""
    broken = set()
    if max_item_price is not None and highest is not None and highest > max_item_price:
        broken.add("max_item_price")
    if spending_limit is not None and total > spending_limit:
        broken.add("spending_limit")
    return broken


def check_gift(
    group: Group,
    piglist: Piglist,
    category: Category | None,
    fields: Mapping[str, Any],
    gift_id: int | None = None,
    *,
    idea: bool = False,
) -> None:
    """Would the gift (``fields``' price and currency, in ``category``) keep the list within the
    category's limits? Raises MaxItemPriceExceeded or SpendingLimitExceeded; ``gift_id`` is the
    gift being changed, whose old price no longer counts. An idea is never held to them."""
    price, currency = fields.get("price"), fields.get("currency")
    if idea or category is None or not counts_toward_limits(group, price, currency):
        return
    if category.max_item_price is None and category.spending_limit is None:
        return
    assert price is not None  # counts_toward_limits said so
    total: Decimal = price
    if category.spending_limit is not None:
        usage = category_usage(group, category.id, piglist_id=piglist.id, exclude_gift_id=gift_id)
        total += usage[0][1] if usage else Decimal("0.00")
    broken = breaches(category.spending_limit, category.max_item_price, total, price)
    # One gift too dear is the plainer message, so it is told first.
    if "max_item_price" in broken:
        raise MaxItemPriceExceeded(
            f"Gifts in {category.name} can cost at most {_money(group, category.max_item_price)}.", "price"
        )
    if "spending_limit" in broken:
        raise SpendingLimitExceeded(
            f"That would bring your {category.name} total to {_money(group, total)}, "
            f"over its {_money(group, category.spending_limit)} limit.",
            "price",
        )


def first_breach(
    group: Group, category: Category, spending_limit: Decimal | None, max_item_price: Decimal | None
) -> tuple[str, str] | None:
    """The first list that the given limits would put over, as (field, what it holds), or None."""
    for list_id, total, highest in category_usage(group, category.id):
        broken = breaches(spending_limit, max_item_price, total, highest)
        if not broken:
            continue
        name = db.session.get_one(Piglist, list_id).title
        if "spending_limit" in broken:
            return "spending_limit", f"{name}'s list holds {_money(group, total)} in {category.name}"
        return "max_item_price", f"{name} wishes for a {_money(group, highest)} gift in {category.name}"
    return None


def check_limits_hold(
    group: Group, category: Category, spending_limit: Decimal | None, max_item_price: Decimal | None
) -> None:
    """Lowering a limit below what lists already hold would break the rule for them; say whose."""
    found = first_breach(group, category, spending_limit, max_item_price)
    if found is not None:
        field, holding = found
        what = "spending limit" if field == "spending_limit" else "maximum item price"
        raise ValidationFailed(f"{holding}; the {what} can't go below that.", field)


def _money(group: Group, amount: Decimal | None) -> str:
    return format_money(amount, group.currency)
