"""Recording who looks at a gift, and telling the others.

Being "viewing" is recorded only by a socket's ``view`` message or a CSRF-checked POST (the
pages' fallback), never by a GET. An arrival or a departure — of a person, not of a tab: two
tabs of one person count once — is announced as a ``presence`` event on the change feed, which
the surprise rule keeps from the gift's owner. Looking at your own gift is not viewing it.
"""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from ..extensions import db
from ..gifts.loading import get_gift, gift_query
from ..gifts.reading import viewers_by_gift
from ..models import Gift, User
from ..rules.surprise import event_subject, is_owner, person
from . import feed
from .presence import presence_store

log = logging.getLogger(__name__)


def announce(gift: Gift) -> None:
    group_id = gift.piglist.group_id
    looking = viewers_by_gift(group_id, [gift.id]).get(gift.id, {})
    feed.publish_now(
        group_id,
        {
            "type": "presence",
            "group_id": group_id,
            **event_subject(gift),
            "viewers": [person(user) for _, user in sorted(looking.items())],
        },
    )


def view_gift(gift_id: int, viewer: User, connection: str, group_id: int | None = None) -> None:
    """``viewer`` is looking at the gift from ``connection``; refreshed at least every 30 s.
    With ``group_id``, a gift of another group is not found. Redis down: nothing is recorded."""
    gift = get_gift(gift_id, viewer, group_id)
    if is_owner(gift, viewer) or gift.deleted_at is not None:
        return
    try:
        if presence_store().view(gift.piglist.group_id, gift.id, viewer.id, connection):
            announce(gift)
    except RedisError as exc:
        log.warning("presence not recorded: %s", exc)


def leave_gift(gift_id: int, viewer: User, connection: str, group_id: int | None = None) -> None:
    gift = get_gift(gift_id, viewer, group_id)
    try:
        if presence_store().leave(gift.piglist.group_id, gift.id, viewer.id, connection):
            announce(gift)
    except RedisError as exc:
        log.warning("presence not recorded: %s", exc)


def sweep_presence() -> int:
    """Forget viewers who went silent and announce who left; returns how many entries were removed."""
    swept = presence_store().sweep()
    if swept.changed:
        gift_ids = [gift_id for _, gift_id in swept.changed]
        gifts = db.session.scalars(gift_query().where(Gift.id.in_(gift_ids))).all()
        for gift in gifts:
            announce(gift)
    if swept.removed:
        log.info("presence swept", extra={"entries": swept.removed, "gifts": len(swept.changed)})
    return swept.removed
