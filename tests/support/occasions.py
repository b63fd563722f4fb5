"""Occasion rows for tests, built directly (the API's own checks are tested through the API)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Group, Occasion, OccasionList, Piglist, User, today


def list_of(group: Group, user: User) -> Piglist:
    return db.session.scalar(select(Piglist).where(Piglist.group_id == group.id, Piglist.user_id == user.id))


def make_occasion(
    group: Group,
    name: str = "Christmas",
    on: date | None = None,
    *,
    days_from_now: int | None = None,
    lists: list[Piglist] | None = None,
    time_zone: str = "UTC",
) -> Occasion:
    """An occasion on ``on`` (or ``days_from_now`` days from UTC's today) for ``lists`` (every list
    when None)."""
    if on is None:
        on = today() + timedelta(days=days_from_now or 0)
    occasion = Occasion(group_id=group.id, name=name, date=on, time_zone=time_zone, all_lists=lists is None)
    occasion.lists = [OccasionList(piglist_id=p.id) for p in lists or []]
    db.session.add(occasion)
    db.session.commit()
    return occasion
