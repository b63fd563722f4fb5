"""API tokens and logins recognised from each process's cache (piglist.auth.credentials): no query
while nothing about the user changed, and every change made in one process refused or shown at
once by another — two apps on one database and one Redis stand for two web processes."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from piglist.extensions import db
from piglist.models import User
from piglist.stores.redis_store import get_breaker

from . import factories
from .support.clients import AuthActions, post_form
from .support.credentials import calls, statements_of, warm
from .support.databases import redis_url
from .support.queries import counting_queries


def test_a_known_token_costs_no_query(app, user):
    client = calls(app, factories.token_for(user))
    assert statements_of(client)[0] == 200  # learns whose token it is
    assert statements_of(client)[0] == 200  # reads it, vouched for by the counters
    assert statements_of(client) == (200, 0)
    assert client.get("/me").get_json()["display_name"] == "Alice"


def test_a_token_revoked_in_one_process_is_refused_by_the_other_at_once(app, user, elsewhere):
    token = factories.token_for(user)
    there = warm(elsewhere, token)
    assert calls(app, token).delete("/auth/token").status_code in (200, 204)
    assert there.get("/me").status_code == 401


def test_a_new_password_revokes_cached_tokens_everywhere(app, user, elsewhere):
    """replace_password deletes the tokens with one DELETE statement: whose, the cache can't tell,
    so every entry is doubted."""
    token, bystander = factories.token_for(user), factories.token_for(factories.make_user())
    there, theirs = warm(elsewhere, token), warm(elsewhere, bystander)
    from piglist.auth.accounts import replace_password

    replace_password(db.session.get(User, user.id), "a new long password 123")
    db.session.commit()
    assert there.get("/me").status_code == 401
    assert theirs.get("/me").status_code == 200  # read again from the database, still good


def test_a_new_name_shows_at_once_in_the_other_process(app, user, elsewhere):
    there = warm(elsewhere, factories.token_for(user))
    db.session.get(User, user.id).display_name = "Alicia"
    db.session.commit()
    assert there.get("/me").get_json()["display_name"] == "Alicia"


def test_an_erased_account_is_refused_at_once(app, user, elsewhere):
    token = factories.token_for(user)
    there = warm(elsewhere, token)
    response = calls(app, token).delete("/me", json={"password": factories.PASSWORD})
    assert response.status_code == 204
    assert there.get("/me").status_code == 401


def test_with_redis_unreachable_nothing_is_trusted_from_the_cache(app, user, elsewhere):
    token = factories.token_for(user)
    there = warm(elsewhere, token)
    get_breaker(elsewhere).trip(ConnectionError("test: Redis down"))
    status, queries = statements_of(there)
    assert status == 200 and queries >= 1
    # Revoked behind the cache's back (no ORM, no counter moved): the database says no.
    db.session.execute(text("DELETE FROM api_tokens"))
    db.session.commit()
    assert there.get("/me").status_code == 401


def test_a_redis_that_lost_its_counters_invalidates_every_entry(app, user, elsewhere):
    """Redis restarted (no persistence): counters start again from nothing, and must not match
    an entry made before, or a token revoked just before the restart would live on."""
    token = factories.token_for(user)
    there = warm(elsewhere, token)
    db.session.execute(text("DELETE FROM api_tokens"))  # behind the cache's back
    db.session.commit()
    redis.Redis.from_url(redis_url()).flushdb()
    assert there.get("/me").status_code == 401


@pytest.mark.parametrize("bad", ["", "x" * 5000, "pgl_" + "0" * 40, "' OR 1=1 --"])
def test_hostile_tokens_are_refused_and_not_remembered(app, elsewhere, bad):
    client = calls(elsewhere, bad)
    for _ in range(3):
        response = client.get("/me")
        assert response.status_code in (400, 401)
        assert "error" in response.get_json()
    assert len(elsewhere.extensions["piglist_credentials"].entries) == 0


def logged_in_twice(app, elsewhere, user):
    """One browser's login, used through both processes (as a load balancer would)."""
    here = app.test_client()
    AuthActions(here).login_as(user)
    there = elsewhere.test_client()
    name, value = "session", here.get_cookie("session").value
    there.set_cookie(name, value)
    for _ in range(3):
        assert there.get("/api/v1/me").status_code == 200
    with counting_queries() as statements:
        assert there.get("/api/v1/me").status_code == 200
    assert statements == []
    return here, there


def test_a_login_is_known_without_a_query_and_a_logout_holds_everywhere_at_once(app, user, elsewhere):
    here, there = logged_in_twice(app, elsewhere, user)
    assert post_form(here, "/logout").status_code in (302, 303)
    assert there.get("/api/v1/me").status_code == 401


def test_log_out_everywhere_holds_in_every_process_at_once(app, user, elsewhere):
    from piglist.auth.accounts import end_all_logins

    _, there = logged_in_twice(app, elsewhere, user)
    end_all_logins(db.session.get(User, user.id))
    assert there.get("/api/v1/me").status_code == 401


def test_a_live_login_key_under_another_id_is_no_login(app, user, elsewhere):
    """Hostile: a cookie naming someone else's id with a live key, once the key is cached."""
    from piglist.auth.accounts import start_login, user_for_login

    person = db.session.get(User, user.id)
    start_login(person)
    key, other = person.login_key, factories.make_user(display_name="Mallory")
    with elsewhere.test_request_context():
        for _ in range(3):
            assert user_for_login(f"{user.id}.{key}").id == user.id
        assert user_for_login(f"{other.id}.{key}") is None
        assert user_for_login(f"{user.id}.{key}x") is None


class Undone(Exception):
    pass


def test_a_change_is_told_when_its_transaction_commits_not_when_a_savepoint_in_it_is_released(
    app, user, elsewhere
):
    """A savepoint released inside the transaction commits nothing: told then, the other process
    would read the old name before the commit and keep it as current."""
    there = warm(elsewhere, factories.token_for(user))
    db.session.get(User, user.id).display_name = "Alicia"
    with db.session.begin_nested():  # flushes the new name first, as the purchase alerts' do
        pass
    assert there.get("/me").get_json()["display_name"] == "Alice"  # not committed yet
    db.session.commit()
    assert there.get("/me").get_json()["display_name"] == "Alicia"


@pytest.mark.parametrize("undone_by", ["an exception", "a failed insert"])
def test_a_savepoint_rolled_back_keeps_the_transactions_earlier_change_to_be_told(
    app, user, elsewhere, undone_by
):
    """A savepoint undone by the code's own exception, or by its insert losing to someone else's
    (the purchase alerts' and pictures' case: the savepoint's flush fails, which SQLAlchemy
    reports as the rollback of a transaction of the flush's own before the savepoint's)."""
    there = warm(elsewhere, factories.token_for(user))
    db.session.get(User, user.id).display_name = "Alicia"
    db.session.flush()
    if undone_by == "an exception":
        with pytest.raises(Undone), db.session.begin_nested():
            raise Undone
    else:
        with pytest.raises(IntegrityError), db.session.begin_nested():
            taken = User(email="ALICE@example.org", display_name="Another Alice")  # the address is taken
            taken.set_password(factories.PASSWORD)
            db.session.add(taken)
    db.session.commit()
    assert there.get("/me").get_json()["display_name"] == "Alicia"


def test_a_change_discarded_by_closing_the_session_is_not_told_at_a_later_commit(app, user, elsewhere):
    """Closing the session ends its transaction without a rollback event: what it had noted goes
    with it, so the next commit (of something else) doubts nobody's credentials."""
    there = warm(elsewhere, factories.token_for(user))
    db.session.get(User, user.id).display_name = "Alicia"
    db.session.flush()
    db.session.close()  # discarded, as the pages' mid-request closes do
    factories.make_category(factories.make_family().group, name="Books")
    assert statements_of(there) == (200, 0)  # still trusted: nothing of Alice's changed
    assert there.get("/me").get_json()["display_name"] == "Alice"
