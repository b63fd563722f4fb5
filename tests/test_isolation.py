"""Proof of the isolation recipe: rows written by one test are gone in the next."""

from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import User

from . import factories


def test_first_writes_a_row(app):
    user = factories.make_user(email="leftover@example.org")
    assert user.id == 1
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_second_sees_nothing_of_the_first(app):
    assert db.session.scalar(select(func.count(User.id))) == 0
    # Identities restart too, so ids in one test never depend on the tests before it.
    assert factories.make_user().id == 1


def test_redis_is_flushed_between_tests(app):
    from piglist.stores.redis_store import get_redis

    client = get_redis()
    assert client.dbsize() == 0
    client.set("piglist:test:leftover", "1")
