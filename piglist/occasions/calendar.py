"""Each person's private calendar feed: an iCalendar (RFC 5545) address with the occasions of
every group they belong to, for phones and desktop calendars to subscribe to.

The address carries a secret, like an API token: only its hash is kept, a new one replaces the
old, and revoking it ends it. The feed says when occasions are, never anything about lists.
Built with the ``icalendar`` library: escaping, line folding and dates are its business.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import delete, select

from piglist.stores import mail

from ..errors import NotFound
from ..extensions import db
from ..models import CalendarFeed, Group, GroupMember, Occasion, User, hash_token, utcnow

NO_FEED = "No such calendar (its address may have been replaced or turned off)."


def new_feed_url(user: User) -> str:
    secret = "cal_" + secrets.token_urlsafe(32)
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.add(CalendarFeed(user_id=user.id, token_hash=hash_token(secret)))
    db.session.commit()
    return feed_url(secret)


def feed_url(secret: str) -> str:
    return mail.link(mail.site_url(), "occasions.calendar_feed", token=secret)


def has_feed(user: User) -> bool:
    return db.session.get(CalendarFeed, user.id) is not None


def revoke_feed(user: User) -> None:
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    db.session.commit()


def feed_owner(secret: str) -> User:
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == hash_token(secret)))
    user = db.session.get(User, feed.user_id) if feed is not None else None
    if user is None:
        raise NotFound(NO_FEED)
    return user


def calendar_bytes(user: User) -> bytes:
    """The feed: one all-day event per occasion of the person's groups."""
    rows = db.session.execute(
        select(Occasion, Group)
        .join(Group, Group.id == Occasion.group_id)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .where(GroupMember.user_id == user.id)
        .order_by(Occasion.date, Occasion.id)
    ).all()
    base_url = mail.site_url()
    host = urlsplit(base_url).hostname or "piglist"
    cal = Calendar()
    cal.add("prodid", "-//Piglist//Occasions//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Piglist occasions")
    stamp = utcnow()
    for occasion, group in rows:
        event = Event()
        event.add("uid", f"occasion-{occasion.id}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", occasion.date)
        event.add("dtend", occasion.date + timedelta(days=1))
        event.add("summary", f"{occasion.name} ({group.name})")
        event.add("url", mail.link(base_url, "groups.overview", group_id=group.id))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()
