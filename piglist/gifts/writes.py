"""Changing gifts: a list's keepers add, edit and delete wishes, others add ideas; the others buy and undo.

Each change takes the list's row lock (and the category's) before it reads what a rule depends
on, checks the lock (piglist.rules.lock), duplicates and the limits (piglist.rules.limits),
writes, and emits its change event inside the transaction (published on commit).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from piglist.scraping.gifts import enqueue_gift_scrape
from piglist.scraping.service import spend_scrape_budget
from piglist.stores import jobs
from piglist.stores.rowlocks import lock_row, locked_all

from ..errors import (
    AlreadyPurchased,
    BadRequest,
    Duplicate,
    EditConflict,
    Forbidden,
    NotFound,
    PiglistError,
    ValidationFailed,
)
from ..extensions import db
from ..groups.service import member_group
from ..live import feed
from ..models import Gift, Group, GroupMember, Piglist, Purchase, User, utcnow
from ..occasions.service import check_gift_occasion
from ..rules import limits
from ..rules.lock import ensure_unlocked
from ..rules.surprise import is_owner, is_recipient, person, purchases_visible_to
from . import alerts, group_gifts
from .fields import EDITABLE, parse_gift_fields, parse_quantity
from .loading import (
    NO_GIFT,
    lock_category,
    lock_gift_for_buying,
    lock_list,
    own_gift_for_change,
    own_piglist,
    purchases_of,
    visible_list,
    with_currency,
)
from .pictures import encode_upload, enqueue_picture_fetch, picture_fields

log = logging.getLogger(__name__)


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
        raise Forbidden("This list is kept by someone else: ask them to add your wish.")
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


ONLY_THE_BUYER = "Only the person who bought this gift can undo it."


def _bought_so_far(gift_id: int) -> int:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(Purchase.quantity), 0)).where(Purchase.gift_id == gift_id)
        )
        or 0
    )


def _tally(gift: Gift) -> None:
    """Write the gift's :func:`_summary` of its purchases, all in memory (read under its lock,
    then changed here): the gift's row is written only when its summary changes."""
    for name, value in _summary(gift).items():
        if getattr(gift, name) != value:
            setattr(gift, name, value)


def _summary(gift: Gift) -> dict[str, Any]:
    """What the gift's row says of its purchases (all in memory): bought when they add up to its
    quantity; purchased_by and purchased_at are the first purchase's (what clients of the first
    release read)."""
    gift.purchases.sort(key=_purchase_order)
    first = gift.purchases[0] if gift.purchases else None
    return {
        "status": "purchased" if gift.purchased_quantity >= gift.quantity else "available",
        "purchased_by_id": first.user_id if first else None,
        "purchased_at": first.purchased_at if first else None,
    }


def _purchase_order(purchase: Purchase) -> tuple[datetime, float]:
    # The relationship's order. A purchase not yet saved is the newest, and so gets the highest id
    # when it is: the buyers before it committed theirs before it took the gift's lock.
    return purchase.purchased_at, purchase.id if purchase.id is not None else float("inf")


def _commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the answer is made of the rows read under
    the gift's lock and what was just written, so nothing is read again after the commit (and the
    live event, published on commit, goes out sooner). For this one commit only.

    A refusal ends its transaction this way too, having changed nothing: the lock goes at once and
    what was read under it stays for the page that shows the refusal on the gift (a rollback
    would expire the buyer and the group as well, and the page would read them again). Callers
    start buying with no unsaved work of their own in the session."""
    session = db.session()
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring


def purchase(gift_id: int, buyer: User, quantity: Any = None, group_id: int | None = None) -> Gift:
    """Buy ``quantity`` (default 1) of a gift (in ``group_id`` when given, as a page's URL names
    it). Buyers queue on the gift's row lock, each reading what is bought after the one before
    committed, so racing buyers never exceed the quantity. When fewer remain than asked for,
    nothing changes and the answer is ``already_purchased``. The gift returned is the one saved,
    with its purchases loaded."""
    try:
        gift = lock_gift_for_buying(gift_id, buyer, group_id)
        if is_owner(gift, buyer):
            raise Forbidden("You can't buy a gift from your own list.")
        wanted = parse_quantity(quantity)
        if gift.deleted_at is not None:  # still shown to those who had bought some of it
            raise NotFound("This gift was just removed from the list.")
        remaining = gift.quantity - gift.purchased_quantity
        if remaining < wanted:
            if remaining <= 0:
                raise AlreadyPurchased("Someone has already bought this gift.")
            raise AlreadyPurchased(f"Only {remaining} of {gift.quantity} are still to buy.", "quantity")
        together = group_gifts.check_purchase(gift, buyer, wanted)
    except PiglistError:
        _commit_keeping_loaded()  # nothing changed: this lets the gift's lock go
        raise
    if together:  # the organiser marks the group gift bought: one of it, for the pledgers
        group_gifts.mark_bought(gift)
        wanted = 1
    else:
        mine = next((p for p in gift.purchases if p.user_id == buyer.id), None)
        if mine is None:
            gift.purchases.append(
                Purchase(user_id=buyer.id, user=buyer, quantity=wanted, purchased_at=utcnow())
            )
        else:
            mine.quantity += wanted
    _tally(gift)
    feed.emit("gift_purchased", gift, purchased_by=person(buyer), quantity=wanted)
    _commit_keeping_loaded()
    return gift


def unpurchase(gift_id: int, buyer: User, group_id: int | None = None) -> Gift:
    """Undo all of the caller's purchases of a gift, and only theirs; undoing what is already
    undone (a double click) is harmless. The owner gets the same refusal whether or not the gift
    was bought. The gift returned is the one saved, with its purchases loaded."""
    try:
        gift = lock_gift_for_buying(gift_id, buyer, group_id)
        if is_owner(gift, buyer):
            raise Forbidden(ONLY_THE_BUYER)
        together = group_gifts.check_undo(gift, buyer)
        mine = next((p for p in gift.purchases if p.user_id == buyer.id), None)
        if mine is None and gift.purchases and not together:
            raise Forbidden(ONLY_THE_BUYER)
    except PiglistError:
        _commit_keeping_loaded()
        raise
    if together:
        group_gifts.undo_bought(gift)
        _tally(gift)
        feed.emit("gift_unpurchased", gift)
    elif mine is not None:
        gift.purchases.remove(mine)  # deleted as an orphan
        _tally(gift)
        feed.emit("gift_unpurchased", gift)
    _commit_keeping_loaded()  # with nothing to undo, this only lets the gift's lock go
    return gift


def former_buyers(group: Group, viewer: User) -> list[tuple[User, int]]:
    """People who no longer belong to ``group`` but still hold purchases on its lists, with how
    many: their purchases can only be released by an admin (release_purchases). Counted over the
    gifts whose purchases ``viewer`` may know of (the surprise rule): an admin who keeps a list
    in the group must not learn, from a name or a number, that a gift on it was bought."""
    members = select(GroupMember.user_id).where(GroupMember.group_id == group.id)
    purchases = db.session.scalars(
        select(Purchase)
        .join(Gift, Gift.id == Purchase.gift_id)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .where(Piglist.group_id == group.id, Purchase.user_id.not_in(members))
        .options(joinedload(Purchase.user), contains_eager(Purchase.gift).contains_eager(Gift.piglist))
    ).all()
    visible = {gift.id for gift in purchases_visible_to({p.gift for p in purchases}, viewer)}
    counts: dict[User, int] = {}
    for bought in purchases:
        if bought.gift_id in visible and bought.user is not None:  # NOT IN leaves NULL users out anyway
            counts[bought.user] = counts.get(bought.user, 0) + 1
    return sorted(counts.items(), key=lambda row: (row[0].display_name, row[0].id))


def release_purchases(group: Group, admin: User, user_id: int) -> int:
    """Undo what a departed member bought on ``group``'s lists (the caller checked the admin):
    their rows in purchases go, the others' stay; returns how many gifts. Only the gifts whose
    purchases ``admin`` may know of: what they bought on the admin's own list stays bought (a
    release counted or undone there would tell the admin it was bought; another admin can release
    it). The others see each gift change live; owners see nothing, as with any undo. A current
    member's purchases are theirs to undo."""
    lock_row(Group, group.id)  # nobody joins or leaves while we decide who has left
    if db.session.get(GroupMember, (group.id, user_id)) is not None:
        raise BadRequest("That person is still in the group: only they can undo their purchases.", "user_id")
    released = _take_back_purchases(user_id, Piglist.group_id == group.id, visible_to=admin)
    for gift in released:
        feed.emit("gift_unpurchased", gift)
    db.session.commit()
    return len(released)


def _take_back_purchases(user_id: int, *where: Any, visible_to: User) -> list[Gift]:
    """Delete ``user_id``'s purchases of the gifts ``where`` selects (gifts joined to their lists)
    whose purchases ``visible_to`` may know of, and write those gifts' new summaries, in the
    caller's transaction; the gifts whose purchase was taken back. However many gifts: one statement finds
    them, one locks them all (in id order) with their lists, one reads their purchases after the
    locks, one deletes and one (executemany) updates."""
    gift_ids = db.session.scalars(
        select(Purchase.gift_id)
        .join(Gift, Gift.id == Purchase.gift_id)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .where(Purchase.user_id == user_id, *where)
    ).all()
    locked = locked_all(select(Gift).options(joinedload(Gift.piglist)), Gift, list(gift_ids))
    gifts = purchases_visible_to(locked, visible_to)
    purchases = purchases_of([gift.id for gift in gifts])
    taken: list[Gift] = []
    theirs: list[Purchase] = []
    summaries: list[dict[str, Any]] = []
    for gift in gifts:
        mine = [p for p in purchases[gift.id] if p.user_id == user_id]
        if not mine:
            continue  # undone meanwhile
        set_committed_value(gift, "purchases", [p for p in purchases[gift.id] if p.user_id != user_id])
        summaries.append({"id": gift.id, **_summary(gift)})
        theirs.extend(mine)
        taken.append(gift)
    if theirs:
        db.session.execute(delete(Purchase).where(Purchase.id.in_([p.id for p in theirs])))
        db.session.execute(update(Gift), summaries)  # by primary key: one executemany
        # The caller's transaction may go on: the session must not hold what the statements changed.
        for purchase in theirs:
            db.session.expunge(purchase)
        for gift, summary in zip(taken, summaries, strict=True):
            db.session.expire(gift, [name for name in summary if name != "id"])
    return taken
