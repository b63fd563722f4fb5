"""A PostgreSQL database and a Redis database of its own for each test process (one per
pytest-xdist worker): created beside ``TEST_DATABASE_URL``'s and dropped at the end, claimed on
``TEST_REDIS_URL``'s server and freed; and the one round trip that empties every table after a test.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import socket
import uuid
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from sqlalchemy import make_url, text

from config import database_url
from piglist.extensions import db

BASE_PG_URL = database_url(os.environ.get("TEST_DATABASE_URL"), "postgresql://root@127.0.0.1:5432/test")

BASE_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")

RUN = f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:8]}"

PG_URL = (
    make_url(BASE_PG_URL)
    .set(database=f"{make_url(BASE_PG_URL).database}_{RUN}")
    .render_as_string(hide_password=False)
)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def create_process_database() -> None:
    """This process's database on TEST_DATABASE_URL's server, dropped when the process ends."""
    create_database(make_url(PG_URL).database)


def create_database(name: str) -> str:
    """A new PostgreSQL database beside TEST_DATABASE_URL's, dropped when the process ends; its URL."""
    try:
        with psycopg.connect(_libpq(BASE_PG_URL), connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        pytest.exit(
            f"PostgreSQL is not usable at {_libpq(BASE_PG_URL)} ({exc}). Start it (make test does) or "
            "set TEST_DATABASE_URL to a database whose user may create databases.",
            returncode=3,
        )

    def drop() -> None:
        with psycopg.connect(_libpq(BASE_PG_URL), connect_timeout=3, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    atexit.register(drop)
    return make_url(BASE_PG_URL).set(database=name).render_as_string(hide_password=False)


CLAIM_SECONDS = 3 * 60 * 60


def _take_over_if_abandoned(admin: redis.Redis, key: str, owner: str) -> bool:
    """A claim whose process on this machine is gone (a killed run) is taken over at once rather
    than after its expiry; claims from other machines, or in an old format, are left alone."""
    held = (admin.get(key) or b"").decode()
    host, _, rest = held.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
        return False  # still running
    except ProcessLookupError:
        pass
    except PermissionError:
        return False
    # Only if nobody took it over meanwhile (compare-and-set in one transaction).
    with admin.pipeline() as pipe:
        try:
            pipe.watch(key)
            if (pipe.get(key) or b"").decode() != held:
                return False
            pipe.multi()
            pipe.set(key, owner, ex=CLAIM_SECONDS)
            pipe.execute()
        except redis.WatchError:
            return False
    return True


def claim_redis_database() -> str:
    """A Redis database of its own: the first at or after TEST_REDIS_URL's that no other test process
    holds. Claims are keys in database 0 naming the claiming process; they expire, and a claim
    whose process has died is taken over, so a killed run never blocks the next."""
    base = urlsplit(BASE_REDIS_URL)
    first = int(base.path.strip("/") or 0)
    try:
        admin = claims_database()
        count = int(admin.config_get("databases").get("databases", 16))
        owner = _owner()
        for number in range(max(first, 1), count):
            key = claim_key(number)
            if admin.set(key, owner, nx=True, ex=CLAIM_SECONDS) or _take_over_if_abandoned(admin, key, owner):
                url = urlunsplit(base._replace(path=f"/{number}"))
                atexit.register(release_redis_database, url)
                return url
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {BASE_REDIS_URL} ({exc}). Start it (make test does) or set "
            "TEST_REDIS_URL.",
            returncode=3,
        )
    pytest.exit(f"Every Redis database at {BASE_REDIS_URL} is held by another test run.", returncode=3)


def release_redis_database(url: str) -> None:
    """A database :func:`claim_redis_database` handed out, flushed and given back before the
    process ends (a stopped site's: a run starts more sites than the server has databases). Only a
    claim still this process's is dropped: one given back may have been claimed by another."""
    key, owner = claim_key(int(urlsplit(url).path.strip("/"))), _owner()
    with contextlib.suppress(redis.RedisError):
        admin = claims_database()
        if (admin.get(key) or b"").decode() == owner:
            redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()
            admin.eval(_DELETE_IF_OWNED, 1, key, owner)


_DELETE_IF_OWNED = (
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
)


def claims_database() -> redis.Redis:
    """Database 0, where claims live: no test flushes it (a URL's own database wins over db=)."""
    return redis.Redis.from_url(
        urlunsplit(urlsplit(BASE_REDIS_URL)._replace(path="/0")), socket_connect_timeout=3
    )


def claim_key(number: int) -> str:
    return f"piglist:test-claim:{number}"


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{RUN}"


@functools.cache
def redis_url() -> str:
    """This process's Redis database, claimed once."""
    return claim_redis_database()


@functools.cache
def process_redis() -> redis.Redis:
    """One client on this process's Redis database for the fixtures' own work (flushing it)."""
    return redis.Redis.from_url(redis_url())


@functools.cache
def emptying_sql() -> str:
    """One round trip that empties every table, children first, and restarts every id sequence.
    DELETE rather than TRUNCATE: on tables this small, TRUNCATE's new files cost ~130 ms a test,
    DELETE ~15 ms."""
    with db.engine.connect() as conn:
        sequences = conn.execute(
            text(
                "SELECT pg_get_serial_sequence(table_name, column_name) FROM information_schema.columns"
                " WHERE table_schema = 'public'"
                " AND pg_get_serial_sequence(table_name, column_name) IS NOT NULL"
            )
        ).scalars()
        # setval, not ALTER SEQUENCE: no catalog change for every other connection to take in.
        restarts = [f"SELECT setval('{name}', 1, false)" for name in sequences]
    tables = reversed(db.metadata.sorted_tables)
    deletes = [f"DELETE FROM {table.name}" for table in tables]  # noqa: S608 (our own table names)
    # A connection a test left open would make the deletes wait for ever; fail loudly instead.
    return "; ".join(["SET LOCAL lock_timeout = '20s'", *deletes, *restarts])


def empty_all_tables() -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(emptying_sql())
