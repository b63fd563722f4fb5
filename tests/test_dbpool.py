"""A pooled connection the database dropped while it sat idle is replaced before use, so the
request that picks it up never sees the error (piglist/dbpool.py)."""

from __future__ import annotations

import psycopg
from sqlalchemy import text

from piglist import dbpool
from piglist.extensions import db

from .conftest import PG_URL


def test_a_connection_killed_while_idle_is_replaced_before_use(app, monkeypatch):
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    db.session.remove()  # back to the pool
    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]
    monkeypatch.setattr(dbpool, "IDLE_SECONDS", 0.0)  # "idle for a while" is now any time at all

    assert db.session.scalar(text("SELECT 1")) == 1
    assert db.session.scalar(text("SELECT pg_backend_pid()")) != pid
