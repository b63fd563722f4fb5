"""Reading rows as the database has them now, for a test's checks: whether someone is a member,
a gift as it is now, how many rows there are (gifts, users), how many of a gift are bought and
who pledged what towards it.

Several modules asked the same questions with copies of the same one-line queries; one place keeps
them asking it the same way (expired first where a request in another session may have written).
"""

from __future__ import annotations

from sqlalchemy import func, select

from piglist.extensions import db


def is_member(group, user) -> bool:
    from piglist.models import GroupMember

    return db.session.get(GroupMember, (group.id, user.id)) is not None


def fresh(gift_id: int):
    """The gift as the database has it now."""
    from piglist.models import Gift

    db.session.expire_all()
    return db.session.get(Gift, gift_id)


def count(model, *where) -> int:
    """How many ``model`` rows there are (those matching ``where``, when given)."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def gift_count() -> int:
    from piglist.models import Gift

    return db.session.scalar(select(func.count(Gift.id)))


def user_count() -> int:
    from piglist.models import User

    return db.session.scalar(select(func.count(User.id)))


def bought(gift_id: int) -> int:
    """How many of the gift are bought, all purchases together (0 when none)."""
    from piglist.models import Purchase

    db.session.expire_all()
    return db.session.scalar(
        select(func.coalesce(func.sum(Purchase.quantity), 0)).where(Purchase.gift_id == gift_id)
    )


def pledges(gift) -> list[tuple[int, str]]:
    """The pledges on the gift's group gift as the database has them: (user id, amount), sorted."""
    from piglist.models import GroupGift, Pledge

    db.session.expire_all()
    return sorted(
        (p.user_id, str(p.amount))
        for p in db.session.scalars(db.select(Pledge).join(GroupGift).where(GroupGift.gift_id == gift.id))
    )
