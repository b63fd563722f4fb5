"""Purchases held by people who left the group: who holds them (as one admin may know of them),
and an admin releasing them, so the gifts can be bought again. A current member's purchases are
theirs to undo (piglist.gifts.buying).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from piglist.stores.rowlocks import lock_row, locked_all

from ..errors import BadRequest
from ..extensions import db
from ..live import feed
from ..models import ADMIN, Gift, Group, GroupMember, Piglist, Purchase, User
from ..rules.surprise import purchases_visible_to, told_of_purchases
from . import buying, group_gifts
from .loading import purchases_of


def former_buyers(group: Group, viewer: User) -> list[tuple[User, int]]:
    """People who no longer belong to ``group`` but still hold purchases on its lists, with how
    many: their purchases can only be released by an admin (release_purchases). Counted over the
    gifts whose purchases ``viewer`` may know of (the surprise rule): an admin who keeps a list
    in the group must not learn, from a name or a number, that a gift on it was bought. Their
    shares of gifts bought together are left out: those are the pledgers' together, and only the
    organiser takes them back (group_gifts.shares_bought_together)."""
    members = select(GroupMember.user_id).where(GroupMember.group_id == group.id)
    purchases = db.session.scalars(
        select(Purchase)
        .join(Gift, Gift.id == Purchase.gift_id)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .where(
            Piglist.group_id == group.id,
            Purchase.user_id.not_in(members),
            ~group_gifts.shares_bought_together(Purchase.user_id),
        )
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
    member's purchases are theirs to undo. A share of a gift bought together stays: releasing the
    one who held it would leave a "bought" group gift with nothing bought, open to a second buyer."""
    lock_row(Group, group.id)  # nobody joins or leaves while we decide who has left
    # Whether they are still in the group, and who the admins are to tell: one statement.
    found = db.session.execute(
        select(GroupMember.user_id, GroupMember.role).where(
            GroupMember.group_id == group.id, (GroupMember.user_id == user_id) | (GroupMember.role == ADMIN)
        )
    ).all()
    if any(member_id == user_id for member_id, _ in found):
        raise BadRequest("That person is still in the group: only they can undo their purchases.", "user_id")
    released = _take_back_purchases(user_id, Piglist.group_id == group.id, visible_to=admin)
    for gift in released:
        feed.emit("gift_unpurchased", gift)
    # Every admin's Members page (this one's other tabs too) shows what is left to release; an
    # admin for whom every released gift is on their own list is told nothing (the surprise rule).
    told = told_of_purchases(released, [member_id for member_id, _ in found])
    if told:
        feed.emit_to_admins(group.id, "former_buyers_changed", admin_ids=told)
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
        .where(Purchase.user_id == user_id, ~group_gifts.shares_bought_together(user_id), *where)
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
        summaries.append({"id": gift.id, **buying.summary(gift)})
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
