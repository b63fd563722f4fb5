"""The app's Redis connections, or None in single-process mode (``REDIS_URL`` unset).

Every client made here fails fast: short socket timeouts, no retries, and a breaker shared by
the process that remembers for a few seconds that Redis did not answer. While it is open,
every call fails at once without touching the network, so with Redis stopped or hung a page
costs what it costs without Redis (presence shows nobody, live updates pause) instead of a
timeout per call. The first call after the pause tries again; everything resumes by itself.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.connection import BlockingConnectionPool
from redis.exceptions import ConnectionError, RedisError, TimeoutError
from redis.retry import Retry

log = logging.getLogger(__name__)

# Seconds. Redis answers in well under a millisecond when it is well. A call gives up after
# CALL_TIMEOUT (connecting, or waiting for a reply) and trips the breaker: with Redis hung
# (connections accepted, nothing answered) the request that meets the hang first waits that long
# and no longer, the ones after it not at all (issue 22: the first one waited a full second). A
# busy gevent process that delays a reply past it pauses presence and live updates for
# BREAKER_SECONDS, which is the price of pages that never wait on Redis.
CALL_TIMEOUT = 0.1
# Waiting for a free connection of the process's pool, and background connections (the live
# hub's subscriber): a busy process, not a hung Redis, so a longer margin.
QUICK_TIMEOUT = 1.0
BREAKER_SECONDS = 5.0
MAX_CONNECTIONS = 100  # per client and process; more greenlets wait their turn (WaitingPool)


class RedisUnavailable(ConnectionError):
    """Raised without a network call while the breaker remembers that Redis is unreachable."""


class PoolExhausted(ConnectionError):
    """Every connection of the process's pool stayed busy for QUICK_TIMEOUT: this process is
    busy, Redis is not down. The call fails; the breaker is not tripped."""


class WaitingPool(BlockingConnectionPool):
    """A burst of greenlets (a thousand long polls asking at once) waits its turn for one of
    ``max_connections`` connections instead of failing at the pool's size (redis-py's default
    pool raises "Too many connections" past 100, which tripped the breaker for everyone)."""

    def get_connection(self, *args, **kwargs):
        try:
            return super().get_connection(*args, **kwargs)
        except ConnectionError as exc:
            if str(exc) == "No connection available.":  # BlockingConnectionPool's wait ran out
                raise PoolExhausted("every Redis connection of this process is busy") from exc
            raise


class Breaker:
    """Shared by every client of a process: one failure opens it for ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.open_until = 0.0
        self.lock = threading.Lock()

    def check(self) -> None:
        if time.monotonic() < self.open_until:
            raise RedisUnavailable("Redis was unreachable a moment ago; not retrying yet")

    def trip(self, reason: BaseException) -> None:
        with self.lock:
            if time.monotonic() >= self.open_until:
                log.warning("redis unreachable, pausing Redis calls for %.0f s: %s", self.seconds, reason)
            self.open_until = time.monotonic() + self.seconds

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self.open_until


class GuardedPipeline(Pipeline):
    breaker: Breaker

    def execute(self, raise_on_error: bool = True):
        self.breaker.check()
        try:
            return super().execute(raise_on_error)
        except PoolExhausted:
            raise
        except (ConnectionError, TimeoutError) as exc:
            self.breaker.trip(exc)
            raise


class GuardedRedis(Redis):
    """A client whose every command (and pipeline) goes through the breaker."""

    breaker: Breaker

    def execute_command(self, *args, **options):
        self.breaker.check()
        try:
            return super().execute_command(*args, **options)
        except PoolExhausted:
            raise
        except (ConnectionError, TimeoutError) as exc:
            self.breaker.trip(exc)
            raise

    def pipeline(self, transaction: bool = True, shard_hint=None) -> Pipeline:
        pipe = GuardedPipeline(self.connection_pool, self.response_callbacks, transaction, shard_hint)
        pipe.breaker = self.breaker
        return pipe


def guarded_client(
    url: str, breaker: Breaker, *, decode_responses: bool = True, max_connections: int = MAX_CONNECTIONS
) -> GuardedRedis:
    pool = WaitingPool.from_url(
        url,
        max_connections=max_connections,
        timeout=QUICK_TIMEOUT,
        socket_connect_timeout=CALL_TIMEOUT,
        socket_timeout=CALL_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        decode_responses=decode_responses,
    )
    client = GuardedRedis(connection_pool=pool, retry=Retry(NoBackoff(), 0))
    client.breaker = breaker
    return client


def init_app(app: Flask) -> None:
    url = app.config["REDIS_URL"]
    breaker = Breaker(app.config.get("REDIS_BREAKER_SECONDS", BREAKER_SECONDS))
    app.extensions["piglist_redis_breaker"] = breaker
    app.extensions["piglist_redis"] = guarded_client(url, breaker) if url else None
    if url:
        app.config.setdefault(
            "RATELIMIT_STORAGE_OPTIONS",
            {"socket_connect_timeout": CALL_TIMEOUT, "socket_timeout": CALL_TIMEOUT},
        )


def get_redis() -> GuardedRedis | None:
    return current_app.extensions["piglist_redis"]


def get_breaker(app: Flask | None = None) -> Breaker:
    return (app or current_app).extensions["piglist_redis_breaker"]


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
