"""Restoring from a backup, as docs/operations.md tells an operator to: ``pg_dump --format=custom``
of a database in use, ``pg_restore`` into an empty one, the release line (migrations) on it, and
the site serves what was there — purchases, pictures' rows, people — with nothing to redo."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import func, select

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db
from piglist.models import Gift, Purchase, User

from . import factories
from .support.databases import PG_URL, _libpq, create_database


def test_a_dump_restored_into_an_empty_database_serves_the_same_family(app, tmp_path):
    family = factories.make_family()
    gift = factories.make_gift(family.owner, family.group, title="Kite", price="12.50")
    factories.make_purchase(gift, family.giver)
    people = db.session.scalar(select(func.count()).select_from(User))
    dump = tmp_path / "piglist.dump"
    db.session.commit()

    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", _libpq(PG_URL)], check=True)
    restored_url = create_database(f"restored_{uuid.uuid4().hex[:8]}")
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={_libpq(restored_url)}", str(dump)],
        check=True,
    )
    release = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "db", "upgrade"],
        env={**os.environ, "DATABASE_URL": restored_url, "PIGLIST_CONFIG": "development", "REDIS_URL": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert release.returncode == 0, release.stderr

    restored = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=restored_url, REDIS_URL=None)
    with restored.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == people
        kite = db.session.get(Gift, gift.id)
        assert (kite.title, str(kite.price)) == ("Kite", "12.50")
        [purchase] = db.session.scalars(select(Purchase).where(Purchase.gift_id == gift.id))
        assert purchase.user_id == family.giver.id
        token = factories.token_for(db.session.get(User, family.giver.id))
        db.session.remove()
        db.engine.dispose()
    answer = restored.test_client().get(
        f"/api/v1/gifts/{gift.id}", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "purchased"
