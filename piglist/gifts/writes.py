"""Changing gifts: the owner adds, edits and deletes; the others buy and undo.

Each change takes the list's row lock (and the category's) before it reads what a rule depends
on, checks the lock (piglist.rules.lock), duplicates and the limits (piglist.rules.limits),
writes, and emits its change event inside the transaction (published on commit).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import (
    AlreadyPurchased,
    BadRequest,
    Duplicate,
    EditConflict,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from ..extensions import db
from ..groups.service import member_group
from ..live import feed
from ..models import Gift, Group, GroupMember, Piglist, User, utcnow
from ..rowlocks import lock_row
from ..rules import limits
from ..rules.lock import ensure_unlocked
from ..rules.surprise import person
from ..scraping import spend_scrape_budget
from . import alerts
from .fields import EDITABLE, parse_gift_fields
from .loading import (
    NO_GIFT,
    get_gift,
    lock_category,
    lock_list,
    own_gift_for_change,
    own_piglist,
    with_currency,
)
from .scraping import enqueue_gift_scrape

log = logging.getLogger(__name__)


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


def add_gift(group_id: int, owner: User, data: Mapping[str, Any]) -> Gift:
    group = member_group(group_id, owner)
    fields = parse_gift_fields(data)
    if not fields.get("url") and not fields.get("title"):
        raise ValidationFailed("Give the gift a title, or paste a link to fetch it from.", "title")
    ensure_unlocked(group)
    piglist = lock_list(own_piglist(group, owner).id)
    category = lock_category(group, fields.get("category_id"))
    with_currency(group, fields)
    _check_duplicate(piglist, fields.get("url"))
    limits.check_gift(group, piglist, category, fields)
    scrape = bool(fields.get("url")) and not fields.get("title")
    if scrape:
        spend_scrape_budget(owner)
    gift = Gift(piglist=piglist, scrape_status="pending" if scrape else "manual", **fields)
    db.session.add(gift)
    _flush_unless_duplicate()
    feed.emit(group.id, "gift_created", gift_id=gift.id, owner_id=owner.id)
    db.session.commit()
    if scrape:
        try:
            enqueue_gift_scrape(gift.id, owner.id)
        except RedisError as exc:
            # The gift is saved; housekeeping re-queues pending gifts once Redis is back.
            log.warning("scrape of gift %s not queued: %s", gift.id, exc)
    return gift


def update_gift(
    gift_id: int, owner: User, data: Mapping[str, Any], expected_updated_at: datetime | None = None
) -> Gift:
    """Change the given fields. ``expected_updated_at`` (the edit page sends it) refuses to save
    over a change made since the form was opened, such as a scrape that filled the gift in."""
    gift, group = own_gift_for_change(gift_id, owner)
    fields = parse_gift_fields(data)
    ensure_unlocked(group)
    piglist = lock_list(gift.piglist_id)
    db.session.refresh(gift)
    if gift.deleted_at is not None:
        raise NotFound(NO_GIFT)
    if expected_updated_at is not None and gift.updated_at != expected_updated_at:
        raise EditConflict(
            "This gift changed while you were editing it (its details may have been fetched). "
            "Check the form and save again."
        )
    merged = with_currency(group, {name: fields.get(name, getattr(gift, name)) for name in EDITABLE})
    if not (merged["title"] or merged["url"]):
        raise ValidationFailed("Give the gift a title, or a link.", "title")
    category = lock_category(group, merged["category_id"])
    _check_duplicate(piglist, merged["url"], gift.id)
    limits.check_gift(group, piglist, category, merged, gift.id)
    if (merged["price"], merged["currency"]) != (gift.price, gift.currency):
        # The shop's regular price was the one before its discount on the shop's price.
        gift.regular_price = None
    before = alerts.snapshot(gift)
    for name in EDITABLE:
        setattr(gift, name, merged[name])
    gift.updated_at = utcnow()
    _flush_unless_duplicate()
    alerts.note_change(gift, before)
    feed.emit(group.id, "gift_updated", gift_id=gift.id, owner_id=owner.id)
    db.session.commit()
    return gift


def delete_gift(gift_id: int, owner: User) -> None:
    """A soft delete: a gift someone already bought stays visible to that person, marked removed."""
    gift, group = own_gift_for_change(gift_id, owner)
    ensure_unlocked(group)
    gift.deleted_at = utcnow()
    alerts.note_change(gift, alerts.snapshot(gift))
    feed.emit(group.id, "gift_deleted", gift_id=gift.id, owner_id=owner.id)
    db.session.commit()


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
    feed.emit(
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
    feed.emit(gift.piglist.group_id, "gift_unpurchased", gift_id=gift.id, owner_id=gift.piglist.user_id)
    db.session.commit()
    db.session.refresh(gift)
    return gift


def former_buyers(group: Group) -> list[tuple[User, int]]:
    """People who no longer belong to ``group`` but still hold purchases on its lists, with how
    many: their purchases can only be released by an admin (release_purchases)."""
    members = select(GroupMember.user_id).where(GroupMember.group_id == group.id)
    rows = db.session.execute(
        select(User, func.count(Gift.id))
        .join(Gift, Gift.purchased_by_id == User.id)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .where(Piglist.group_id == group.id, Gift.status == "purchased", User.id.not_in(members))
        .group_by(User.id)
        .order_by(User.display_name, User.id)
    ).all()
    return [(user, count) for user, count in rows]


def release_purchases(group: Group, user_id: int) -> int:
    """Make the gifts a departed member bought on ``group``'s lists available again (the caller
    checked the admin); returns how many. The others see each gift come back live; owners see
    nothing, as with any undo. A current member's purchases are theirs to undo."""
    lock_row(Group, group.id)  # nobody joins or leaves while we decide who has left
    if db.session.get(GroupMember, (group.id, user_id)) is not None:
        raise BadRequest("That person is still in the group: only they can undo their purchases.", "user_id")
    gifts = db.session.scalars(
        select(Gift)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .where(Piglist.group_id == group.id, Gift.status == "purchased", Gift.purchased_by_id == user_id)
        .with_for_update(of=Gift)
    ).all()
    for gift in gifts:
        gift.status, gift.purchased_by_id, gift.purchased_at = "available", None, None
        feed.emit(group.id, "gift_unpurchased", gift_id=gift.id, owner_id=gift.piglist.user_id)
    db.session.commit()
    return len(gifts)


def release_everything_bought_by(buyer: User) -> int:
    """Everything ``buyer`` bought becomes available again (their account is being erased), in the
    caller's transaction; the others see it live, the owners learn nothing (the events pass the
    surprise rule like any undo). Returns how many gifts were released."""
    bought = db.session.execute(
        select(Gift.id, Gift.deleted_at, Piglist.group_id, Piglist.user_id)
        .join(Gift.piglist)
        .where(Gift.purchased_by_id == buyer.id, Gift.status == "purchased")
        .with_for_update(of=Gift)
    ).all()
    if not bought:
        return 0
    db.session.execute(
        update(Gift)
        .where(Gift.id.in_([row.id for row in bought]))
        .values(status="available", purchased_by_id=None, purchased_at=None)
        .execution_options(synchronize_session=False)
    )
    for row in bought:
        # A gift its owner removed after the purchase was visible to the buyer alone: nobody to tell.
        if row.deleted_at is None:
            feed.emit(row.group_id, "gift_unpurchased", gift_id=row.id, owner_id=row.user_id)
    return len(bought)
