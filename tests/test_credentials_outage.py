"""Issue 22, finding 11: the credential cache (piglist.auth.credentials) trusts nothing across a
Redis outage, and a logout doubts only that user's entries. Two apps on one database and one
Redis stand for two web processes (as in test_credentials_cache)."""

from __future__ import annotations

import time

from sqlalchemy import text

from piglist.extensions import db
from piglist.models import User
from piglist.stores.redis_store import get_breaker

from . import factories
from .support.clients import AuthActions, post_form
from .support.credentials import calls, statements_of, warm


def eventually_refused(client, seconds: float = 3.0) -> float:
    """How long until ``client``'s /me is refused."""
    started = time.monotonic()
    while client.get("/me").status_code != 401:
        assert time.monotonic() - started < seconds, "still accepted"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_token_revoked_while_the_writer_cant_reach_redis_is_refused_elsewhere_within_a_second(
    app, user, elsewhere
):
    token = factories.token_for(user)
    there = warm(elsewhere, token)
    get_breaker(app).trip(ConnectionError("test: Redis unreachable from this process"))
    assert calls(app, token).delete("/auth/token").status_code in (200, 204)
    # The other process could read its counters all along; the writer owed the move, and pays it
    # past its breaker. Before: accepted for up to a minute.
    assert eventually_refused(there) < 2.0
    assert app.extensions["piglist_credentials"].owed_users == set()


def test_a_process_that_meets_a_redis_outage_forgets_what_it_cached(app, user, elsewhere):
    token = factories.token_for(user)
    there = warm(elsewhere, token)
    get_breaker(elsewhere).trip(ConnectionError("test: Redis down"))
    assert there.get("/me").status_code == 200  # from the database
    # Revoked during the outage where no counter could move (another process, behind the cache).
    db.session.execute(text("DELETE FROM api_tokens"))
    db.session.commit()
    get_breaker(elsewhere).open_until = 0  # Redis answers again
    assert there.get("/me").status_code == 401


def test_the_writer_trusts_nothing_of_its_own_cache_while_it_owes_a_move(app, user):
    other = factories.make_user()
    warm(app, factories.token_for(other))
    cache = app.extensions["piglist_credentials"]
    cache.owe({user.id}, False)  # paid half a second from now at the soonest
    assert cache.generation(other.id) is None
    deadline = time.monotonic() + 3
    while cache.generation(other.id) is None:
        assert time.monotonic() < deadline, "the move was never paid"
        time.sleep(0.05)


def test_a_logout_doubts_only_that_users_cached_credentials(app, user, elsewhere):
    bystander = factories.make_user(display_name="Bea")
    theirs = warm(elsewhere, factories.token_for(bystander))
    browser = app.test_client()
    AuthActions(browser).login_as(user)
    there = elsewhere.test_client()
    there.set_cookie("session", browser.get_cookie("session").value)
    for _ in range(3):
        assert there.get("/api/v1/me").status_code == 200
    assert post_form(browser, "/logout").status_code in (302, 303)
    assert there.get("/api/v1/me").status_code == 401
    assert statements_of(theirs) == (200, 0)  # before: every process's cache emptied


def test_a_new_password_doubts_only_that_users_cached_credentials(app, user, elsewhere):
    from piglist.auth.accounts import replace_password

    token, bystander = factories.token_for(user), factories.token_for(factories.make_user())
    there, theirs = warm(elsewhere, token), warm(elsewhere, bystander)
    replace_password(db.session.get(User, user.id), "a new long password 123")
    db.session.commit()
    assert there.get("/me").status_code == 401
    assert statements_of(theirs) == (200, 0)


def test_a_statement_that_names_no_user_still_doubts_everyone(app, user, elsewhere):
    from sqlalchemy import update

    from piglist.models import ApiToken

    theirs = warm(elsewhere, factories.token_for(user))
    db.session.execute(update(ApiToken).values(name="renamed"))
    db.session.commit()
    status, queries = statements_of(theirs)
    assert status == 200 and queries >= 1
