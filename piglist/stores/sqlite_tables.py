"""Rebuilding an SQLite table under migrations, which SQLite needs to change a column's NOT NULL
or add a CHECK: Alembic's batch mode copies the table, drops it and renames the copy.

Two things stand in the way and are handled here, so every migration that rebuilds does it the
same way. The version triggers of migration 0007 (and their successors) name tables in their
bodies; while the old table is dropped, SQLite refuses to rename the copy ("error in trigger …:
no such table"), so every trigger is dropped first and recreated from its own stored SQL after.
Dropping a table also deletes its rows, and with foreign keys on that cascades to every row that
points at them (a rebuilt `piglists` would take every gift with it): migrations/env.py runs the
migrations on SQLite with foreign keys off, and the rebuild checks them all after.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from sqlalchemy import text


def rebuild(op: Any, table: str, change: Callable[[Any], None]) -> None:
    """Rebuild ``table`` on SQLite, applying ``change(batch_op)``, keeping every trigger as it was."""
    bind = op.get_bind()
    assert bind.dialect.name == "sqlite", "only SQLite needs a table rebuilt"
    foreign_keys = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    if foreign_keys:
        raise RuntimeError("rebuilding a table with foreign keys on would cascade its rows away")
    triggers = bind.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    ).all()
    for name, _ in triggers:
        op.execute(f'DROP TRIGGER "{name}"')
    with warnings.catch_warnings():
        # Reflecting the table reflects what it points at; users' lower(email) index is one
        # SQLAlchemy can't read, and it isn't rebuilt.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        with op.batch_alter_table(table, recreate="always") as batch_op:
            change(batch_op)
    for _, sql in triggers:
        op.execute(sql)
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"rebuilding {table} left rows pointing nowhere: {broken[:5]}")
