"""Reminders: 21 and 7 days before an occasion, each member who hasn't turned them off gets one
mail listing the occasion's lists they aren't a recipient of, with how many gifts are still
available on each and a link.

"Days before" count in the occasion's own time zone, so a family on the far side of the date line
is reminded on their day, not UTC's. Housekeeping asks every hour (``REMIND_SECONDS``) and
``flask piglist remind [--today DATE]`` on demand; a stage missed while no worker ran is still
sent up to ``CATCH_UP_DAYS`` late. Each mail is claimed first by inserting its key (occasion,
person, stage) into ``sent_reminders``: whoever inserts it sends it, so restarts and two workers
running at once never send it twice. Lists the reader is a recipient of are left out of their
mail altogether, and counts go through the surprise rule (``purchases_visible_to``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import contains_eager

from piglist.stores import jobs, mail

from ..extensions import db
from ..models import Gift, Group, GroupMember, Occasion, Piglist, SentReminder, User, utcnow
from ..rules.surprise import purchases_visible_to
from .service import days_left, is_recipient, lists_of

log = logging.getLogger(__name__)

STAGES = (21, 7)
CATCH_UP_DAYS = 2
REMIND_SECONDS = 60 * 60


def stage_due(left: int) -> int | None:
    """The stage (21 or 7) due with ``left`` days to go, counting the catch-up days."""
    for stage in STAGES:
        if stage - CATCH_UP_DAYS <= left <= stage:
            return stage
    return None


@dataclass(frozen=True)
class Due:
    occasion_id: int
    stage: int
    days_left: int


def due_occasions(today: date | None = None) -> list[Due]:
    """The occasions with a reminder stage due: on ``today`` for every occasion, or on each
    occasion's own date in its time zone."""
    reference = today or utcnow().date()
    # A day's margin either side of the reference: each occasion's zone decides below.
    earliest = reference + timedelta(days=min(STAGES) - CATCH_UP_DAYS - 1)
    latest = reference + timedelta(days=max(STAGES) + 1)
    candidates = db.session.scalars(
        select(Occasion).where(Occasion.date.between(earliest, latest)).order_by(Occasion.date, Occasion.id)
    )
    found = []
    for occasion in candidates:
        left = (occasion.date - today).days if today else days_left(occasion)
        stage = stage_due(left)
        if stage is not None:
            found.append(Due(occasion.id, stage, left))
    return found


def _claim(occasion_id: int, user_id: int, stage: int) -> bool:
    """Insert the reminder's key unless it is there; True when this call inserted it. A racing
    insert waits for the first to commit and then inserts nothing."""
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(SentReminder)
        .values(occasion_id=occasion_id, user_id=user_id, days_before=stage, sent_at=utcnow())
        .on_conflict_do_nothing()
        .returning(SentReminder.user_id)
    )
    return db.session.execute(statement).first() is not None


def queue_due_reminders(today: date | None = None) -> int:
    """Queue the reminder mails due (see module doc); how many were queued. A mail whose job
    can't be queued is not claimed, and goes in a later round."""
    base_url = mail.site_url()
    queued = 0
    for due in due_occasions(today):
        occasion = db.session.get_one(Occasion, due.occasion_id)  # due_occasions just read it
        lists = lists_of(occasion)
        members = db.session.scalars(
            select(User)
            .join(GroupMember, GroupMember.user_id == User.id)
            .where(GroupMember.group_id == occasion.group_id, User.reminders.is_(True))
            .order_by(User.id)
        ).all()
        for user in members:
            if all(is_recipient(piglist, user) for piglist in lists):
                continue  # nothing to tell them: they may only hear of others' lists
            if not _claim(occasion.id, user.id, due.stage):
                db.session.rollback()
                continue
            if mail.queue(send_reminder, user.id, occasion.id, due.days_left, base_url):
                db.session.commit()
                queued += 1
            else:
                db.session.rollback()
    return queued


@dataclass(frozen=True)
class ListLine:
    title: str
    available: int
    url: str


def list_title(piglist: Piglist) -> str:
    return f"{piglist.title}'s list"


def lines_for(occasion: Occasion, user: User, base_url: str) -> list[ListLine]:
    """The occasion's lists ``user`` isn't a recipient of, each with its gifts still available."""
    others = [p for p in lists_of(occasion) if not is_recipient(p, user)]
    if not others:
        return []
    gifts = db.session.scalars(
        select(Gift)
        .join(Gift.piglist)
        .options(contains_eager(Gift.piglist))
        .where(
            Gift.piglist_id.in_([p.id for p in others]),
            Gift.deleted_at.is_(None),
            Gift.reveal_id.is_(None),
        )
    ).all()
    available: dict[int, int] = {p.id: 0 for p in others}
    for gift in purchases_visible_to(gifts, user):
        if not gift.is_purchased:
            available[gift.piglist_id] += 1
    return [
        ListLine(
            list_title(p),
            available[p.id],
            mail.link(base_url, "gifts.piglist", group_id=p.group_id, user_id=p.user_id),
        )
        for p in sorted(others, key=lambda p: (p.title.lower(), p.id))
    ]


@jobs.job
def send_reminder(user_id: int, occasion_id: int, left: int, base_url: str) -> None:
    user = db.session.get(User, user_id)
    occasion = db.session.get(Occasion, occasion_id)
    if user is None or occasion is None or not user.reminders:
        return
    if db.session.get(GroupMember, (occasion.group_id, user.id)) is None:
        return  # left the group since
    lines = lines_for(occasion, user, base_url)
    if not lines:
        return
    group = db.session.get(Group, occasion.group_id)
    when = "tomorrow" if left == 1 else "today" if left == 0 else f"in {left} days"
    message = mail.compose(
        "occasion_reminder",
        to=user.email,
        subject=f"{occasion.name} is {when}",
        base_url=base_url,
        user=user,
        occasion=occasion,
        group=group,
        when=when,
        lines=lines,
    )
    mail.deliver(message)
