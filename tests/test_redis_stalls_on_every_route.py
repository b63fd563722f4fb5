"""Every route, with Redis replies timing out, answers as the README's "With Redis stopped or
hung" says: pages and the API as usual, the long poll 503 ``unavailable``; never a 500.

A loaded machine (the hostile-input fuzz at load ~15) makes Redis replies miss the 0.1 s budget
(piglist.stores.redis_store), so any call site that lets a ``TimeoutError`` out of a view would
be a flaky 500. The stall is injected in redis-py's reply reading, below the breaker and every
client (the app's, Flask-Limiter's storage, RQ's). Two shapes: every reply times out (the breaker
kept shut, so every call meets the timeout itself rather than the breaker's fast refusal), and
each request once per Redis call it makes with only that call timing out (the calls after a
first one that succeeded: the fallbacks halfway through). The walk is the fuzz's
(``app.url_map``), so a route added later is covered without anyone listing it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from redis.connection import AbstractConnection
from redis.exceptions import TimeoutError as RedisTimeout

from piglist.extensions import db
from piglist.stores.redis_store import get_breaker

from . import factories
from .support.clients import csrf_token
from .support.routes import fill, real_values, routes

# Documented answers while Redis can't be reached (README, "With Redis stopped or hung").
UNAVAILABLE_BY_DESIGN = {("GET", "/api/v1/groups/<int:group_id>/changes")}
# A plausible body for any form or operation, so that requests get past validation to their work.
SENSIBLE = {"title": "Kite", "name": "Kite", "connection": "tab-1", "price": "5", "quantity": "1"}
# More Redis calls than any one request makes (a request that loops on Redis would stop here).
MAX_CALLS = 40
# Requests that end the session or the account the walk goes on with.
ENDS_THE_WALK = ("logout", "leave", "erase", "delete_account")


class Stall:
    """Counts Redis replies read; ``fail`` is which one times out (None: none, 0: every one)."""

    def __init__(self) -> None:
        self.read = 0
        self.fail: int | None = None
        self.real = AbstractConnection.read_response

    def read_response(self, connection, *args, **kwargs):
        self.read += 1
        if self.fail == 0 or self.read == self.fail:
            raise RedisTimeout("Timeout reading from socket")
        return self.real(connection, *args, **kwargs)


@pytest.fixture
def stall(app, monkeypatch) -> Stall:
    stall = Stall()
    monkeypatch.setattr(AbstractConnection, "read_response", lambda *a, **k: stall.read_response(*a, **k))
    return stall


@pytest.fixture
def walk(app, client, auth, family) -> Iterator:
    """(route, method, caller, path, request kwargs) for every route: anonymous and as an admin."""
    category = factories.make_category(family.group)
    gift = factories.make_gift(family.owner, family.group, price=20, category=category)
    token = factories.token_for(family.admin)
    real = real_values(family, gift, category, family.other.id)
    auth.login_as(family.admin)
    session_csrf = csrf_token(client)
    anonymous = app.test_client()

    def steps():
        for rule in routes(app):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                path = fill(app, rule, method, real)
                is_api = rule.rule.startswith("/api/")
                headers = {"Authorization": f"Bearer {token}"} if is_api else {"X-CSRFToken": session_csrf}
                body = {} if method == "GET" else {"json": SENSIBLE} if is_api else {"data": SENSIBLE}
                for caller, sent in ((anonymous, {}), (client, headers)):
                    yield (
                        rule,
                        method,
                        caller is client,
                        partial(caller.open, path, method=method, headers=sent, **body),
                    )

    return steps()


def test_no_route_answers_500_while_every_redis_reply_times_out(app, stall, walk):
    get_breaker(app).seconds = 0.0  # every call waits for its own reply, none is refused early
    stall.fail = 0
    failures: list[str] = []
    for rule, method, member, send in walk:
        response = send()
        db.session.rollback()
        if (method, rule.rule) in UNAVAILABLE_BY_DESIGN and member:
            assert response.status_code == 503, rule.rule
            assert response.get_json()["error"]["code"] == "unavailable"
        elif response.status_code >= 500:
            failures.append(f"{method} {rule.rule} -> {response.status_code}")
    assert failures == [], "\n".join(failures)


def test_no_route_answers_500_when_any_one_of_its_redis_calls_times_out(app, stall, walk):
    breaker = get_breaker(app)
    failures: list[str] = []
    injected = 0
    for rule, method, member, send in walk:
        if not member or any(word in rule.endpoint for word in ENDS_THE_WALK):
            continue
        stall.fail = 1
        while stall.fail <= MAX_CALLS:
            breaker.open_until = 0.0  # the request meets the timeout, not the last one's breaker
            stall.read = 0
            response = send()
            db.session.rollback()
            if stall.read < stall.fail:
                break  # the request made fewer calls than that: each one has had its turn
            injected += 1
            if response.status_code >= 500 and (method, rule.rule) not in UNAVAILABLE_BY_DESIGN:
                failures.append(f"{method} {rule.rule}, Redis call {stall.fail} -> {response.status_code}")
            stall.fail += 1
    breaker.open_until = 0.0
    assert injected > 100  # the walk did meet Redis (about 500 calls today)
    assert failures == [], "\n".join(failures)
