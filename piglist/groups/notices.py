"""Notices: a line on a person's dashboard about something someone else did to them — today, that
an admin deleted one of their groups (their list there went with it). A notice stays until its
reader dismisses it, so a glance at the wrong moment doesn't lose it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from piglist.extensions import db
from piglist.models import Notice, User


def tell(user_ids: Iterable[int], message: str) -> None:
    """Queue a notice for each person, in the caller's transaction."""
    db.session.add_all(Notice(user_id=user_id, message=message[:500]) for user_id in user_ids)


def notices_for(user: User) -> list[Notice]:
    return list(
        db.session.scalars(select(Notice).where(Notice.user_id == user.id).order_by(Notice.id.desc()))
    )


def dismiss(user: User, notice_id: int) -> None:
    """Dismissing twice (a double click) is harmless, and someone else's notice is left alone."""
    db.session.execute(delete(Notice).where(Notice.id == notice_id, Notice.user_id == user.id))
    db.session.commit()
