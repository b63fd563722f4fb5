"""What occasions keep about a person, for "Export my data" (piglist.auth.export): their reminder
setting and the reminders sent to them, whether they have a calendar address (never its secret),
and the gifts they received at reveals, as the reveal shows them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import CalendarFeed, GroupMember, Piglist, Reveal, SentReminder, User
from .reveal import received_on, reveal_json
from .service import is_recipient


def occasions_export(user: User) -> dict[str, Any]:
    feed = db.session.get(CalendarFeed, user.id)
    in_my_groups = select(Piglist).join(GroupMember, GroupMember.group_id == Piglist.group_id)
    lists = [
        p.id
        for p in db.session.scalars(in_my_groups.where(GroupMember.user_id == user.id))
        if is_recipient(p, user)
    ]
    reveals = db.session.scalars(
        select(Reveal).where(Reveal.piglist_id.in_(lists)).order_by(Reveal.revealed_at, Reveal.id)
    ).all()
    return {
        "reminders": user.reminders,
        "reminders_sent": [
            {"occasion_id": sent.occasion_id, "days_before": sent.days_before, "sent_at": sent.sent_at}
            for sent in db.session.scalars(
                select(SentReminder).where(SentReminder.user_id == user.id).order_by(SentReminder.sent_at)
            )
        ],
        "calendar_feed": {"created_at": feed.created_at} if feed is not None else None,
        "received": [reveal_json(done, received_on(done), user) for done in reveals],
    }
