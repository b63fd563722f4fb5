"""The app's Redis connections, or None in single-process mode (``REDIS_URL`` unset).

Two clients share one URL: a quick one whose calls fail fast when Redis is down, so a
page never hangs on it, and a patient one for calls that block on purpose (long polls).
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

QUICK_TIMEOUT = 1.0
# Long polls block for at most 25 s; the socket must outlast the longest block.
BLOCKING_TIMEOUT = 40.0


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    clients: dict[str, Redis | None] = {"quick": None, "blocking": None}
    if url:
        clients["quick"] = Redis.from_url(
            url, socket_connect_timeout=QUICK_TIMEOUT, socket_timeout=QUICK_TIMEOUT, decode_responses=True
        )
        clients["blocking"] = Redis.from_url(
            url, socket_connect_timeout=QUICK_TIMEOUT, socket_timeout=BLOCKING_TIMEOUT, decode_responses=True
        )
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {"socket_connect_timeout": QUICK_TIMEOUT, "socket_timeout": QUICK_TIMEOUT},
        )
    app.extensions["piglist_redis"] = clients


def get_redis(*, blocking: bool = False) -> Redis | None:
    return current_app.extensions["piglist_redis"]["blocking" if blocking else "quick"]


def redis_status() -> str:
    """'absent' when not configured, else 'ok' or 'down'."""
    client = get_redis()
    if client is None:
        return "absent"
    try:
        client.ping()
    except RedisError as exc:
        log.warning("redis unreachable: %s", exc)
        return "down"
    return "ok"
