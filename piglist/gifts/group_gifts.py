"""Group gifts (SPEC §10.3): members who aren't the list's recipients chip in for one of a priced
gift. One starts it and is its organiser; each pledges an amount, changes or withdraws it; when the
pledges reach the price the organiser marks it bought and the pledgers become its purchasers.

Every change takes the gift's row lock first, as buyers do (piglist.gifts.loading), and reads the
pledges after it: racing pledges queue, each sees what the one before committed, so the pledges
never add up to more than the price; a purchase (the organiser's) and the owner's price edits
queue on the same lock. What anyone sees of it is the surprise rule's decision
(piglist.rules.surprise): the recipients never get a byte of it, and its events are not in their
allow-list.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ..errors import (
    AlreadyPurchased,
    Forbidden,
    GroupGiftConflict,
    NotFound,
    OverPledged,
    PiglistError,
    ValidationFailed,
)
from ..extensions import db
from ..live import feed
from ..models import Gift, GroupGift, Pledge, Purchase, User, utcnow
from ..rules.money import format_money
from ..rules.surprise import is_owner
from ..rules.values import parse_money
from .loading import lock_gift_for_buying

ZERO = Decimal("0.00")
NOT_FOR_RECIPIENTS = "This is on your own list: chipping in is for the others."
NO_GROUP_GIFT = "Nobody has started chipping in for this gift yet."
FORMER_MEMBER_CHIPPED_IN = (
    "Someone who chipped in has since left Piglist: what was bought together stays bought."
)


def _is_recipient(gift: Gift, user: User) -> bool:
    """Whether ``user`` is one the gift is for: they may neither start, pledge nor see any of it."""
    return is_owner(gift, user)


def remaining(gift: Gift, group_gift: GroupGift) -> Decimal:
    """What is still to pledge: never below zero, even when the owner lowered the price since."""
    return max((gift.price or ZERO) - group_gift.pledged, ZERO)


def load_pledges(group_gift: GroupGift) -> list[Pledge]:
    """The group gift's pledges with their people, read afresh: after the gift's lock, everything
    the pledgers before committed."""
    pledges = list(
        db.session.scalars(
            select(Pledge)
            .where(Pledge.group_gift_id == group_gift.id)
            .options(joinedload(Pledge.user))
            .order_by(Pledge.created_at, Pledge.id)
            .execution_options(populate_existing=True)
        )
    )
    set_committed_value(group_gift, "pledges", pledges)
    return pledges


def _locked_gift(gift_id: int, user: User, group_id: int | None) -> Gift:
    """The gift locked (its purchases and group gift read after the lock), for someone it isn't for."""
    gift = lock_gift_for_buying(gift_id, user, group_id)
    if _is_recipient(gift, user):
        raise Forbidden(NOT_FOR_RECIPIENTS)
    if gift.deleted_at is not None:
        raise NotFound("This gift was just removed from the list.")
    if gift.group_gift is not None:
        load_pledges(gift.group_gift)
    return gift


def _open(gift: Gift) -> GroupGift:
    group_gift = gift.group_gift
    if group_gift is None or group_gift.status == "cancelled":
        raise NotFound(NO_GROUP_GIFT)
    if group_gift.status == "bought":
        raise GroupGiftConflict("This gift has already been bought together.")
    return group_gift


def _emit(gift: Gift, change: str) -> None:
    feed.emit("group_gift_changed", gift, change=change)


def _change(gift_id: int, user: User, group_id: int | None, work) -> Gift:
    """Lock the gift, let ``work(gift)`` change it, commit; a refusal changes nothing and lets the
    lock go at once."""
    try:
        gift = _locked_gift(gift_id, user, group_id)
        work(gift)
    except PiglistError:
        db.session.rollback()
        raise
    db.session.commit()
    return gift


def start(gift_id: int, organiser: User, group_id: int | None = None) -> Gift:
    """Turn a priced gift into a group gift with ``organiser`` organising it. Starting one that is
    already open changes nothing (two relatives having the same idea at once): they chip in."""

    def work(gift: Gift) -> None:
        if gift.price is None or gift.price <= 0:
            raise ValidationFailed("Only a gift with a price can be bought together.", "price")
        group_gift = gift.group_gift
        if group_gift is not None and group_gift.status == "open":
            return
        if group_gift is not None and group_gift.status == "bought":
            raise GroupGiftConflict("This gift has already been bought together.")
        if gift.purchased_quantity >= gift.quantity:
            raise AlreadyPurchased("Someone has already bought this gift.")
        if group_gift is None:
            gift.group_gift = GroupGift(organiser_id=organiser.id, organiser=organiser, status="open")
            set_committed_value(gift.group_gift, "pledges", [])
        else:  # cancelled before: started afresh
            group_gift.organiser_id, group_gift.organiser = organiser.id, organiser
            group_gift.status, group_gift.holder_id, group_gift.created_at = "open", None, utcnow()
        _emit(gift, "started")

    return _change(gift_id, organiser, group_id, work)


def parse_amount(value: Any) -> Decimal:
    amount = parse_money(value, "amount", required=True)
    if amount <= 0:
        raise ValidationFailed("Pledge an amount above zero (or withdraw your pledge).", "amount")
    return amount


def pledge(gift_id: int, pledger: User, amount: Any, group_id: int | None = None) -> Gift:
    """Set ``pledger``'s pledge to ``amount`` (in the gift's currency). One that would make the
    pledges add up to more than the price is refused with ``over_pledged``, changing nothing."""
    wanted = parse_amount(amount)

    def work(gift: Gift) -> None:
        group_gift = _open(gift)
        if not gift.price:
            raise GroupGiftConflict("This gift has no price any more, so there is nothing to pledge toward.")
        mine = next((p for p in group_gift.pledges if p.user_id == pledger.id), None)
        others = group_gift.pledged - (mine.amount if mine else ZERO)
        room = max((gift.price or ZERO) - others, ZERO)
        if wanted > room:
            if room == 0:
                raise OverPledged("The price is already covered: nothing more is needed.", "amount")
            raise OverPledged(f"Only {format_money(room, gift.currency)} is still needed.", "amount")
        if mine is None:
            group_gift.pledges.append(Pledge(user_id=pledger.id, user=pledger, amount=wanted))
        elif mine.amount != wanted:
            mine.amount, mine.updated_at = wanted, utcnow()
        else:
            return
        _emit(gift, "pledged")

    return _change(gift_id, pledger, group_id, work)


def withdraw(gift_id: int, pledger: User, group_id: int | None = None) -> Gift:
    """Take back one's pledge; withdrawing none (a double click) is harmless."""

    def work(gift: Gift) -> None:
        group_gift = _open(gift)
        mine = next((p for p in group_gift.pledges if p.user_id == pledger.id), None)
        if mine is not None:
            group_gift.pledges.remove(mine)  # deleted as an orphan
            _emit(gift, "withdrawn")

    return _change(gift_id, pledger, group_id, work)


def _decides(group_gift: GroupGift, user: User) -> bool:
    """The organiser decides (marks it bought, undoes that, calls it off); once they have left the
    group or erased their account, any pledger may."""
    if group_gift.organiser_id is None:
        return any(p.user_id == user.id for p in group_gift.pledges)
    return group_gift.organiser_id == user.id


def _check_organiser(group_gift: GroupGift, user: User, doing: str) -> None:
    if not _decides(group_gift, user):
        raise Forbidden(f"Only the organiser can {doing}.")


def cancel(gift_id: int, user: User, group_id: int | None = None) -> Gift:
    """The organiser calls it off: the pledges go, and anyone may start it again."""

    def work(gift: Gift) -> None:
        group_gift = _open(gift)
        _check_organiser(group_gift, user, "call off chipping in")
        group_gift.pledges.clear()
        group_gift.status = "cancelled"
        _emit(gift, "cancelled")

    return _change(gift_id, user, group_id, work)


# --- buying: called by piglist.gifts.buying under the gift's lock ---------------------------------


def check_purchase(gift: Gift, buyer: User, wanted: int) -> bool:
    """Whether ``buyer``'s purchase of ``gift`` (locked) is the group gift being marked bought. A
    purchase by anyone else must leave one of the gift for an open group gift."""
    group_gift = gift.group_gift
    if group_gift is None or group_gift.status != "open":
        return False
    pledges = load_pledges(group_gift)
    if _decides(group_gift, buyer):
        if remaining(gift, group_gift) > 0 or not pledges:
            raise GroupGiftConflict("The pledges don't cover the price yet.", "amount")
        return True
    if gift.quantity - gift.purchased_quantity - wanted < 1:
        raise GroupGiftConflict(
            "Your family is chipping in for this gift: pledge toward it instead.", "quantity"
        )
    return False


def mark_bought(gift: Gift) -> None:
    """The group gift (open, fully pledged, checked by :func:`check_purchase`) is bought: each
    pledger gets a purchases row; the organiser's (or, when they pledged nothing, the biggest
    pledger's) holds the one of the gift, the others their share of money only (quantity 0)."""
    group_gift = gift.group_gift
    assert group_gift is not None  # check_purchase found it open
    pledges = group_gift.pledges
    holder = next((p for p in pledges if p.user_id == group_gift.organiser_id), None)
    holder = holder or max(pledges, key=lambda p: (p.amount, -p.id))
    now = utcnow()
    for p in pledges:
        row = next((r for r in gift.purchases if r.user_id == p.user_id), None)
        if row is None:
            row = Purchase(user_id=p.user_id, user=p.user, quantity=0, purchased_at=now)
            gift.purchases.append(row)
        if p is holder:
            row.quantity += 1
    group_gift.status, group_gift.holder_id = "bought", holder.user_id


def check_undo(gift: Gift, user: User) -> bool:
    """Whether ``user``'s undo on ``gift`` (locked) is the organiser taking back the purchase made
    together. A pledger's own undo is refused (their purchase is everyone's); anyone else undoes
    what they bought of the gift alone, as usual. Once a pledger (or the one who holds the gift)
    has erased their account, it stays bought, as every erased account's purchase does: their
    share can't be taken back, and the gift can't be open again with money already spent."""
    group_gift = gift.group_gift
    if group_gift is None or group_gift.status != "bought":
        return False
    pledges = load_pledges(group_gift)
    if _decides(group_gift, user):
        if group_gift.holder_id is None or any(p.user_id is None for p in pledges):
            raise GroupGiftConflict(FORMER_MEMBER_CHIPPED_IN)
        return True
    if any(p.user_id == user.id for p in pledges):
        raise Forbidden("Only the organiser can undo a gift bought together.")
    return False


def shares_bought_together(user_id: Any) -> Any:
    """SQL: the purchases row is ``user_id``'s share of a gift bought together (they pledged toward
    it and it was marked bought). Such a share belongs to all its pledgers: only the organiser's
    undo takes it back, never an admin's release of a departed member's purchases."""
    return (
        select(Pledge.id)
        .join(GroupGift, GroupGift.id == Pledge.group_gift_id)
        .where(GroupGift.gift_id == Purchase.gift_id, GroupGift.status == "bought", Pledge.user_id == user_id)
        .exists()
    )


def undo_bought(gift: Gift) -> None:
    """Take back the purchase made together (checked by :func:`check_undo`): the holder's one of
    the gift and the pledgers' shares; the group gift is open again with its pledges."""
    group_gift = gift.group_gift
    assert group_gift is not None  # check_undo found it bought
    pledgers = {p.user_id for p in group_gift.pledges}
    for row in list(gift.purchases):
        if row.user_id == group_gift.holder_id and row.quantity > 0:
            row.quantity -= 1
        if row.user_id in pledgers and row.quantity == 0:
            gift.purchases.remove(row)
    group_gift.status, group_gift.holder_id = "open", None
