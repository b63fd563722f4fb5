"""Gifts: adding, editing, deleting, buying, and reading the lists.

Every rule about a gift lives here once — who may change it, the lock, duplicates,
``max_item_price`` and ``spending_limit`` — and every door calls these functions.
What a person may *see* of a gift is piglist.gifts.visibility's decision.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from .. import events, presence
from ..errors import (
    AlreadyPurchased,
    Duplicate,
    EditConflict,
    Forbidden,
    MaxItemPriceExceeded,
    NotFound,
    SpendingLimitExceeded,
    ValidationFailed,
)
from ..extensions import db
from ..formatting import format_money
from ..groups.service import ensure_unlocked, member_group
from ..limits import category_usage, counts_toward_limits, gift_counts
from ..locking import lock_row
from ..models import Category, Gift, Group, GroupMember, Piglist, User, utcnow
from ..scraper.jobs import enqueue_gift_scrape, spend_scrape_budget
from ..validation import clean_text, parse_currency, parse_int, parse_money, parse_web_url
from .visibility import may_see, person, present_gift

log = logging.getLogger(__name__)

EDITABLE = ("url", "title", "description", "price", "currency", "category_id", "image_url", "options")
MAX_DESCRIPTION = 5000
MAX_OPTIONS = 20
SORTS = {"price", "-price", "created", "-created"}
NO_GIFT = "No such gift (or it isn't in one of your groups)."


# --- input ---------------------------------------------------------------------------------


def clean_description(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValidationFailed("The description must be text.", "description")
    text = "\n".join(line.rstrip() for line in value.strip().replace("\r\n", "\n").split("\n"))
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"The description can be at most {MAX_DESCRIPTION} characters long.", "description"
        )
    return text


def clean_options(value: Any) -> dict[str, str]:
    """Options such as size or colour: a flat object of short texts ({"size": "M"})."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationFailed(
            'The options must be an object such as {"size": "M", "colour": "red"}.', "options"
        )
    if len(value) > MAX_OPTIONS:
        raise ValidationFailed(f"A gift can have at most {MAX_OPTIONS} options.", "options")
    options = {}
    for key, raw in value.items():
        name = clean_text(key, "options", max_length=50)
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise ValidationFailed(f'The option {name!r} must be a short text such as "M".', "options")
        options[name] = clean_text(str(raw), "options", max_length=100)
    return options


PARSERS = {
    "url": lambda v: parse_web_url(v, "url"),
    "title": lambda v: clean_text(v, "title", max_length=255, required=False),
    "description": clean_description,
    "price": lambda v: parse_money(v, "price"),
    "currency": lambda v: parse_currency(v),
    "category_id": lambda v: parse_int(v, "category_id"),
    "image_url": lambda v: parse_web_url(v, "image_url"),
    "options": clean_options,
}


def parse_gift_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields present in ``data``, validated; unknown keys are ignored."""
    return {name: PARSERS[name](data[name]) for name in EDITABLE if name in data}


# --- loading -------------------------------------------------------------------------------


def _gift_query():
    return (
        select(Gift)
        .join(Gift.piglist)
        .options(contains_eager(Gift.piglist).joinedload(Piglist.owner), joinedload(Gift.purchased_by))
    )


def get_gift(gift_id: int, viewer: User, group_id: int | None = None) -> Gift:
    """A gift in one of the viewer's groups that they may see — in ``group_id`` when given (a
    page's URL or a poll names the group) — NotFound otherwise."""
    gift = db.session.scalar(_gift_query().where(Gift.id == gift_id))
    if gift is None or db.session.get(GroupMember, (gift.piglist.group_id, viewer.id)) is None:
        raise NotFound(NO_GIFT)
    if group_id is not None and gift.piglist.group_id != group_id:
        raise NotFound(NO_GIFT)
    if not may_see(gift, viewer):
        raise NotFound(NO_GIFT)
    return gift


def own_piglist(group: Group, user: User) -> Piglist:
    piglist = db.session.scalar(
        select(Piglist).where(Piglist.group_id == group.id, Piglist.user_id == user.id)
    )
    if piglist is None:
        raise NotFound("You have no list in this group.")
    return piglist


def _own_gift_for_change(gift_id: int, user: User) -> tuple[Gift, Group]:
    gift = get_gift(gift_id, user)
    if gift.piglist.user_id != user.id:
        raise Forbidden("Only the list's owner can change or remove this gift.")
    if gift.deleted_at is not None:
        raise NotFound(NO_GIFT)
    return gift, gift.piglist.group


# --- the limits ------------------------------------------------------------------------------


def check_limits(
    group: Group, piglist: Piglist, category: Category | None, fields: Mapping[str, Any], gift_id=None
):
    price, currency = fields.get("price"), fields.get("currency")
    if category is None or not counts_toward_limits(group, price, currency):
        return
    money = group_money(group)
    if category.max_item_price is not None and price > category.max_item_price:
        raise MaxItemPriceExceeded(
            f"Gifts in {category.name} can cost at most {money(category.max_item_price)}.", "price"
        )
    if category.spending_limit is None:
        return
    usage = category_usage(group, category.id, piglist_id=piglist.id, exclude_gift_id=gift_id)
    total = (usage[0][1] if usage else Decimal("0.00")) + price
    if total > category.spending_limit:
        raise SpendingLimitExceeded(
            f"That would bring your {category.name} total to {money(total)}, "
            f"over its {money(category.spending_limit)} limit.",
            "price",
        )


def group_money(group: Group):
    return lambda amount: format_money(amount, group.currency)


def _lock_list(piglist_id: int) -> Piglist:
    """Lock the list before reading anything a limit or a duplicate check depends on.

    Every write to one list queues behind the one before, so the sums each sees are final.
    Row locks were chosen over SERIALIZABLE because they need no retry loop at every door, and
    the critical section is a handful of rows. Callers re-read the gift after this lock."""
    return lock_row(Piglist, piglist_id)


def _lock_category(group: Group, category_id: int | None) -> Category | None:
    """Locked too, so an admin can't lower its limits between our check and our commit."""
    if category_id is None:
        return None
    category = lock_row(Category, category_id)
    if category is None or category.group_id != group.id:
        raise ValidationFailed("That category doesn't exist in this group.", "category_id")
    return category


def _with_currency(group: Group, fields: dict[str, Any]) -> dict[str, Any]:
    """A price without a currency is in the group's currency."""
    if fields.get("price") is not None and not fields.get("currency"):
        fields["currency"] = group.currency
    return fields


DUPLICATE_LINK = "That link is already on your list."


def _flush_unless_duplicate() -> None:
    """The unique index decides when the same link is added twice at the very same moment."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Duplicate(DUPLICATE_LINK, "url") from None


def _check_duplicate(piglist: Piglist, url: str | None, gift_id: int | None = None) -> None:
    if url is None:
        return
    clash = db.session.scalar(
        select(Gift.id).where(
            Gift.piglist_id == piglist.id,
            Gift.url == url,
            Gift.deleted_at.is_(None),
            *([Gift.id != gift_id] if gift_id is not None else []),
        )
    )
    if clash is not None:
        raise Duplicate(DUPLICATE_LINK, "url")


# --- changes by the owner ---------------------------------------------------------------------


def add_gift(group_id: int, owner: User, data: Mapping[str, Any]) -> Gift:
    group = member_group(group_id, owner)
    fields = parse_gift_fields(data)
    if not fields.get("url") and not fields.get("title"):
        raise ValidationFailed("Give the gift a title, or paste a link to fetch it from.", "title")
    ensure_unlocked(group)
    piglist = _lock_list(own_piglist(group, owner).id)
    category = _lock_category(group, fields.get("category_id"))
    _with_currency(group, fields)
    _check_duplicate(piglist, fields.get("url"))
    check_limits(group, piglist, category, fields)
    scrape = bool(fields.get("url")) and not fields.get("title")
    if scrape:
        spend_scrape_budget(owner)
    gift = Gift(piglist=piglist, scrape_status="pending" if scrape else "manual", **fields)
    db.session.add(gift)
    _flush_unless_duplicate()
    events.emit(group.id, "gift_created", gift_id=gift.id, owner_id=owner.id)
    db.session.commit()
    if scrape:
        try:
            enqueue_gift_scrape(gift.id)
        except RedisError as exc:
            # The gift is saved; housekeeping re-queues pending gifts once Redis is back.
            log.warning("scrape of gift %s not queued: %s", gift.id, exc)
    return gift


def own_gift(gift_id: int, user: User) -> Gift:
    """A gift of ``user``'s own list, for changing it: Forbidden for anyone else's."""
    return _own_gift_for_change(gift_id, user)[0]


def update_gift(
    gift_id: int, owner: User, data: Mapping[str, Any], expected_updated_at: datetime | None = None
) -> Gift:
    """Change the given fields. ``expected_updated_at`` (the edit page sends it) refuses to save
    over a change made since the form was opened, such as a scrape that filled the gift in."""
    gift, group = _own_gift_for_change(gift_id, owner)
    fields = parse_gift_fields(data)
    ensure_unlocked(group)
    piglist = _lock_list(gift.piglist_id)
    db.session.refresh(gift)
    if gift.deleted_at is not None:
        raise NotFound(NO_GIFT)
    if expected_updated_at is not None and gift.updated_at != expected_updated_at:
        raise EditConflict(
            "This gift changed while you were editing it (its details may have been fetched). "
            "Check the form and save again."
        )
    merged = _with_currency(group, {name: fields.get(name, getattr(gift, name)) for name in EDITABLE})
    if not (merged["title"] or merged["url"]):
        raise ValidationFailed("Give the gift a title, or a link.", "title")
    category = _lock_category(group, merged["category_id"])
    _check_duplicate(piglist, merged["url"], gift.id)
    check_limits(group, piglist, category, merged, gift.id)
    for name in EDITABLE:
        setattr(gift, name, merged[name])
    gift.updated_at = utcnow()
    _flush_unless_duplicate()
    events.emit(group.id, "gift_updated", gift_id=gift.id, owner_id=owner.id)
    db.session.commit()
    return gift


def delete_gift(gift_id: int, owner: User) -> None:
    """A soft delete: a gift someone already bought stays visible to that person, marked removed."""
    gift, group = _own_gift_for_change(gift_id, owner)
    ensure_unlocked(group)
    gift.deleted_at = utcnow()
    events.emit(group.id, "gift_deleted", gift_id=gift.id, owner_id=owner.id)
    db.session.commit()


def apply_scrape(gift_id: int, found: Mapping[str, Any] | None, error: str | None) -> str:
    """Fill a pending gift with what the scraper found; only fields still empty are filled, so
    whatever the owner typed meanwhile wins. Scraped text is untrusted: it is cleaned like any
    input and always escaped on output."""
    gift = db.session.get(Gift, gift_id)
    if gift is None or gift.scrape_status != "pending":
        return "skipped"
    group = gift.piglist.group
    piglist = _lock_list(gift.piglist_id)
    db.session.refresh(gift)
    if gift.scrape_status != "pending" or gift.deleted_at is not None:
        return "skipped"
    category = _lock_category(group, gift.category_id)
    if found is None:
        gift.scrape_status, gift.scrape_error = "failed", (error or "We couldn't read that page.")[:255]
    else:
        gift.scrape_status, gift.scrape_error = "success", None
        _fill_empty_fields(gift, found)
        price, currency = _scraped_money(found)
        if gift.price is None and price is not None:
            candidate = {"price": price, "currency": currency or group.currency}
            try:
                check_limits(group, piglist, category, candidate, gift.id)
            except (MaxItemPriceExceeded, SpendingLimitExceeded) as exc:
                gift.scrape_error = f"The shop's price ({format_money(price, candidate['currency'])}) wasn't filled in: {exc.message}"[
                    :255
                ]
            else:
                gift.price, gift.currency = price, candidate["currency"]
    gift.updated_at = utcnow()
    events.emit(group.id, "gift_updated", gift_id=gift.id, owner_id=piglist.user_id)
    db.session.commit()
    return gift.scrape_status


def _fill_empty_fields(gift: Gift, found: Mapping[str, Any]) -> None:
    # Scraped options are the shop's choices (every size); the gift's options are the owner's
    # pick, so they are offered on the form, never filled in.
    cleaners = {
        "title": lambda v: clean_text(str(v)[:255], "title", max_length=255, required=False),
        "description": lambda v: clean_description(str(v)[:MAX_DESCRIPTION]),
        "image_url": lambda v: parse_web_url(v, "image_url"),
    }
    for name, clean in cleaners.items():
        if getattr(gift, name) or not found.get(name):
            continue
        try:
            setattr(gift, name, clean(found[name]))
        except ValidationFailed:
            log.info("scraped %s of gift %s ignored", name, gift.id)


def _scraped_money(found: Mapping[str, Any]) -> tuple[Decimal | None, str | None]:
    try:
        price = parse_money(found.get("price"), "price")
        currency = parse_currency(found.get("currency")) if found.get("currency") else None
    except ValidationFailed:
        return None, None
    return price, currency


# --- buying ----------------------------------------------------------------------------------

ONLY_THE_BUYER = "Only the person who bought this gift can undo it."


def purchase(gift_id: int, buyer: User) -> Gift:
    """Exactly one of any number of simultaneous attempts wins: the update only matches an
    available gift, and the database applies one update to a row at a time."""
    gift = get_gift(gift_id, buyer)
    if gift.piglist.user_id == buyer.id:
        raise Forbidden("You can't buy a gift from your own list.")
    result = db.session.execute(
        update(Gift)
        .where(Gift.id == gift.id, Gift.status == "available", Gift.deleted_at.is_(None))
        .values(status="purchased", purchased_by_id=buyer.id, purchased_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(gift)
        if gift.deleted_at is not None:
            raise NotFound("This gift was just removed from the list.")
        raise AlreadyPurchased("Someone has already bought this gift.")
    events.emit(
        gift.piglist.group_id,
        "gift_purchased",
        gift_id=gift.id,
        owner_id=gift.piglist.user_id,
        purchased_by=person(buyer),
    )
    db.session.commit()
    db.session.refresh(gift)
    return gift


def unpurchase(gift_id: int, buyer: User) -> Gift:
    """Only the buyer can undo; undoing what is already undone (a double click) is harmless.
    The owner gets the same refusal whether or not the gift was bought."""
    gift = get_gift(gift_id, buyer)
    if gift.piglist.user_id == buyer.id:
        raise Forbidden(ONLY_THE_BUYER)
    result = db.session.execute(
        update(Gift)
        .where(Gift.id == gift.id, Gift.status == "purchased", Gift.purchased_by_id == buyer.id)
        .values(status="available", purchased_by_id=None, purchased_at=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(gift)
        if gift.is_purchased:
            raise Forbidden(ONLY_THE_BUYER)
        return gift
    events.emit(gift.piglist.group_id, "gift_unpurchased", gift_id=gift.id, owner_id=gift.piglist.user_id)
    db.session.commit()
    db.session.refresh(gift)
    return gift


# --- reading lists ---------------------------------------------------------------------------


@dataclass
class PiglistView:
    user: User
    gifts: list[dict[str, Any]] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)


def viewers_by_gift(gift_ids: list[int]) -> dict[int, dict[int, User]]:
    """Who is looking at each gift, as users (one presence call and one query for all gifts).
    With Redis down nobody is shown as looking: the page still works."""
    try:
        looking = presence.store().viewers(gift_ids)
    except RedisError as exc:
        log.warning("presence unavailable: %s", exc)
        return {}
    user_ids = {uid for uids in looking.values() for uid in uids}
    users = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
    )
    return {gid: {uid: users[uid] for uid in uids if uid in users} for gid, uids in looking.items()}


def category_totals(group: Group, categories: list[Category], gifts: list[Gift]) -> list[dict[str, Any]]:
    """Per category, what a list holds in the group's currency. Purchases play no part in it, so
    the owner's totals never move when someone buys."""
    sums: dict[int, Decimal] = defaultdict(Decimal)
    for gift in gifts:
        if gift.category_id and gift_counts(group, gift):
            sums[gift.category_id] += gift.price
    return [
        {"category_id": c.id, "total": sums.get(c.id, Decimal("0.00")), "spending_limit": c.spending_limit}
        for c in categories
    ]


def parse_list_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for key in ("member", "category"):
        if args.get(key) not in (None, ""):
            filters[key] = parse_int(args.get(key), key)
    sort = args.get("sort") or None
    if sort is not None and sort not in SORTS:
        raise ValidationFailed("Sort by 'price', '-price', 'created' or '-created'.", "sort")
    filters["sort"] = sort
    return filters


def _sort_key(sort: str | None, category_order: dict[int | None, int]):
    if sort in ("price", "-price"):
        missing = Decimal("Infinity") if sort == "price" else Decimal("-Infinity")
        return lambda v: (v["price"] if v["price"] is not None else missing, v["id"])
    if sort in ("created", "-created"):
        return lambda v: (v["created_at"], v["id"])
    return lambda v: (category_order.get(v["category_id"], len(category_order)), v["created_at"], v["id"])


def group_piglists(
    group_id: int, viewer: User, filters: Mapping[str, Any] | None = None
) -> list[PiglistView]:
    """Every member's list as ``viewer`` may see it. A fixed number of queries, whatever the
    number of gifts: members, categories, gifts (with owners and purchasers), viewers."""
    filters = filters or {}
    group = member_group(group_id, viewer)
    members = db.session.scalars(
        select(GroupMember).where(GroupMember.group_id == group.id).options(joinedload(GroupMember.user))
    ).all()
    categories = list(
        db.session.scalars(
            select(Category)
            .where(Category.group_id == group.id)
            .order_by(Category.display_order, Category.id)
        )
    )
    gifts = db.session.scalars(
        _gift_query().where(
            Piglist.group_id == group.id,
            or_(
                Gift.deleted_at.is_(None), and_(Gift.purchased_by_id == viewer.id, Gift.status == "purchased")
            ),
        )
    ).all()
    looking = viewers_by_gift([g.id for g in gifts if g.piglist.user_id != viewer.id])
    by_owner: dict[int, list[Gift]] = defaultdict(list)
    for gift in gifts:
        if may_see(gift, viewer):
            by_owner[gift.piglist.user_id].append(gift)

    category_order = {c.id: i for i, c in enumerate(categories)}
    sort_key = _sort_key(filters.get("sort"), category_order)
    views = []
    for member in sorted(
        members, key=lambda m: (m.user_id != viewer.id, m.user.display_name.lower(), m.user_id)
    ):
        if filters.get("member") and member.user_id != filters["member"]:
            continue
        own = by_owner.get(member.user_id, [])
        shown = [present_gift(g, viewer, looking.get(g.id)) for g in own]
        if filters.get("category"):
            shown = [v for v in shown if v["category_id"] == filters["category"]]
        shown.sort(key=sort_key, reverse=filters.get("sort") in ("-price", "-created"))
        views.append(PiglistView(member.user, shown, category_totals(group, categories, own)))
    return views


def one_piglist(
    group_id: int, user_id: int, viewer: User, filters: Mapping[str, Any] | None = None
) -> PiglistView:
    views = group_piglists(group_id, viewer, {**(filters or {}), "member": user_id})
    if not views:
        raise NotFound("That person is not a member of this group.")
    return views[0]


def gift_view(gift_id: int, viewer: User, group_id: int | None = None) -> dict[str, Any]:
    return view_of(get_gift(gift_id, viewer, group_id), viewer)


def view_of(gift: Gift, viewer: User) -> dict[str, Any]:
    """The gift as ``viewer`` may see it, with who is looking (never asked for the owner)."""
    looking = viewers_by_gift([gift.id]) if gift.piglist.user_id != viewer.id else {}
    return present_gift(gift, viewer, looking.get(gift.id))


def group_stats(group_id: int, viewer: User) -> dict[str, Any]:
    """Counts and totals. Purchases are counted only on other people's lists, so nobody can read
    their own list's purchases off the figures."""
    group = member_group(group_id, viewer)
    gifts = db.session.scalars(
        _gift_query().where(Piglist.group_id == group.id, Gift.deleted_at.is_(None))
    ).all()
    others = [g for g in gifts if g.piglist.user_id != viewer.id]
    mine = [g for g in gifts if g.piglist.user_id == viewer.id]
    value = sum((g.price for g in gifts if gift_counts(group, g)), Decimal("0.00"))
    return {
        "group_id": group.id,
        "currency": group.currency,
        "members": db.session.scalar(select(func.count()).where(GroupMember.group_id == group.id)),
        "gifts": len(gifts),
        "total_value": value,
        "my_gifts": len(mine),
        "others_gifts": len(others),
        "others_purchased": sum(1 for g in others if g.is_purchased),
        "others_available": sum(1 for g in others if not g.is_purchased),
        "bought_by_me": sum(1 for g in others if g.purchased_by_id == viewer.id),
    }
