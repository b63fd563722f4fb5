"""The migrations upgrade and downgrade cleanly on PostgreSQL and SQLite."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db

from .conftest import PG_URL

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
