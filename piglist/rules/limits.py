"""A category's limits, in one place: ``max_item_price`` (no gift may cost more) and
``spending_limit`` (the gifts of one list in the category may not add up to more).

Every door that writes a price goes through here: adding, editing, changing a quantity, moving a
gift to another category, a scrape filling a price in (:func:`check_gift`), and an admin changing
a category's limits or the group's currency (:func:`check_limits_hold`). The owner's totals
count what :func:`counted` says counts.

A gift counts when it is a wish (ideas others add don't: limits bound what a list's recipients ask
for, SPEC 10.2), is on the list (not deleted) and has a price: its price times its quantity toward the
spending limit, its price toward the highest price per gift (SPEC 10.6). A price in another
currency than the group's counts at the latest ECB reference rate (piglist.stores.fx); with no
rate known it can't be compared, so a new such price in a category with a limit is refused
(``currency_unconvertible``), and one stored before is left out of the sums. Purchases play no
part. Callers hold the list's and the category's row locks (piglist.stores.rowlocks) so that
concurrent writes each see final sums.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from piglist.rules.money import format_money

from ..errors import CurrencyUnconvertible, MaxItemPriceExceeded, SpendingLimitExceeded, ValidationFailed
from ..extensions import db
from ..models import Category, Gift, Group, Piglist
from ..stores import fx

ZERO = Decimal("0.00")


def in_group_currency(
    group: Group, price: Decimal | None, currency: str | None, rates: fx.Rates | None = None
) -> Decimal | None:
    """``price`` in the group's currency (at the latest rate when it is in another, or at
    ``rates`` when the caller has read them), or None when there is no price or no rate."""
    if price is None:
        return None
    rates = fx.latest() if rates is None else rates
    return rates.convert(price, currency or group.currency, group.currency)


def gift_counts(group: Group, gift: Gift) -> bool:
    """The group's stats add up the wishes priced in its own currency (unconverted, one each)."""
    return (
        not gift.is_idea
        and gift.deleted_at is None
        and gift.price is not None
        and ((gift.currency or group.currency) == group.currency)
    )


def counted(group: Group, gift: Gift, rates: fx.Rates | None = None) -> Decimal | None:
    """What ``gift`` adds to its category's total, in the group's currency: price times quantity; None
    when it counts for nothing (an idea, removed, no price, no rate). ``rates``: the latest, when
    the caller counts many gifts."""
    if gift.is_idea or gift.deleted_at is not None:
        return None
    unit = in_group_currency(group, gift.price, gift.currency, rates)
    return None if unit is None else unit * (gift.quantity or 1)


def category_usage(
    group: Group, category_id: int, *, piglist_id: int | None = None, exclude_gift_id: int | None = None
) -> list[tuple[int, Decimal, Decimal | None]]:
    """Per list (by its id): the total (price times quantity) and the highest price of the gifts that
    count in the category, in the group's currency."""
    query = select(Gift.piglist_id, Gift.price, Gift.currency, Gift.quantity).where(
        Gift.category_id == category_id,
        Gift.is_idea.is_(False),
        Gift.deleted_at.is_(None),
        Gift.price.is_not(None),
    )
    if piglist_id is not None:
        query = query.where(Gift.piglist_id == piglist_id)
    if exclude_gift_id is not None:
        query = query.where(Gift.id != exclude_gift_id)
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    highest: dict[int, Decimal] = {}
    for list_id, price, currency, quantity in db.session.execute(query.order_by(Gift.piglist_id)):
        unit = in_group_currency(group, price, currency)
        if unit is None:
            continue
        totals[list_id] += unit * (quantity or 1)
        highest[list_id] = max(highest.get(list_id, unit), unit)
    return [
        (list_id, total.quantize(Decimal("0.01")), highest.get(list_id)) for list_id, total in totals.items()
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
    """Would the gift (``fields``' price, currency and quantity, in ``category``) keep the list
    within the category's limits? Raises MaxItemPriceExceeded or SpendingLimitExceeded, or
    CurrencyUnconvertible for a foreign price no rate converts; ``gift_id`` is the gift being
    changed, whose old price no longer counts. An idea is never held to them."""
    price, currency = fields.get("price"), fields.get("currency") or group.currency
    if idea or category is None or price is None:
        return
    if category.max_item_price is None and category.spending_limit is None:
        return
    unit = in_group_currency(group, price, currency)
    if unit is None:
        raise CurrencyUnconvertible(
            f"{category.name} has a limit in {group.currency}, and no exchange rate from {currency} "
            f"is known yet: give the price in {group.currency}, or choose another category.",
            "price",
        )
    quantity = fields.get("quantity") or 1
    total: Decimal = unit * quantity
    if category.spending_limit is not None:
        usage = category_usage(group, category.id, piglist_id=piglist.id, exclude_gift_id=gift_id)
        total += usage[0][1] if usage else ZERO
    broken = breaches(category.spending_limit, category.max_item_price, total, unit)
    about = "" if currency == group.currency else f" (≈ {_money(group, unit)})"
    # One gift too dear is the plainer message, so it is told first.
    if "max_item_price" in broken:
        raise MaxItemPriceExceeded(
            f"Gifts in {category.name} can cost at most {_money(group, category.max_item_price)}{about}.",
            "price",
        )
    if "spending_limit" in broken:
        raise SpendingLimitExceeded(
            f"That would bring your {category.name} total to {_money(group, total)}, "
            f"over its {_money(group, category.spending_limit)} limit.",
            "price",
        )


def check_convertible(group: Group, category: Category, field: str = "currency") -> None:
    """Every priced wish in ``category`` can be counted in the group's currency (one that can't
    would slip past its limits): else CurrencyUnconvertible on ``field``, naming one."""
    rows = db.session.execute(
        select(Gift.title, Gift.currency).where(
            Gift.category_id == category.id,
            Gift.is_idea.is_(False),
            Gift.deleted_at.is_(None),
            Gift.price.is_not(None),
            Gift.currency != group.currency,
        )
    )
    for title, currency in rows:
        if in_group_currency(group, Decimal(1), currency) is None:
            raise CurrencyUnconvertible(
                f"“{title or 'A gift'}” in {category.name} is priced in {currency}, and no exchange rate "
                f"to {group.currency} is known yet.",
                field,
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
    """Lowering a limit below what lists already hold would break the rule for them; say whose.
    Setting one where a gift's price can't be converted would let it slip past: refused too."""
    if spending_limit is not None or max_item_price is not None:
        check_convertible(
            group, category, "spending_limit" if spending_limit is not None else "max_item_price"
        )
    found = first_breach(group, category, spending_limit, max_item_price)
    if found is not None:
        field, holding = found
        what = "spending limit" if field == "spending_limit" else "maximum item price"
        raise ValidationFailed(f"{holding}; the {what} can't go below that.", field)


def _money(group: Group, amount: Decimal | None) -> str:
    return format_money(amount, group.currency)
