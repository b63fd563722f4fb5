"""Proof of the isolation recipe: rows written by one test are gone in the next."""

import redis
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import User

from . import factories
from .support.databases import claim_key, claim_redis_database, claims_database, release_redis_database


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


def test_a_stopped_sites_redis_database_is_flushed_and_given_back_only_while_still_ours():
    """A run starts more sites than the server has databases: a stopped site gives its database
    back at once. A claim that has passed to another process meanwhile is left alone (checked
    while this test still holds the claim, so no other process's claim is touched)."""
    url = claim_redis_database()
    key = claim_key(int(url.rsplit("/", 1)[1]))
    claims, data = claims_database(), redis.Redis.from_url(url)
    ours = claims.get(key)
    data.set("piglist:test:left-by-the-site", "1")

    assert claims.set(key, "another-host:1:another-run", xx=True)  # as if it had passed on
    release_redis_database(url)
    assert claims.get(key) == b"another-host:1:another-run"
    assert data.exists("piglist:test:left-by-the-site")  # not flushed: not ours

    assert claims.set(key, ours, xx=True)
    release_redis_database(url)
    assert claims.get(key) != ours  # given back (and perhaps claimed by another process since)
    assert not data.exists("piglist:test:left-by-the-site")  # flushed first
