"""Migration 0008 on a copy of a populated database: every piglist becomes a member list kept by
and for its owner, every gift a wish its owner added; and back, keeping only what the old schema
can hold without showing anyone an idea meant to be hidden from them."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

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


def test_down_keeps_member_lists_and_wishes_and_drops_what_would_leak(tmp_path, pg_schema):
    with migration_app("postgresql", tmp_path, "lists_migration") as app, app.app_context():
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
