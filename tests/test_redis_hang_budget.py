"""No page waits on a hung Redis (connections accepted, nothing answered) longer than a small
budget, the first request included (issue 22 finding 17: the request that met the hang before the
breaker tripped waited a full second)."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url

from config import TestingConfig
from piglist import create_app

from . import factories
from .support.clients import AuthActions
from .support.databases import PG_URL, redis_url
from .support.tcprelay import Relay
from .support.timing import timed

BUDGET = 0.1  # seconds a page may wait on Redis (the issue's ~100 ms)
# The budget plus a margin for a shared, busy test machine; the hang used to cost a full second.
PAGE_ALLOWANCE = BUDGET + 0.5


@pytest.fixture
def relay(app):
    parts = make_url(redis_url().replace("redis://", "postgresql://"))
    relay = Relay(parts.port or 6379)
    relay.url = f"redis://127.0.0.1:{relay.port}/{parts.database or 0}"
    yield relay
    relay.close()


def site(relay: Relay):
    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=relay.url)


def test_the_first_page_after_redis_hangs_waits_at_most_the_budget(relay, family):
    app = site(relay)
    browser = app.test_client()
    AuthActions(browser).login_as(family.giver)
    path = f"/groups/{family.group.id}/piglists"
    assert browser.get(path).status_code == 200
    _, well = timed(lambda: browser.get(path))

    relay.hang()
    page, took = timed(lambda: browser.get(path))
    assert page.status_code == 200
    assert took < well + PAGE_ALLOWANCE, (took, well)
    again, took = timed(lambda: browser.get(f"/groups/{family.group.id}"))
    assert again.status_code == 200 and took < well + PAGE_ALLOWANCE, (took, well)


def test_a_fresh_process_meeting_a_hung_redis_answers_its_first_request_within_the_budget(relay, family):
    token = factories.token_for(family.giver)
    relay.accept_and_ignore()  # Redis accepts the connection, and never says a word
    app = site(relay)
    answer, took = timed(
        lambda: app.test_client().get(
            f"/api/v1/groups/{family.group.id}/piglists", headers={"Authorization": f"Bearer {token}"}
        )
    )
    assert answer.status_code == 200
    # Cold: the app's first request builds what later ones reuse; still nowhere near a second.
    assert took < 2 * PAGE_ALLOWANCE, took
