"""Reading rows as the database has them now, for a test's checks."""

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
