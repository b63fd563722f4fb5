"""SQLite databases migrated before 0008 rebuilt piglists: let them hold every kind of list

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 12:50:00

Migration 0008 first left `piglists.user_id` NOT NULL on SQLite (altering it there rebuilds the
table), so a site on the embedded default refused shared and dependant lists. 0008 now rebuilds
the table; a database that ran the earlier 0008 is rebuilt here the same way. PostgreSQL, and
SQLite databases migrated since, have nothing to do.
"""
import importlib.util
from pathlib import Path

from alembic import op

from piglist.stores import sqlite_tables

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _still_not_null():
    columns = op.get_bind().exec_driver_sql('PRAGMA table_info(piglists)').all()
    return any(column[1] == 'user_id' and column[3] for column in columns)


def _migration_0008():
    path = Path(__file__).with_name('0008_lists_kinds_and_ideas.py')
    spec = importlib.util.spec_from_file_location('migration_0008', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    if op.get_bind().dialect.name == 'sqlite' and _still_not_null():
        sqlite_tables.rebuild(op, 'piglists', _migration_0008()._lists_of_every_kind)


def downgrade():
    # 0008's downgrade puts the column back as it was; the schema at 0012 is the same as now.
    pass
