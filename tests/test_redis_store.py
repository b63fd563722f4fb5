"""The app's Redis clients (piglist.stores.redis_store): a busy process waits its turn for a connection,
and running out of them is not mistaken for Redis being down."""

from __future__ import annotations

import threading

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from piglist.stores.redis_store import Breaker, PoolExhausted, guarded_client

from .support.databases import redis_url


def test_a_busy_pool_makes_callers_wait_their_turn(app):
    client = guarded_client(redis_url(), Breaker(5), max_connections=1)
    held = client.connection_pool.get_connection()
    threading.Timer(0.2, client.connection_pool.release, [held]).start()
    assert client.ping()  # waited for the one connection, then got it
    assert not client.breaker.is_open


def test_an_exhausted_pool_fails_the_call_without_tripping_the_breaker(app):
    """A thousand long polls asking at once is a busy process, not Redis down: tripping the
    breaker answered every poll 503 for five seconds (bench-live, 2026-11-30)."""
    client = guarded_client(redis_url(), Breaker(5), max_connections=1)
    held = client.connection_pool.get_connection()
    try:
        with pytest.raises(PoolExhausted):
            client.get("anything")
        with pytest.raises(PoolExhausted):
            client.pipeline().get("anything").execute()
    finally:
        client.connection_pool.release(held)
    assert not client.breaker.is_open
    assert client.ping()


def test_redis_unreachable_still_trips_the_breaker(app):
    client = guarded_client("redis://127.0.0.1:1/0", Breaker(5))
    with pytest.raises(RedisConnectionError):
        client.ping()
    assert client.breaker.is_open
