"""Changing gifts: a list's keepers add, edit and delete wishes, others add ideas (buying is
piglist.gifts.buying).

Each change takes the list's row lock (and the category's) before it reads what a rule depends
on, checks the lock (piglist.rules.lock), duplicates and the limits (piglist.rules.limits),
writes, and emits its change event inside the transaction (published on commit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from piglist.scraping.gifts import enqueue_gift_scrape, regular_price_from_preview
from piglist.scraping.service import spend_scrape_budget
from piglist.stores import jobs
from piglist.stores.rowlocks import lock_row

from ..errors import Duplicate, EditConflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..groups.access import member_group
from ..live import feed
from ..models import Gift, Group, Piglist, Purchase, User, utcnow
from ..occasions.service import check_gift_occasion
from ..rules import limits
from ..rules.lock import ensure_unlocked
from ..rules.surprise import is_recipient
from . import alerts
from .fields import EDITABLE, parse_gift_fields
from .loading import (
    NO_GIFT,
    lock_category,
    lock_list,
    own_gift_for_change,
    own_piglist,
    visible_list,
    with_currency,
)
from .pictures import encode_upload, enqueue_picture_fetch, picture_fields

DUPLICATE_LINK = "That link is already on your list."


def _flush_unless_duplicate() -> None:
    """The unique index decides when the same link is added twice at the very same moment."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Duplicate(DUPLICATE_LINK, "url") from None


def _check_duplicate(
    piglist: Piglist, url: str | None, gift_id: int | None = None, idea: bool = False
) -> None:
    """A wish clashes with the list's wishes only, never with an idea its recipients can't see;
    an idea's author (never a recipient) is told of a clash with either."""
    if url is None:
        return
    clash = db.session.scalar(
        select(Gift.id).where(
            Gift.piglist_id == piglist.id,
            Gift.url == url,
            Gift.deleted_at.is_(None),
            *([] if idea else [Gift.is_idea.is_(False)]),
            *([Gift.id != gift_id] if gift_id is not None else []),
        )
    )
    if clash is not None:
        raise Duplicate(DUPLICATE_LINK, "url")


def _queue_after_commit(gift: Gift, owner_id: int, scrape: bool) -> None:
    """Jobs start once the gift is saved; when Redis doesn't take them, they are queued again
    in the background (a busy moment), and with Redis down housekeeping or `rescrape` re-queue.
    Twice is harmless: a scrape finding the gift no longer pending, and a picture fetch finding
    it fetched, step aside."""
    gift_id, picture = gift.id, bool(gift.image_source)

    def queue() -> None:
        if scrape:
            enqueue_gift_scrape(gift_id, owner_id)
        if picture:
            enqueue_picture_fetch(gift_id)

    jobs.queue_when_redis_answers(queue, f"jobs for gift {gift_id}")


def add_gift(group_id: int, owner: User, data: Mapping[str, Any], picture: bytes | None = None) -> Gift:
    """A wish on ``owner``'s own list. ``picture`` is an uploaded file's bytes; it wins over an
    ``image_url`` link."""
    group = member_group(group_id, owner)
    return _add(group, own_piglist(group, owner), owner, data, picture)


def add_to_list(list_id: int, author: User, data: Mapping[str, Any], picture: bytes | None = None) -> Gift:
    """A gift on any list of the author's groups: a wish when they keep the list, an idea
    (SPEC 10.2) when they are neither its recipient nor its keeper. A recipient who doesn't keep
    the list can't add to it."""
    piglist = visible_list(list_id, author)
    return _add(piglist.group, piglist, author, data, picture)


def _add(
    group: Group, piglist: Piglist, author: User, data: Mapping[str, Any], picture: bytes | None
) -> Gift:
    idea = author.id not in piglist.manager_ids
    if idea and is_recipient(author, piglist):
        raise Forbidden("This list is kept by someone else: ask them to add your gift.")
    fields = parse_gift_fields(data)
    if not fields.get("url") and not fields.get("title"):
        raise ValidationFailed("Give the gift a title, or paste a link to fetch it from.", "title")
    upload = encode_upload(picture, author)  # before any lock: decoding takes a moment
    ensure_unlocked(group)
    piglist = lock_list(piglist.id)
    category = lock_category(group, fields.get("category_id"))
    check_gift_occasion(piglist, fields.get("occasion_id"))
    with_currency(group, fields)
    _check_duplicate(piglist, fields.get("url"), idea=idea)
    limits.check_gift(group, piglist, category, fields, idea=idea)
    scrape = bool(fields.get("url")) and not fields.get("title")
    if scrape:
        spend_scrape_budget(author)
    fields.update(picture_fields(fields, upload, author))
    gift = Gift(
        piglist=piglist,
        added_by_id=author.id,
        is_idea=idea,
        scrape_status="pending" if scrape else "manual",
        **fields,
    )
    if not scrape:
        regular_price_from_preview(gift)
    db.session.add(gift)
    _flush_unless_duplicate()
    feed.emit("gift_created", gift)
    db.session.commit()
    _queue_after_commit(gift, author.id, scrape)
    return gift


def update_gift(
    gift_id: int,
    owner: User,
    data: Mapping[str, Any],
    expected_updated_at: datetime | None = None,
    picture: bytes | None = None,
) -> Gift:
    """Change the given fields. ``expected_updated_at`` (the edit page sends it) refuses to save
    over a change made since the form was opened, such as a scrape that filled the gift in."""
    gift, group = own_gift_for_change(gift_id, owner)
    fields = parse_gift_fields(data)
    upload = encode_upload(picture, owner)
    ensure_unlocked(group)
    piglist = lock_list(gift.piglist_id)
    lock_row(Gift, gift.id)  # buyers lock the gift: the quantity can't change under a purchase
    if gift.deleted_at is not None:
        raise NotFound(NO_GIFT)
    if expected_updated_at is not None and gift.updated_at != expected_updated_at:
        raise EditConflict(
            "This gift changed while you were editing it (its details may have been fetched). "
            "Check the form and save again."
        )
    pictures = picture_fields(fields, upload, owner, gift)
    fields.pop("image_url", None)
    merged = with_currency(group, {name: fields.get(name, getattr(gift, name)) for name in EDITABLE})
    if not (merged["title"] or merged["url"]):
        raise ValidationFailed("Give the gift a title, or a link.", "title")
    category = lock_category(group, merged["category_id"])
    if "occasion_id" in fields:
        check_gift_occasion(piglist, fields["occasion_id"])
    _check_duplicate(piglist, merged["url"], gift.id, idea=gift.is_idea)
    limits.check_gift(group, piglist, category, merged, gift.id, idea=gift.is_idea)
    if (merged["price"], merged["currency"]) != (gift.price, gift.currency):
        # The shop's regular price was the one before its discount on the shop's price.
        gift.regular_price = None
    before = alerts.snapshot(gift)
    for name, value in {**merged, **pictures}.items():
        setattr(gift, name, value)
    # A quantity changed past what is bought makes the gift bought, or available again. The
    # owner is told nothing either way: they may change the quantity whatever is bought.
    # Counted afresh under the gift's lock: the purchases read before it may be stale.
    gift.status = "purchased" if _bought_so_far(gift.id) >= gift.quantity else "available"
    gift.updated_at = utcnow()
    _flush_unless_duplicate()
    alerts.note_change(gift, before)
    feed.emit("gift_updated", gift)
    db.session.commit()
    if "image_source" in pictures:
        _queue_after_commit(gift, owner.id, scrape=False)
    return gift


def delete_gift(gift_id: int, owner: User) -> None:
    """A soft delete: a gift someone already bought stays visible to that person, marked removed."""
    gift, group = own_gift_for_change(gift_id, owner)
    ensure_unlocked(group)
    gift.deleted_at = utcnow()
    alerts.note_change(gift, alerts.snapshot(gift))
    feed.emit("gift_deleted", gift)
    db.session.commit()


def _bought_so_far(gift_id: int) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(Purchase.quantity), 0)).where(Purchase.gift_id == gift_id)
        )
        or 0
    )
