"""The migrations upgrade and downgrade cleanly on PostgreSQL and SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db

from .support.databases import PG_URL

TABLES = {
    "users",
    "user_sessions",
    "api_tokens",
    "groups",
    "group_members",
    "categories",
    "piglists",
    "gifts",
    "notices",
    "exchanges",
    "exchange_participants",
    "exchange_exclusions",
    "exchange_messages",
    "idempotent_requests",
}


def check_up_and_down(app) -> None:
    with app.app_context():
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        downgrade(revision="base")
        assert not TABLES & set(inspect(db.engine).get_table_names())
        upgrade()
        assert set(inspect(db.engine).get_table_names()) >= TABLES
        db.engine.dispose()


def test_migrations_up_and_down_on_postgresql(pg_schema):
    # A schema of its own, so the run's main schema is untouched.
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=PG_URL,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-csearch_path=migration_check"}},
        REDIS_URL=None,
    )
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
        conn.execute(text("CREATE SCHEMA migration_check"))
    try:
        check_up_and_down(app)
    finally:
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA migration_check CASCADE"))
        with app.app_context():
            db.engine.dispose()


def test_migrations_up_and_down_on_sqlite(tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.sqlite3", REDIS_URL=None)
    check_up_and_down(app)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_models_match_the_migrations(pg_schema, backend):
    """Autogenerate finds nothing to add: the models and the migration history agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=None)
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_the_second_release_carries_gifts_and_purchases_over(tmp_path):
    """Existing gifts become quantity 1, priority normal; a purchase becomes its first row in
    purchases; a shop's picture link waits for `rescrape --images`; and back again."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/m.sqlite3", REDIS_URL=None)
    now = "2026-11-01 10:00:00+00:00"
    with app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, email, display_name, password_hash, created_at) "
                    "VALUES (1, 'a@x.org', 'Tom', 'h', :now), (2, 'b@x.org', 'Dad', 'h', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO groups (id, name, invite_code, is_locked, currency, created_at) "
                    "VALUES (1, 'F', 'code', 0, 'USD', :now)"
                ),
                {"now": now},
            )
            conn.execute(
                text("INSERT INTO piglists (id, group_id, user_id, created_at) VALUES (1, 1, 1, :now)"),
                {"now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO gifts (id, piglist_id, title, image_url, options, scrape_status, status, "
                    "purchased_by_id, purchased_at, created_at, updated_at) VALUES "
                    "(1, 1, 'Kite', 'https://shop.example/k.jpg', '{}', 'manual', 'purchased', 2, :now, :now, :now), "
                    "(2, 1, 'Ball', NULL, '{}', 'manual', 'available', NULL, NULL, :now, :now)"
                ),
                {"now": now},
            )
        upgrade()
        with db.engine.connect() as conn:
            gifts = conn.execute(
                text("SELECT id, quantity, priority, image_url, image_source FROM gifts ORDER BY id")
            ).all()
            purchases = conn.execute(text("SELECT gift_id, user_id, quantity FROM purchases")).all()
        assert gifts == [(1, 1, "normal", None, "https://shop.example/k.jpg"), (2, 1, "normal", None, None)]
        assert purchases == [(1, 2, 1)]
        downgrade(revision="0005")
        with db.engine.connect() as conn:
            back = conn.execute(
                text("SELECT image_url, status, purchased_by_id FROM gifts ORDER BY id")
            ).all()
        assert back == [("https://shop.example/k.jpg", "purchased", 2), (None, "available", None)]
        db.engine.dispose()
