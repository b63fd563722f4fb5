"""Migration 0008 on a copy of a populated database: every piglist becomes a member list kept by
and for its owner, every gift a wish its owner added; and back, keeping only what the old schema
can hold without showing anyone an idea meant to be hidden from them."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from piglist.extensions import db

from .support.migrations import NOW, gift_row, insert, migration_app, seed_family


def populate(conn):
    seed_family(conn, ("Tom", "Dad", "Mum"), members=True)
    insert(conn, "piglists", *({"id": n, "group_id": 1, "user_id": n, "created_at": NOW} for n in (1, 2, 3)))
    insert(
        conn, "gifts", gift_row(1, 1, "Kite", url="https://shop.example/k"), gift_row(2, 2, "Ball", url=None)
    )
    insert(conn, "purchases", {"gift_id": 1, "user_id": 2, "quantity": 1, "purchased_at": NOW})


def rows(conn, sql):
    return [tuple(row) for row in conn.execute(text(sql)).all()]


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_every_piglist_becomes_a_member_list_kept_by_and_for_its_owner(backend, tmp_path, pg_schema):
    with migration_app(backend, tmp_path, "lists_migration") as app, app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            populate(conn)
        upgrade(revision="0008")
        with db.engine.connect() as conn:
            assert rows(conn, "SELECT id, user_id, kind, status, name FROM piglists ORDER BY id") == [
                (1, 1, "member", "active", None),
                (2, 2, "member", "active", None),
                (3, 3, "member", "active", None),
            ]
            assert rows(conn, "SELECT list_id, user_id FROM list_recipients ORDER BY list_id") == [
                (1, 1),
                (2, 2),
                (3, 3),
            ]
            assert rows(conn, "SELECT list_id, user_id FROM list_managers ORDER BY list_id") == [
                (1, 1),
                (2, 2),
                (3, 3),
            ]
            assert rows(conn, "SELECT id, added_by_id, is_idea FROM gifts ORDER BY id") == [
                (1, 1, False),
                (2, 2, False),
            ]
            assert rows(conn, "SELECT gift_id, user_id FROM purchases") == [(1, 2)]
        db.engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_down_keeps_member_lists_and_wishes_and_drops_what_would_leak(backend, tmp_path, pg_schema):
    with migration_app(backend, tmp_path, "lists_migration") as app, app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            populate(conn)
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            # Lily's list, kept by Mum; and Dad's idea on Tom's list, with the same link as Tom's wish.
            conn.execute(
                text(
                    "INSERT INTO piglists (id, group_id, user_id, kind, name, created_at) "
                    "VALUES (4, 1, NULL, 'dependant', 'Lily', :now)"
                ),
                {"now": NOW},
            )
            conn.execute(text("INSERT INTO list_managers (list_id, user_id) VALUES (4, 3)"))
            conn.execute(
                text(
                    "INSERT INTO gifts (id, piglist_id, title, url, options, scrape_status, status, "
                    "added_by_id, is_idea, created_at, updated_at) VALUES "
                    "(3, 4, 'Doll', NULL, '{}', 'manual', 'available', 3, false, :now, :now), "
                    "(4, 1, 'Kite too', 'https://shop.example/k', '{}', 'manual', 'available', 2, true, :now, :now)"
                ),
                {"now": NOW},
            )
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert rows(conn, "SELECT id, user_id FROM piglists ORDER BY id") == [(1, 1), (2, 2), (3, 3)]
            assert rows(conn, "SELECT id, title FROM gifts ORDER BY id") == [(1, "Kite"), (2, "Ball")]
            assert rows(conn, "SELECT gift_id, user_id FROM purchases") == [(1, 2)]
        upgrade()
        db.engine.dispose()


def sqlite_schema(conn):
    """Every trigger and the piglists table as SQLite keeps them, and whether keys are enforced."""
    triggers = rows(conn, "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    user_id = next(row for row in rows(conn, "PRAGMA table_info(piglists)") if row[1] == "user_id")
    return {"triggers": triggers, "user_id_notnull": user_id[3]}


def test_on_sqlite_the_rebuild_keeps_every_row_trigger_and_key_up_and_down(tmp_path):
    """SQLite alters piglists.user_id by rebuilding the table: no gift, purchase or version trigger
    may go with the old copy, and foreign keys are on again for the app afterwards."""
    with migration_app("sqlite", tmp_path, "lists_migration") as app, app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            populate(conn)
            before = sqlite_schema(conn)
        assert before["user_id_notnull"] == 1 and len(before["triggers"]) == 15
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            assert sqlite_schema(conn) == {**before, "user_id_notnull": 0}
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            # The version triggers still move the rebuilt table's rows.
            versions = "SELECT version, purchase_version FROM piglists WHERE id = 1"
            [(version, purchase_version)] = rows(conn, versions)
            conn.execute(text("UPDATE gifts SET title = 'Red kite' WHERE id = 1"))
            conn.execute(text("UPDATE purchases SET quantity = 1 WHERE gift_id = 1"))
            assert rows(conn, versions) == [(version + 1, purchase_version + 1)]
            # A dependant's list fits now, and the checks hold on SQLite too.
            conn.execute(
                text(
                    "INSERT INTO piglists (id, group_id, user_id, kind, name, created_at) "
                    "VALUES (4, 1, NULL, 'dependant', 'Lily', :now)"
                ),
                {"now": NOW},
            )
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO piglists (group_id, user_id, kind, created_at) VALUES (1, NULL, 'member', :now)"
                ),
                {"now": NOW},
            )
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("DELETE FROM groups WHERE id = 99"))
            conn.execute(
                text(
                    "INSERT INTO gifts (piglist_id, title, options, scrape_status, status, "
                    "created_at, updated_at) VALUES (99, 'Nowhere', '{}', 'manual', 'available', :now, :now)"
                ),
                {"now": NOW},
            )
        downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert sqlite_schema(conn) == before
            assert rows(conn, "SELECT id, user_id FROM piglists ORDER BY id") == [(1, 1), (2, 2), (3, 3)]
            assert rows(conn, "SELECT id, title FROM gifts ORDER BY id") == [(1, "Red kite"), (2, "Ball")]
            assert rows(conn, "SELECT gift_id, user_id FROM purchases") == [(1, 2)]
        upgrade()
        with db.engine.connect() as conn:
            assert sqlite_schema(conn)["user_id_notnull"] == 0
            assert rows(conn, "SELECT id, title FROM gifts ORDER BY id") == [(1, "Red kite"), (2, "Ball")]
        db.engine.dispose()


def test_on_sqlite_a_database_migrated_by_the_earlier_0008_is_rebuilt_by_0014(tmp_path):
    """Sites on SQLite that ran 0008 before it rebuilt piglists still have user_id NOT NULL."""
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from piglist.stores import sqlite_tables

    with migration_app("sqlite", tmp_path, "lists_migration") as app, app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            populate(conn)
        # Put the table back as the earlier 0008 left it.
        path = next(Path(__file__).parents[1].glob("migrations/versions/0008_*.py"))
        spec = spec_from_file_location("m0008", path)
        m0008 = module_from_spec(spec)
        spec.loader.exec_module(m0008)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            with Operations.context(MigrationContext.configure(conn)):
                from alembic import op

                sqlite_tables.rebuild(op, "piglists", m0008._member_lists_only)
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            before = sqlite_schema(conn)
        assert before["user_id_notnull"] == 1
        upgrade(revision="0014")
        with db.engine.connect() as conn:
            assert sqlite_schema(conn) == {**before, "user_id_notnull": 0}
            assert rows(conn, "SELECT id, title FROM gifts ORDER BY id") == [(1, "Kite"), (2, "Ball")]
            assert rows(conn, "SELECT gift_id, user_id FROM purchases") == [(1, 2)]
            checks = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'piglists'").scalar()
            assert "ck_piglists_member_has_user" in checks
        db.engine.dispose()
