"""The long poll: ``GET /api/v1/groups/<gid>/changes?since=<cursor>&wait=N``.

A poll first catches up from the stream (piglist.live.cursors); with nothing new it waits on
this process's hub (piglist.live.hub) holding no Redis and no database connection, and answers
as soon as an event the reader may see arrives, or with none when ``wait`` runs out. Every event
passes the surprise rule for the reader; the cursor moves only for those. The reader is checked
again before what the poll caught up with once subscribed is handed on (from the database: a
removal committed between the first check and the subscription may not have reached this
process's hub yet), and before anything it hears while waiting is handed on, against the members
as this process read them (piglist.live.listeners), which the hub forgets first when they change
(its MEMBERS): someone removed gets the 404 a non-member gets, at once, rather than the group's
events until the wait ends.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app
from redis.exceptions import RedisError

from ..errors import NotFound, Unavailable, ValidationFailed
from ..extensions import db
from ..groups.access import NO_GROUP, member_group
from ..models import User
from ..rules.values import parse_int
from ..stores import metrics
from . import capacity, cursors
from .feed import change_feed
from .hub import DOWN, LEAVING, RESYNC, Broadcast, process_hub

UNAVAILABLE = "Live updates are unavailable for a moment; the page still works."
RESTARTING = "The server is restarting: ask again in a moment."


def parse_wait(value: Any) -> int:
    """The seconds a long poll may hold its answer: as asked, at most ``LONG_POLL_SECONDS`` (25)."""
    wait = parse_int(value, "wait", minimum=0) if value not in (None, "") else None
    return min(wait or 0, current_app.config["LONG_POLL_SECONDS"])


def wait_for_changes(group_id: int, viewer: User, since: str | None, wait: int) -> dict[str, Any]:
    """Events after ``since`` that ``viewer`` may see, as soon as there is one, or none once
    ``wait`` seconds have passed. Without ``since``: the current cursor, at once. A reader too
    far behind gets a fresh cursor and ``"reset": true`` (they may have missed events)."""
    member_group(group_id, viewer)
    viewer_id = viewer.id
    position = None
    if since not in (None, ""):
        try:
            position = cursors.unseal(group_id, str(since))
        except ValueError:
            raise ValidationFailed(
                "The cursor must be one this API returned for this group.", "since"
            ) from None
    # Hand the database connection back: the wait below may last 25 s.
    db.session.close()
    try:
        if not wait:
            return _read(group_id, viewer_id, position, wait)
        with capacity.process_capacity().holding(), metrics.LONG_POLLS.track_inprogress():
            return _read(group_id, viewer_id, position, wait)
    except RedisError as exc:
        current_app.logger.warning("change feed unavailable: %s", exc)
        raise Unavailable(UNAVAILABLE) from None


def _answer(group_id: int, position: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    return {"cursor": cursors.seal(group_id, position), "events": events}


def _read(group_id: int, viewer_id: int, position: str | None, wait: int) -> dict[str, Any]:
    feed, hub = change_feed(), process_hub()
    if not hub.available:
        raise Unavailable(UNAVAILABLE)
    if position is None:
        return _answer(group_id, cursors.position_now(feed, group_id, viewer_id), [])
    try:
        found, position = _wait(feed, hub, group_id, viewer_id, position, wait)
    except cursors.Stale:
        return {**_answer(group_id, cursors.position_now(feed, group_id, viewer_id), []), "reset": True}
    return _answer(group_id, position, found)


def _wait(feed, hub, group_id: int, viewer_id: int, position: str, wait: int) -> tuple[list, str]:
    deadline = time.monotonic() + wait
    # Subscribed before catching up, so nothing published in between is missed.
    with hub.subscribe(group_id) as subscription:
        found, position = cursors.catch_up(feed, group_id, viewer_id, position)
        if found:
            # About to hand on what was caught up: a removal committed between the first check
            # and the subscription may not have reached this process's hub yet. (Whatever comes
            # later is checked below, after the hub has heard of any such removal.)
            _check_member(hub, group_id, viewer_id, fresh=True)
        while not found:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            item = subscription.get(timeout=remaining)
            if item == DOWN:
                raise Unavailable(UNAVAILABLE)
            if item == LEAVING:
                # Answered at once, as "ask again in a second" (the page's poll backs off rather
                # than asking this process again); gunicorn closes a stopping worker's connections.
                raise Unavailable(RESTARTING, retry_after=1)
            # Before anything is handed on, as a socket does (the members as this process read
            # them; at once on MEMBERS, the hub having forgotten them first).
            _check_member(hub, group_id, viewer_id)
            if item == RESYNC:
                found, position = cursors.catch_up(feed, group_id, viewer_id, position)
            elif isinstance(item, Broadcast):
                found, position = cursors.visible_in([item], viewer_id, position)
    return found, position


def _check_member(hub, group_id: int, viewer_id: int, fresh: bool = False) -> None:
    """Still a member, as this process read the group's members (piglist.live.listeners)."""
    try:
        still = hub.listeners.may_listen(group_id, viewer_id, fresh)
    finally:
        db.session.close()  # the wait goes on without a database connection
    if not still:
        raise NotFound(NO_GROUP)
