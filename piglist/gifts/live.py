"""Live updates: the change feed as each person may read it, and who is looking at what.

The long poll (the API's and the pages') reads changes through
:func:`wait_for_changes`, which passes every event through the surprise rule. The
cursor handed out is the id of the last event the *reader* could see, so it never
moves for an event kept from them: an owner can't learn of a purchase by watching it.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from redis.exceptions import RedisError

from .. import events, presence
from ..errors import Unavailable, ValidationFailed
from ..extensions import db
from ..groups.service import member_group
from ..models import User
from ..rules.surprise import person, visible_event
from ..validation import parse_int
from .loading import get_gift
from .reading import viewers_by_gift

MAX_WAIT = 25


def current_cursor(group_id: int, viewer_id: int) -> str:
    """The id of the newest event ``viewer_id`` may see, or the start."""
    entries = events.feed().latest(group_id, events.STREAM_LENGTH)
    for entry in entries:
        if visible_event(entry.event, viewer_id) is not None:
            return entry.id
    return events.START


def parse_wait(value: Any) -> int:
    wait = parse_int(value, "wait", minimum=0) if value not in (None, "") else 0
    return min(wait, MAX_WAIT)


def parse_since(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        events.parse_cursor(str(value))
    except ValueError:
        raise ValidationFailed("The cursor must be one this API returned.", "since") from None
    return str(value)


def wait_for_changes(group_id: int, viewer: User, since: str | None, wait: int) -> dict[str, Any]:
    """Events after ``since`` that ``viewer`` may see, as soon as there is one, or none once
    ``wait`` seconds have passed. Without ``since``: the current cursor, at once."""
    member_group(group_id, viewer)
    viewer_id = viewer.id
    # Hand the database connection back: the wait below may last 25 s.
    db.session.close()
    try:
        return _read_changes(group_id, viewer_id, since, wait)
    except RedisError as exc:
        current_app.logger.warning("change feed unavailable: %s", exc)
        raise Unavailable("Live updates are unavailable for a moment; the page still works.") from None


def _read_changes(group_id: int, viewer_id: int, since: str | None, wait: int) -> dict[str, Any]:
    feed = events.feed()
    if since is None:
        return {"cursor": current_cursor(group_id, viewer_id), "events": []}
    deadline = time.monotonic() + wait
    position = cursor = since
    found: list[dict[str, Any]] = []
    while True:
        remaining_ms = int((deadline - time.monotonic()) * 1000)
        for entry in feed.read(group_id, position, max(remaining_ms, 0)):
            position = entry.id
            event = visible_event(entry.event, viewer_id)
            if event is not None:
                found.append(event)
                cursor = entry.id
        if found or remaining_ms <= 0:
            return {"cursor": cursor, "events": found}


# --- presence ------------------------------------------------------------------------------


def _announce(group_id: int, gift_id: int, owner_id: int) -> None:
    looking = viewers_by_gift([gift_id]).get(gift_id, {})
    events.publish_now(
        group_id,
        {
            "type": "presence",
            "group_id": group_id,
            "gift_id": gift_id,
            "owner_id": owner_id,
            "viewers": [person(user) for _, user in sorted(looking.items())],
        },
    )


def view_gift(gift_id: int, viewer: User, connection: str, group_id: int | None = None) -> None:
    """``viewer`` is looking at the gift from ``connection`` (a tab); refresh it every ≤ 30 s.
    Looking at your own gift is not "viewing" it: nobody is told, and you are never shown.
    With ``group_id``, a gift of another group is not found."""
    gift = get_gift(gift_id, viewer, group_id)
    if gift.piglist.user_id == viewer.id or gift.deleted_at is not None:
        return
    try:
        store = presence.store()
        before = store.viewers([gift.id]).get(gift.id, set())
        store.touch(gift.id, viewer.id, connection)
        if viewer.id not in before:
            _announce(gift.piglist.group_id, gift.id, gift.piglist.user_id)
    except RedisError as exc:
        current_app.logger.warning("presence not recorded: %s", exc)


def leave_gift(gift_id: int, viewer: User, connection: str) -> None:
    gift = get_gift(gift_id, viewer)
    try:
        store = presence.store()
        before = store.viewers([gift.id]).get(gift.id, set())
        store.leave(gift.id, viewer.id, connection)
        if store.viewers([gift.id]).get(gift.id, set()) != before:
            _announce(gift.piglist.group_id, gift.id, gift.piglist.user_id)
    except RedisError as exc:
        current_app.logger.warning("presence not recorded: %s", exc)


def sweep_presence() -> int:
    """Forget viewers who went silent and announce it; returns how many gifts changed."""
    from ..models import Gift

    changed = presence.store().sweep()
    for gift_id in changed:
        gift = db.session.get(Gift, gift_id)
        if gift is not None:
            _announce(gift.piglist.group_id, gift.id, gift.piglist.user_id)
    if changed:  # every 10 s: a line only when someone was actually forgotten
        current_app.logger.info("presence swept", extra={"gifts": len(changed)})
    return len(changed)
