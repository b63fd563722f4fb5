"""How a process connects to PostgreSQL, so that a hung database costs a request seconds, never
minutes (SPEC §10.8, issue 22 finding 5).

PostgreSQL that accepts connections and answers nothing (stopped, swapped out, a dead network
path) used to hold every page, API call and ``/health`` for as long as the client cared to wait,
and a purchase whose client had long given up was committed when it came back. Four limits:

- connecting: ``DATABASE_CONNECT_TIMEOUT`` seconds (libpq's ``connect_timeout``);
- a statement: ``DATABASE_STATEMENT_TIMEOUT_MS`` on the server (its ``statement_timeout``, which
  also bounds a wait for a row lock), and the same plus half a second on the client: every wait on
  the connection's socket (a statement, a commit, a rollback) gives up then, and the connection is
  closed, since the server may be too hung to cancel anything;
- taking a pooled connection: a ping answered within a second, else a fresh connection;
- waiting for a free connection: ``DATABASE_POOL_TIMEOUT`` seconds.

Each failure is an ``OperationalError`` (or the pool's ``TimeoutError``): the error handlers answer
503. A retried purchase is then safe through its ``Idempotency-Key`` (piglist.web.idempotency).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import psycopg
from flask import Flask
from psycopg import errors as pg_errors
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session

# A server that answers hears its statement_timeout first and cancels cleanly (the connection
# lives on); the client gives up this much later.
GRACE_SECONDS = 0.5
# ``SELECT 1`` takes well under a millisecond on a server that is well.
PING_SECONDS = 1.0


class DeadlineConnection(psycopg.Connection):
    """A psycopg connection whose every wait for the server ends after ``deadline`` seconds."""

    deadline: float | None = None

    def wait(self, gen, interval: float = 0.1, timeout: float | None = None):  # type: ignore[override]
        limit = timeout if timeout is not None else self.deadline
        try:
            return super().wait(gen, interval, limit)
        except pg_errors._WaitTimeout:  # psycopg's own signal that ``timeout`` ran out
            # Half a message may be on the wire: the connection can never be trusted again.
            self.pgconn.finish()
            raise psycopg.OperationalError(f"the database did not answer within {limit:g} s") from None


def engine_options(config: dict[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options for PostgreSQL from the app's settings (pool sizes and limits)."""
    statement_ms = config["DATABASE_STATEMENT_TIMEOUT_MS"]
    options = f"-c statement_timeout={statement_ms}"
    return {
        "pool_size": config["DATABASE_POOL_SIZE"],
        "max_overflow": config["DATABASE_MAX_OVERFLOW"],
        "pool_timeout": config["DATABASE_POOL_TIMEOUT"],
        # The checkout ping below replaces SQLAlchemy's, whose wait would be a statement's.
        "pool_pre_ping": False,
        "connect_args": {"connect_timeout": config["DATABASE_CONNECT_TIMEOUT"], "options": options},
    }


# Engines given their limits: once each. Apps that share an engine (the test processes share one
# per database across their apps, tests/support/speedups.py) would otherwise stack a ping per app
# on every checkout: thousands of round trips each, late in a test run.
_INSTALLED: weakref.WeakSet[Engine] = weakref.WeakSet()


def install(engine: Engine, config: dict[str, Any]) -> None:
    """Give ``engine``'s connections their deadlines, and ping each one taken from the pool."""
    if engine in _INSTALLED:
        return
    _INSTALLED.add(engine)
    statement_ms = config["DATABASE_STATEMENT_TIMEOUT_MS"]
    statement_deadline = statement_ms / 1000 + GRACE_SECONDS if statement_ms else None
    ping_deadline = min(PING_SECONDS, float(config["DATABASE_CONNECT_TIMEOUT"]))

    @event.listens_for(engine, "do_connect")
    def connect(dialect, record, cargs, cparams):
        connection = DeadlineConnection.connect(*cargs, **cparams)
        connection.deadline = statement_deadline
        return connection

    @event.listens_for(engine, "checkout")
    def ping(dbapi_connection, record, proxy):
        # In autocommit for the ping, as SQLAlchemy's own does: one round trip, no transaction
        # left open (a later change of isolation level would be refused inside one).
        dbapi_connection.deadline = ping_deadline
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute("SELECT 1")
        except psycopg.Error as exc:
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        finally:
            dbapi_connection.deadline = statement_deadline
            if not dbapi_connection.closed:
                dbapi_connection.autocommit = autocommit


@contextmanager
def without_limits(connection) -> Iterator[None]:
    """For the migrations (the release line): building an index on a large table may take minutes,
    and nothing waits on it but the operator. The connection is closed after, never pooled
    without its limits."""
    connection.exec_driver_sql("SET statement_timeout = 0")
    connection.commit()  # the session's setting stays; the migrations begin a transaction of their own
    connection.connection.dbapi_connection.deadline = None
    try:
        yield
    finally:
        connection.invalidate()


def as_is(connection) -> nullcontext:
    """:func:`without_limits`'s stand-in for a database that has none (SQLite)."""
    return nullcontext()


def init_app(app: Flask, db) -> None:
    """Called by create_app around ``db.init_app`` for PostgreSQL."""
    with app.app_context():
        install(db.engine, app.config)


def commit_keeping_loaded(session: Session) -> None:
    """Commit without expiring what ``session`` holds, for this one commit only: a caller that
    answers with the rows it read under a lock and what it just wrote reads nothing again after
    the commit. Ending a transaction that changed nothing this way lets its locks go at once and
    keeps what was read (a rollback would expire it all). The caller must hold no unsaved work it
    means to throw away."""
    expiring = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expiring
