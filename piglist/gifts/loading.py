"""Finding a gift or a list for a person: the membership check, the owner check and the row locks
that every change takes before it reads what a rule depends on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import contains_eager, joinedload, subqueryload
from sqlalchemy.orm.attributes import set_committed_value

from piglist.stores.rowlocks import lock_row, locked

from ..errors import Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..models import Category, Gift, Group, GroupGift, GroupMember, Piglist, Pledge, Purchase, User
from ..rules.surprise import is_owner, is_recipient, may_see

NO_GIFT = "No such gift (or it isn't in one of your groups)."
NO_LIST = "No such list (or it isn't in one of your groups)."


class NoSuchGift(NotFound):
    """The gift isn't there for this person (missing, outside their groups, or removed): a page
    answers it as a missing page, not as a refusal shown on the gift."""

    def __init__(self) -> None:
        super().__init__(NO_GIFT)


def gift_query(purchases=subqueryload):
    """Gifts with their list, its owner, their purchases with the buyers, and their group gifts. For many gifts the
    purchases are one more query, whatever their number (selectinload would send one per 500
    gifts, its IN-list batch; a subquery load never more than one); for one gift, ``joinedload``
    reads them in the same statement."""
    return (
        select(Gift)
        .join(Gift.piglist)
        .options(
            contains_eager(Gift.piglist).joinedload(Piglist.owner),
            joinedload(Gift.purchased_by),
            joinedload(Gift.added_by),
            purchases(Gift.purchases).joinedload(Purchase.user),
            # One to one, so a join; its pledges one more query only when a gift has one.
            joinedload(Gift.group_gift).joinedload(GroupGift.organiser),
            joinedload(Gift.group_gift).selectinload(GroupGift.pledges).joinedload(Pledge.user),
        )
    )


# Built once (get_gift runs on every gift page, tile and viewing message): SQLAlchemy computes a
# statement's cache key once per statement object, and for these joins and loader options that
# cost as much as the rest of the query's Python.
ONE_GIFT = (
    gift_query(joinedload)
    .join(
        GroupMember,
        (GroupMember.group_id == Piglist.group_id) & (GroupMember.user_id == bindparam("viewer_id")),
    )
    .where(Gift.id == bindparam("gift_id"))
)


def get_gift(gift_id: int, viewer: User, group_id: int | None = None) -> Gift:
    """A gift in one of the viewer's groups that they may see — in ``group_id`` when given (a
    page's URL or a poll names the group) — NotFound otherwise. One statement: the gift, its
    list, owner and purchases, found only where the viewer is a member of the list's group."""
    gift = db.session.scalars(ONE_GIFT, {"gift_id": gift_id, "viewer_id": viewer.id}).unique().one_or_none()
    if gift is None:
        raise NoSuchGift()
    if group_id is not None and gift.piglist.group_id != group_id:
        raise NoSuchGift()
    if not may_see(gift, viewer):
        raise NoSuchGift()
    return gift


def purchases_of(gift_ids: list[int]) -> dict[int, list[Purchase]]:
    """Each gift's purchases with their buyers, in the relationship's order, in one statement and
    read afresh: after the gifts' locks, everything the buyers before committed."""
    found: dict[int, list[Purchase]] = {gift_id: [] for gift_id in gift_ids}
    for purchase in db.session.scalars(
        select(Purchase)
        .where(Purchase.gift_id.in_(gift_ids))
        .options(joinedload(Purchase.user))
        .order_by(Purchase.purchased_at, Purchase.id)  # the relationship's order
        .execution_options(populate_existing=True)
    ):
        found[purchase.gift_id].append(purchase)
    return found


def _purchases_and_group_gift(gift_id: int) -> tuple[list[Purchase], GroupGift | None]:
    """A gift's purchases with their buyers and its group gift (piglist.gifts.group_gifts), in one
    statement read afresh after the gift's lock. Not in the locking statement: under READ
    COMMITTED a row lock waited for returns the locked row as committed, but the rows joined to it
    as they were when the statement began."""
    rows = db.session.execute(
        select(Purchase, GroupGift)
        .select_from(Gift)
        .outerjoin(Purchase, Purchase.gift_id == Gift.id)
        .outerjoin(GroupGift, GroupGift.gift_id == Gift.id)
        .where(Gift.id == gift_id)
        .options(joinedload(Purchase.user))
        .order_by(Purchase.purchased_at, Purchase.id)  # the relationship's order
        .execution_options(populate_existing=True)
    ).all()
    purchases = [purchase for purchase, _ in rows if purchase is not None]
    return purchases, rows[0][1] if rows else None


def lock_gift_for_buying(gift_id: int, viewer: User, group_id: int | None = None) -> Gift:
    """The gift as :func:`get_gift` finds it, locked for a purchase or an undo, in two statements:
    the gift with its list and owner, locked, where the viewer is a member (one round trip), then
    its purchases with their buyers, read after the lock so that they include everything the
    buyers before committed (and its group gift with them). Buyers queue on the gift's row lock;
    the list stays unlocked (the owner's edits lock it, then the gift). What the answer needs is
    then in memory."""
    gift = locked(
        select(Gift)
        .join(Gift.piglist)
        .outerjoin(Piglist.owner)  # a shared or a dependant's list has none
        .join(GroupMember, (GroupMember.group_id == Piglist.group_id) & (GroupMember.user_id == viewer.id))
        .where(Gift.id == gift_id, *([Piglist.group_id == group_id] if group_id is not None else []))
        .options(contains_eager(Gift.piglist).contains_eager(Piglist.owner)),
        Gift,
        gift_id,
    )
    if gift is None:
        raise NoSuchGift()
    purchases, group_gift = _purchases_and_group_gift(gift.id)
    set_committed_value(gift, "purchases", purchases)
    set_committed_value(gift, "group_gift", group_gift)
    if not may_see(gift, viewer):
        raise NoSuchGift()
    return gift


def own_piglist(group: Group, user: User) -> Piglist:
    piglist = db.session.scalar(
        select(Piglist).where(Piglist.group_id == group.id, Piglist.user_id == user.id)
    )
    if piglist is None:
        raise NotFound("You have no list in this group.")
    return piglist


def visible_list(list_id: int, viewer: User) -> Piglist:
    """A list of one of the viewer's groups, NotFound otherwise. A shared list still waiting for
    its partner is there only for the two of them."""
    piglist = db.session.scalar(
        select(Piglist)
        .join(GroupMember, (GroupMember.group_id == Piglist.group_id) & (GroupMember.user_id == viewer.id))
        .where(Piglist.id == list_id)
    )
    if piglist is None or piglist.status == "deleted":
        raise NotFound(NO_LIST)
    if piglist.status == "pending" and not is_recipient(viewer, piglist):
        raise NotFound(NO_LIST)
    return piglist


def may_change(gift: Gift, user: User) -> bool:
    """A wish is changed by its list's managers; an idea by its author and by the managers who
    aren't the list's recipients (SPEC 10.2)."""
    piglist = gift.piglist
    if gift.is_idea:
        return gift.added_by_id == user.id or (user.id in piglist.manager_ids and not is_owner(gift, user))
    return user.id in piglist.manager_ids


def own_gift_for_change(gift_id: int, user: User) -> tuple[Gift, Group]:
    gift = get_gift(gift_id, user)
    if not may_change(gift, user):
        raise Forbidden(
            "Only the list's keepers (or, for an idea, its author) can change or remove this gift."
        )
    if gift.deleted_at is not None:
        raise NotFound(NO_GIFT)
    return gift, gift.piglist.group


def lock_list(piglist_id: int) -> Piglist:
    """Lock the list before reading anything a limit or a duplicate check depends on.

    Every write to one list queues behind the one before, so the sums each sees are final.
    Row locks were chosen over SERIALIZABLE because they need no retry loop at every door, and
    the critical section is a handful of rows. Callers re-read the gift after this lock."""
    return lock_row(Piglist, piglist_id)


def lock_category(group: Group, category_id: int | None) -> Category | None:
    """Locked too, so an admin can't lower its limits between our check and our commit."""
    if category_id is None:
        return None
    category = lock_row(Category, category_id)
    if category is None or category.group_id != group.id:
        raise ValidationFailed("That category doesn't exist in this group.", "category_id")
    return category


def with_currency(group: Group, fields: dict[str, Any]) -> dict[str, Any]:
    """A price without a currency is in the group's currency."""
    if fields.get("price") is not None and not fields.get("currency"):
        fields["currency"] = group.currency
    return fields


def own_gift(gift_id: int, user: User) -> Gift:
    """A gift ``user`` may change (:func:`may_change`): Forbidden for anyone else's."""
    return own_gift_for_change(gift_id, user)[0]
