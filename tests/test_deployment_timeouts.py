"""A hung PostgreSQL (connections accepted, nothing answered; a relay in the test stops passing
bytes) gets a 503 in seconds on pages, the API and /health, and a purchase retried with its
Idempotency-Key after the hang is never made twice (SPEC §10.8, issue 22 finding 5)."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db

from . import factories
from .support.clients import AuthActions
from .support.databases import PG_URL, redis_url
from .support.rows import bought
from .support.tcprelay import Relay
from .support.timing import timed

STATEMENT_MS = 4000  # the longest a request may take on a hung database, with the settings below
SETTINGS = {
    "DATABASE_STATEMENT_TIMEOUT_MS": STATEMENT_MS,
    "DATABASE_CONNECT_TIMEOUT": 2,
    "DATABASE_POOL_TIMEOUT": 2,
}


@pytest.fixture
def relay(app):
    relay = Relay(make_url(PG_URL).port or 5432)
    yield relay
    relay.close()


@pytest.fixture
def site(app, relay):
    """The app on the same database, through the relay."""
    url = make_url(PG_URL).set(port=relay.port).render_as_string(hide_password=False)
    site = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, REDIS_URL=redis_url(), **SETTINGS)
    yield site
    relay.resume()
    with site.app_context():
        db.engine.dispose()


def test_a_hung_database_gets_503_in_seconds_on_health_pages_and_the_api(site, relay, family):
    token = factories.token_for(family.giver)
    browser = site.test_client()
    AuthActions(browser).login_as(family.giver)
    api = site.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert browser.get(f"/groups/{family.group.id}").status_code == 200
    assert api.get("/api/v1/me", headers=bearer).status_code == 200  # a pooled connection, the cache warm

    relay.hang()
    health, took = timed(lambda: site.test_client().get("/health"))
    assert health.status_code == 503 and health.get_json()["database"] == "down"
    assert took < STATEMENT_MS / 1000, took
    page, took = timed(lambda: browser.get(f"/groups/{family.group.id}"))
    assert page.status_code == 503 and "database" in page.get_data(as_text=True)
    assert took < STATEMENT_MS / 1000, took
    me, took = timed(lambda: api.get("/api/v1/me", headers=bearer))
    assert me.status_code == 503 and me.get_json()["error"]["code"] == "unavailable"
    assert took < STATEMENT_MS / 1000, took

    relay.resume()
    assert site.test_client().get("/health").status_code == 200
    assert api.get("/api/v1/me", headers=bearer).status_code == 200


def test_a_statement_that_hangs_midway_ends_within_the_statement_timeout(site, relay, family):
    """The database stops answering while a request is in flight: every wait on its socket ends."""
    token = factories.token_for(family.giver)
    api = site.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=bearer).status_code == 200
    relay.answer_nothing_after(b"SELECT")  # the ping goes through; its answer never comes
    me, took = timed(lambda: api.get(f"/api/v1/groups/{family.group.id}/piglists", headers=bearer))
    assert me.status_code == 503
    assert took < STATEMENT_MS / 1000 + 1, took


def test_a_purchase_committed_while_its_answer_was_lost_is_not_made_again_on_retry(site, relay, family):
    kite = factories.make_gift(family.owner, family.group, title="Kite", price="5", quantity=3)
    bearer = {"Authorization": f"Bearer {factories.token_for(family.giver)}", "Idempotency-Key": "buy-kite-1"}
    api = site.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": bearer["Authorization"]}).status_code == 200

    # PostgreSQL commits the purchase; its answer never reaches the web process.
    relay.answer_nothing_after(b"COMMIT")
    first, took = timed(lambda: api.post(f"/api/v1/gifts/{kite.id}/purchase", headers=bearer))
    assert first.status_code == 503 and took < STATEMENT_MS / 1000 + 1, took
    relay.resume()
    assert bought(kite.id) == 1

    # The client retries with the same key: nothing is bought again, and it is told so.
    again = api.post(f"/api/v1/gifts/{kite.id}/purchase", headers=bearer)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "idempotent_answer_lost"
    assert bought(kite.id) == 1


def test_a_purchase_lost_in_a_hang_is_made_by_its_retry_exactly_once(site, relay, family):
    kite = factories.make_gift(family.owner, family.group, title="Kite", price="5", quantity=3)
    bearer = {"Authorization": f"Bearer {factories.token_for(family.giver)}", "Idempotency-Key": "buy-kite-2"}
    api = site.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": bearer["Authorization"]}).status_code == 200

    relay.hang()
    assert api.post(f"/api/v1/gifts/{kite.id}/purchase", headers=bearer).status_code == 503
    relay.resume()
    assert bought(kite.id) == 0

    retried = api.post(f"/api/v1/gifts/{kite.id}/purchase", headers=bearer)
    assert retried.status_code == 200 and bought(kite.id) == 1
    replayed = api.post(f"/api/v1/gifts/{kite.id}/purchase", headers=bearer)
    assert replayed.status_code == 200 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.get_data() == retried.get_data()
    assert bought(kite.id) == 1


def test_a_pool_with_every_connection_busy_answers_503_after_the_pool_timeout(app, family):
    busy = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=PG_URL,
        REDIS_URL=redis_url(),
        DATABASE_POOL_SIZE=1,
        DATABASE_MAX_OVERFLOW=0,
        DATABASE_POOL_TIMEOUT=1,
    )
    with busy.app_context():
        held = db.engine.connect()  # the pool's one connection, taken
        try:
            response, took = timed(lambda: busy.test_client().get("/health"))
        finally:
            held.close()
            db.engine.dispose()
    assert response.status_code == 503
    assert 1 <= took < 3, took


def test_a_pooled_connection_is_pinged_once_however_many_apps_share_its_engine(app, elsewhere, monkeypatch):
    """The test processes share one engine across their apps (tests/support/speedups.py); each app
    used to add its checkout ping to it, so late in a run every checkout made a thousand round
    trips. The limits are given to an engine once."""
    from sqlalchemy import text

    from piglist.stores.database import DeadlineConnection

    with elsewhere.app_context():
        shared = db.engine
    assert db.engine is shared  # the premise: two apps, one engine
    pings = []
    execute = DeadlineConnection.execute

    def counting(self, query, *args, **kwargs):
        if query == "SELECT 1":
            pings.append(query)
        return execute(self, query, *args, **kwargs)

    # The premise of one pooled connection, used once: whatever earlier tests of this process left
    # in the shared pool is closed first. A pooled connection they invalidated (the migrations'
    # without_limits invalidates the one it lends; a lost connection is invalidated too) is made
    # afresh at its next checkout, and a fresh one is rightly not pinged.
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as first:
        first.execute(text("SELECT 1"))
    monkeypatch.setattr(DeadlineConnection, "execute", counting)
    assert db.session.execute(text("SELECT 2")).scalar() == 2
    db.session.commit()
    assert pings == ["SELECT 1"]


def test_a_slow_ping_on_a_loaded_machine_gets_a_fresh_connection_and_the_request_is_served(
    app, family, monkeypatch
):
    """The hostile-input fuzz once got a 500 on ``DELETE /api/v1/groups/1/purchases/2`` on a machine
    at load ~15: the pooled connection's checkout ping outlasted its second, and so did the ping
    of the fresh connection SQLAlchemy made in its place; its last try spent, the pool raised
    "This connection is closed" (an ``InvalidRequestError``, not a 503). A connection that has
    just answered its handshake is not pinged again. Here every ping stalls past its deadline
    (injected in the driver, as ``DeadlineConnection.wait`` ends a stalled one)."""
    import psycopg

    from piglist.stores.database import DeadlineConnection

    bearer = {"Authorization": f"Bearer {factories.token_for(family.admin)}"}
    api = app.test_client()
    departed = f"/api/v1/groups/{family.group.id}/purchases/{family.other.id}"
    assert api.get("/api/v1/me", headers=bearer).status_code == 200  # a pooled connection to ping
    pings = []
    execute = DeadlineConnection.execute

    def stalling(self, query, *args, **kwargs):
        if query == "SELECT 1":
            pings.append(query)
            self.pgconn.finish()
            raise psycopg.OperationalError("the database did not answer within 1 s")
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(DeadlineConnection, "execute", stalling)
    db.session.remove()
    answer = api.delete(departed, headers=bearer, json={"user_id": 2**64})
    assert answer.status_code == 400, answer.get_data(as_text=True)  # still a member: refused, not a 500
    assert answer.get_json()["error"]["field"] == "user_id"
    assert pings == ["SELECT 1"]  # the pooled one's; the fresh one was not pinged
