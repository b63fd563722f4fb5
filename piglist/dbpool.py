"""Checking that a pooled database connection is alive, only when it may have gone stale.

SQLAlchemy's ``pool_pre_ping`` sends PostgreSQL a query before every request's first one: a
round trip per request, a fifth of a small API call's time. A connection used a moment ago is
alive unless the database restarted meanwhile, so only one left idle for more than
``IDLE_SECONDS`` is pinged (and replaced when dead). If the database restarts under steady
traffic, the first statement on a busy connection fails; SQLAlchemy then discards the whole
pool, so each web process loses that one request and reconnects.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError

from .extensions import db

IDLE_SECONDS = 10.0


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine.pool, "checkin")
    def remember_when(dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def ping_if_idle(dbapi_connection, record, proxy) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool tries again with a new connection.
            raise DisconnectionError("stale connection") from exc
