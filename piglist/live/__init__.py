"""The live layer: the change feed, cursors, presence, the hub, the WebSocket and the long poll.

- ``feed``: events emitted in a transaction and published on commit (what gifts code imports);
- ``cursors``: the opaque positions the long poll hands out;
- ``presence``: who looks at which gift (the store); ``viewing``: recording and announcing it;
- ``hub``: one Redis subscriber per web process, fanning events out to local waiters;
- ``changes``: the long poll; ``streams``: Turbo Stream rendering; ``routes``: ``/ws/groups/<gid>``.

The backend — Redis, or this process's memory when ``REDIS_URL`` is unset — is chosen once, here,
when the app starts; every other module asks ``app.extensions["piglist_live"]`` for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from flask_login import current_user
from redis.exceptions import RedisError

from .cursors import position_now, seal
from .feed import MemoryFeed, RedisFeed
from .hub import Hub
from .presence import MemoryPresence, RedisPresence

PRESENCE_TTL_SECONDS = 60


@dataclass
class Live:
    feed: RedisFeed | MemoryFeed
    presence: RedisPresence | MemoryPresence
    hub: Hub


def init_app(app: Flask) -> None:
    """Requires piglist.redis_store to be set up first."""
    client = app.extensions["piglist_redis"]
    ttl = float(app.config.get("PRESENCE_TTL_SECONDS") or PRESENCE_TTL_SECONDS)
    if client is None:
        hub = Hub()
        live = Live(MemoryFeed(hub.dispatch), MemoryPresence(ttl), hub)
    else:
        # Pub/sub channels are shared by every database of a server: name the database in them.
        prefix = f"piglist:db{client.connection_pool.connection_kwargs.get('db', 0)}:changes:"
        hub = Hub(app.config["REDIS_URL"], client, app.extensions["piglist_redis_breaker"], prefix)
        live = Live(RedisFeed(client, prefix), RedisPresence(client, ttl), hub)
    app.extensions["piglist_live"] = live
    app.jinja_env.globals["live_cursor"] = page_cursor


def page_cursor(group_id: int) -> str:
    """The cursor of a page as it is rendered, so its socket or long poll starts exactly there."""
    try:
        return seal(
            group_id, position_now(current_app.extensions["piglist_live"].feed, group_id, current_user.id)
        )
    except RedisError:
        return ""


def socket_count() -> int:
    """Open live sockets across every web process (``flask piglist stats`` shows it)."""
    return current_app.extensions["piglist_live"].hub.socket_count()
