"""The live layer: the change feed, cursors, presence, the hub, the WebSocket and the long poll.

- ``feed``: events emitted in a transaction and published on commit (what gifts code imports);
- ``cursors``: the opaque positions the long poll hands out;
- ``presence``: who looks at which gift (the store); ``viewing``: recording and announcing it;
- ``hub``: one Redis subscriber per web process, fanning events out to local waiters;
  ``socketcount``: open sockets counted across web processes (published by the hub's loop);
- ``changes``: the long poll; ``streams``: Turbo Stream rendering; ``routes``: ``/ws/groups/<gid>``;
  ``listeners``: who may still hear a group, read once per process for its open sockets and kept
  until the group's members change (the hub forgets them then) or for 20 s.

The backend — Redis, or this process's memory when ``REDIS_URL`` is unset — is chosen once, here,
when the app starts; every other module asks ``app.extensions["piglist_live"]`` for it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError

from . import capacity
from .cursors import position_from, seal
from .feed import MemoryFeed, RedisFeed
from .hub import Hub
from .listeners import Listeners
from .presence import MemoryPresence, RedisPresence, users_by_gift

log = logging.getLogger(__name__)

PRESENCE_TTL_SECONDS = 60
LEAVE_CHECK_SECONDS = 0.5  # how often a worker's "told to stop" is looked at


@dataclass
class Live:
    feed: RedisFeed | MemoryFeed
    presence: RedisPresence | MemoryPresence
    hub: Hub
    client: Any = None  # Redis, when the feed and presence live there

    @property
    def listeners(self) -> Listeners:
        """Who may still hear each group: the hub's, which forgets a group when its members change."""
        return self.hub.listeners

    def marks_and_viewers(self, group_id: int, viewers: bool) -> tuple[dict[str, str], dict[int, set[int]]]:
        """The feed's marks and, if asked, who looks at the group's gifts: one round trip."""
        feed, presence = self.feed, self.presence
        if not isinstance(feed, RedisFeed) or not isinstance(presence, RedisPresence):
            return feed.marks(group_id), presence.viewers(group_id) if viewers else {}
        pipe = self.client.pipeline(transaction=False)
        feed.queue_marks(pipe, group_id)
        if viewers:
            presence.queue_viewers(pipe, group_id)
        marks, *looking = pipe.execute()
        return marks, dict(users_by_gift(looking[0])) if viewers else {}


@dataclass(frozen=True)
class PageStart:
    """What a live page reads before anything else. Its cursor, first: an event published after
    the page's data was read is then after the cursor too, and the page's socket or long poll
    replays it (read at render time, the cursor could pass over a purchase made meanwhile, and
    the page would never show it). And who is looking at the group's gifts, when the page shows
    anyone's: the same round trip."""

    cursor: str  # "" with Redis unreachable: the page then loads without live updates
    looking: dict[int, set[int]]


def init_app(app: Flask) -> None:
    """Requires piglist.stores.redis_store to be set up first."""
    client = app.extensions["piglist_redis"]
    ttl = float(app.config.get("PRESENCE_TTL_SECONDS") or PRESENCE_TTL_SECONDS)
    if client is None:
        hub = Hub()
        live = Live(MemoryFeed(hub.dispatch, hub.members_changed), MemoryPresence(ttl), hub)
    else:
        # Pub/sub channels are shared by every database of a server: name the database in them.
        prefix = f"piglist:db{client.connection_pool.connection_kwargs.get('db', 0)}:changes:"
        hub = Hub(app.config["REDIS_URL"], client, app.extensions["piglist_redis_breaker"], prefix)
        live = Live(RedisFeed(client, prefix), RedisPresence(client, ttl), hub, client)
    app.extensions["piglist_live"] = live
    capacity.init_app(app)


def page_start(group_id: int, viewer_id: int, *, looking: bool) -> PageStart:
    """A live page's :class:`PageStart`, for ``viewer_id``; who is looking only if ``looking``
    (never on one's own list, which shows nobody). Call it before reading the page's data."""
    try:
        marks, viewers = current_app.extensions["piglist_live"].marks_and_viewers(group_id, looking)
    except RedisError as exc:
        log.warning("live updates unavailable for this page: %s", exc)
        return PageStart("", {})
    return PageStart(seal(group_id, position_from(marks, viewer_id)), viewers)


def socket_count() -> int:
    """Open live sockets across every web process (``flask piglist stats`` shows it)."""
    return current_app.extensions["piglist_live"].hub.socket_count()


def leave_when(app: Flask, stopping: Callable[[], bool]) -> None:
    """Watch ``stopping`` (gunicorn's worker: told to stop) and then end this process's sockets and
    long polls at once (piglist.live.hub, :meth:`Hub.leave`). A thread (a greenlet under gevent)
    that looks twice a second, not a signal handler: the hub's lock may be held by whatever the
    signal interrupts."""
    hub = app.extensions["piglist_live"].hub

    def watch() -> None:
        while not stopping():
            time.sleep(LEAVE_CHECK_SECONDS)
        hub.leave()

    threading.Thread(target=watch, name="piglist-live-leave", daemon=True).start()
