"""Migration 0009 (group gifts) with data, on SQLite where it rebuilds `purchases` (its CHECK) and
on PostgreSQL: the lists' versions still move with purchases, and now with group gifts and
pledges; a pledger's 0-quantity purchase is allowed, and goes when downgrading."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from piglist.extensions import db

from .support.migrations import gift_row, insert, migration_app, seed_family

NOW = "2026-12-01 10:00:00+00:00"


def seed(conn) -> None:
    seed_family(conn, ("Tom", "Dad", "Gran"), now=NOW)
    insert(conn, "piglists", {"id": 1, "group_id": 1, "user_id": 1, "created_at": NOW})
    insert(conn, "gifts", gift_row(1, 1, "Bike", price=200, now=NOW))


def purchase_version(conn) -> int:
    return conn.execute(text("SELECT purchase_version FROM piglists WHERE id = 1")).scalar_one()


def check(app) -> None:
    with app.app_context():
        upgrade(revision="0007")
        with db.engine.begin() as conn:
            seed(conn)
        upgrade(revision="0009")
        steps = [
            "INSERT INTO group_gifts (id, gift_id, organiser_id, status, created_at) VALUES (1, 1, 2, 'open', :now)",
            "INSERT INTO pledges (id, group_gift_id, user_id, amount, created_at, updated_at) VALUES (1, 1, 2, 150, :now, :now)",
            "UPDATE pledges SET amount = 160 WHERE id = 1",
            "INSERT INTO pledges (id, group_gift_id, user_id, amount, created_at, updated_at) VALUES (2, 1, 3, 40, :now, :now)",
            "INSERT INTO purchases (gift_id, user_id, quantity, purchased_at) VALUES (1, 2, 1, :now), (1, 3, 0, :now)",
            "UPDATE group_gifts SET status = 'bought', holder_id = 2 WHERE id = 1",
        ]
        for statement in steps:
            with db.engine.begin() as conn:
                before = purchase_version(conn)
                conn.execute(text(statement), {"now": NOW})
            with db.engine.connect() as conn:
                assert purchase_version(conn) > before, statement
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("UPDATE pledges SET amount = 0 WHERE id = 1"))

        downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT user_id, quantity FROM purchases")).all() == [(2, 1)]
        with db.engine.begin() as conn:  # 0007's triggers on purchases are there again
            before = purchase_version(conn)
            conn.execute(text("UPDATE purchases SET quantity = 2"))
        with db.engine.connect() as conn:
            assert purchase_version(conn) > before
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(text("UPDATE purchases SET quantity = 0"))
        upgrade(revision="0009")
        db.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0009_with_data(backend, tmp_path, pg_schema):
    with migration_app(backend, tmp_path, "group_gifts_check") as app:
        check(app)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0015_keeps_an_erased_pledgers_pledge_on_a_gift_bought_together(
    backend, tmp_path, pg_schema
):
    with migration_app(backend, tmp_path, "group_gifts_check") as app, app.app_context():
        upgrade(revision="0009")
        with db.engine.begin() as conn:
            seed(conn)
            conn.execute(
                text(
                    "INSERT INTO group_gifts (id, gift_id, organiser_id, status, holder_id, created_at) "
                    "VALUES (1, 1, 2, 'bought', 2, :now)"
                ),
                {"now": NOW},
            )
            conn.execute(
                text(
                    "INSERT INTO pledges (id, group_gift_id, user_id, amount, created_at, updated_at) "
                    "VALUES (1, 1, 2, 150, :now, :now), (2, 1, 3, 50, :now, :now)"
                ),
                {"now": NOW},
            )
        upgrade(revision="0015")
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM users WHERE id = 3"))  # Gran erases her account
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT user_id, amount FROM pledges ORDER BY id")).all() == [
                (2, 150),
                (None, 50),
            ]
            before = purchase_version(conn)
            conn.execute(text("UPDATE pledges SET amount = 55 WHERE id = 2"))
        with db.engine.connect() as conn:
            assert purchase_version(conn) > before  # 0009's triggers survived the rebuild
        downgrade(revision="0014")
        with db.engine.begin() as conn:
            assert conn.execute(text("SELECT user_id FROM pledges")).all() == [(2,)]
        with pytest.raises(IntegrityError), db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO pledges (group_gift_id, user_id, amount, created_at, updated_at) "
                    "VALUES (1, NULL, 5, :now, :now)"
                ),
                {"now": NOW},
            )
        upgrade()
        db.engine.dispose()
