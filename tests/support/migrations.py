"""Running the migrations over data: an app on its own PostgreSQL schema (or SQLite file) to move
up and down on, and rows seeded by raw SQL, since a migration test's schema is an old revision's,
not the models'."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import text

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db

from .databases import PG_URL

NOW = "2026-11-01 10:00:00+00:00"


@contextmanager
def migration_app(backend: str, tmp_path, schema: str) -> Iterator[Flask]:
    """An app on an empty database: an SQLite file in ``tmp_path``, or PostgreSQL's ``schema``
    (made here and dropped after)."""
    if backend == "sqlite":
        yield create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.sqlite3", REDIS_URL=None
        )
        return
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=PG_URL,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": f"-csearch_path={schema}"}},
        REDIS_URL=None,
    )
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield app
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        with app.app_context():
            db.engine.dispose()


def insert(conn, table: str, *rows: dict[str, Any]) -> None:
    """``rows`` (all with the same columns) into ``table``."""
    conn.execute(sa.insert(sa.table(table, *map(sa.column, rows[0]))), list(rows))


def seed_family(conn, names: tuple[str, ...], *, members: bool = False, now: str = NOW) -> None:
    """Users 1, 2, … called ``names`` and group 1, "F"; with ``members``, all of them in it, the
    first its admin."""
    insert(
        conn,
        "users",
        *(
            {"id": n, "email": f"{n}@x.org", "display_name": name, "password_hash": "h", "created_at": now}
            for n, name in enumerate(names, 1)
        ),
    )
    insert(
        conn,
        "groups",
        {
            "id": 1,
            "name": "F",
            "invite_code": "code",
            "is_locked": False,
            "currency": "USD",
            "created_at": now,
        },
    )
    if members:
        insert(
            conn,
            "group_members",
            *(
                {"group_id": 1, "user_id": n, "role": "admin" if n == 1 else "member", "joined_at": now}
                for n in range(1, len(names) + 1)
            ),
        )


def gift_row(gift_id: int, piglist_id: int, title: str, *, now: str = NOW, **columns: Any) -> dict[str, Any]:
    """A gift as the revisions before 0008 hold one: no picture, entered by hand, nobody bought it."""
    return {
        "id": gift_id,
        "piglist_id": piglist_id,
        "title": title,
        "options": "{}",
        "scrape_status": "manual",
        "status": "available",
        "created_at": now,
        "updated_at": now,
        **columns,
    }
