"""Every route, with every Redis call timing out, answers as the README's "With Redis stopped or
hung" says: pages and the API as usual, the long poll 503 ``unavailable``; never a 500.

A loaded machine (the hostile-input fuzz at load ~15) makes Redis replies miss the 0.1 s budget
(piglist.stores.redis_store), so any call site that lets a ``TimeoutError`` out of a view would
be a flaky 500. The stall is injected in redis-py's reply reading, below the breaker and every
client (the app's, Flask-Limiter's storage, RQ's), and the breaker is kept shut so that every
call meets the timeout itself rather than the breaker's fast refusal. The walk is the fuzz's
(``app.url_map``), so a route added later is covered without anyone listing it.
"""

from __future__ import annotations

from redis.connection import AbstractConnection
from redis.exceptions import TimeoutError as RedisTimeout
from sqlalchemy import select

from piglist.auth import resets
from piglist.extensions import db
from piglist.models import ApiToken
from piglist.stores.redis_store import get_breaker

from . import factories
from .support.clients import csrf_token
from .test_hostile_input import fill, routes

# Documented answers while Redis can't be reached (README, "With Redis stopped or hung").
UNAVAILABLE_BY_DESIGN = {("GET", "/api/v1/groups/<int:group_id>/changes")}


def stall(self, *args, **kwargs):
    raise RedisTimeout("Timeout reading from socket")


def test_no_route_answers_500_while_every_redis_reply_times_out(app, client, auth, family, monkeypatch):
    category = factories.make_category(family.group)
    gift = factories.make_gift(family.owner, family.group, price=20, category=category)
    token = factories.token_for(family.admin)
    real = {
        "group_id": family.group.id,
        "user_id": family.other.id,
        "gift_id": gift.id,
        "category_id": category.id,
        "token_id": db.session.scalar(select(ApiToken.id).where(ApiToken.user_id == family.admin.id)),
        "code": family.group.invite_code,
        "job_id": "no-such-job",
        "token": resets.make_token(family.other),
        "notice_id": 1,
        "exchange_id": 1,
        "key": "0" * 64,
        "list_id": gift.piglist_id,
        "occasion_id": 1,
    }
    auth.login_as(family.admin)
    session_csrf = csrf_token(client)
    anonymous = app.test_client()
    get_breaker(app).seconds = 0.0  # every call waits for its own reply, none is refused early
    monkeypatch.setattr(AbstractConnection, "read_response", stall)
    failures: list[str] = []

    for rule in routes(app):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = fill(app, rule, method, real)
            is_api = rule.rule.startswith("/api/")
            headers = {"Authorization": f"Bearer {token}"} if is_api else {"X-CSRFToken": session_csrf}
            for caller, sent in ((anonymous, {}), (client, headers)):
                body = {"json": {"title": "Kite"}} if method != "GET" else {}
                response = caller.open(path, method=method, headers=sent, **body)
                if (method, rule.rule) in UNAVAILABLE_BY_DESIGN and caller is client:
                    assert response.status_code == 503, path
                    assert response.get_json()["error"]["code"] == "unavailable"
                elif response.status_code >= 500:
                    failures.append(f"{method} {path} -> {response.status_code}")
                db.session.rollback()
    assert failures == [], "\n".join(failures)
