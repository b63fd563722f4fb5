"""Buying a gift and undoing it. Buyers queue on the gift's row lock, so racing buyers never
exceed its quantity. Each commit keeps what the session holds (stores.database.commit_keeping_loaded):
the answer is made of the rows read under the gift's lock and what was just written, so nothing is
read again after it, and the live event, published on commit, goes out sooner. A refusal ends
its transaction the same way, having changed nothing: the lock goes at once and what was read
under it stays for the page that shows the refusal on the gift. Callers start buying with no
unsaved work of their own in the session. What a purchase may tell anyone is the surprise rule's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from piglist.stores.database import commit_keeping_loaded

from ..errors import AlreadyPurchased, Forbidden, NotFound, PiglistError
from ..extensions import db
from ..live import feed
from ..models import Gift, Purchase, User, utcnow
from ..rules.surprise import is_owner, person
from . import group_gifts
from .fields import parse_quantity
from .loading import lock_gift_for_buying

ONLY_THE_BUYER = "Only the person who bought this gift can undo it."


def _tally(gift: Gift) -> None:
    """Write the gift's :func:`summary` of its purchases, all in memory (read under its lock,
    then changed here): the gift's row is written only when its summary changes."""
    for name, value in summary(gift).items():
        if getattr(gift, name) != value:
            setattr(gift, name, value)


def summary(gift: Gift) -> dict[str, Any]:
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
        commit_keeping_loaded(db.session())  # nothing changed: this lets the gift's lock go
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
    commit_keeping_loaded(db.session())
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
        commit_keeping_loaded(db.session())
        raise
    if together:
        group_gifts.undo_bought(gift)
        _tally(gift)
        feed.emit("gift_unpurchased", gift)
    elif mine is not None:
        gift.purchases.remove(mine)  # deleted as an orphan
        _tally(gift)
        feed.emit("gift_unpurchased", gift)
    commit_keeping_loaded(db.session())  # with nothing to undo, this only lets the gift's lock go
    return gift
