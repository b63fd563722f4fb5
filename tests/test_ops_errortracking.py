"""Error tracking: with SENTRY_DSN set, an unexpected error in a request and a failing job in a real
RQ worker reach a Sentry endpoint (a local receiver of the SDK's envelopes), tagged with the
request id, the release and the component — and nothing personal leaves with them: no e-mail
address, token, password, cookie or gift text, whatever the error's message or the request held."""

from __future__ import annotations

import json

import pytest
import sentry_sdk
from rq import Queue

from piglist.extensions import csrf
from piglist.ops import errortracking
from piglist.stores import jobs

from . import factories
from .support.jobs import run_jobs
from .support.sentry import EnvelopeReceiver, exploding_job

EMAIL = "gran.secret@example.org"
TITLE = "Surprise cashmere scarf"
PASSWORD = "Hunter-2-Correct"


@pytest.fixture
def receiver(app):
    receiver = EnvelopeReceiver()
    app.config.update(SENTRY_DSN=receiver.dsn, RELEASE="piglist@test-release")
    errortracking.init_app(app, "web")
    yield receiver
    sentry_sdk.get_client().close(timeout=2)
    sentry_sdk.init()  # no DSN: the SDK stays off for the rest of the run
    receiver.close()


def raw(receiver: EnvelopeReceiver) -> str:
    return b"".join(receiver.bodies).decode("utf-8", "replace")


def test_an_unexpected_error_in_a_request_reaches_sentry_scrubbed(app, client, receiver):
    user = factories.make_user(email=EMAIL)
    token = factories.token_for(user)

    def explode():
        raise RuntimeError(f"could not save {TITLE!r} for {EMAIL} with {token}")

    app.add_url_rule("/api/v1/explode", "explode", csrf.exempt(explode), methods=["POST"])
    response = client.post(
        "/api/v1/explode?email=" + EMAIL,
        json={"password": PASSWORD, "title": TITLE},
        headers={"Authorization": f"Bearer {token}", "User-Agent": "Firefox/150"},
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    [event, *_] = receiver.wait_for_events(1)
    assert event["tags"]["request_id"] == response.headers["X-Request-ID"]
    assert event["tags"]["component"] == "web"
    assert event["release"] == "piglist@test-release"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["url"].endswith("/api/v1/explode")
    sent = raw(receiver)
    for secret in (EMAIL, token, PASSWORD, TITLE, token.removeprefix("pgl_")):
        assert secret not in sent, secret
    assert "user" not in event and '"vars"' not in sent


def test_a_failing_job_in_a_real_worker_reaches_sentry_scrubbed(app, receiver):
    if not app.config["REDIS_URL"]:  # pragma: no cover  (the app fixture is PostgreSQL and Redis)
        raise AssertionError("this test needs Redis")
    Queue(jobs.QUEUE, connection=jobs.rq_connection(app)).enqueue(exploding_job, EMAIL, TITLE)
    run_jobs(app)
    sentry_sdk.flush(timeout=5)
    events = receiver.wait_for_events(1)
    assert any(e["exception"]["values"][-1]["type"] == "RuntimeError" for e in events)
    sent = raw(receiver)
    assert EMAIL not in sent and TITLE not in sent
    assert "[e-mail]" in sent


def test_scrub_keeps_only_what_is_allowed():
    event = {
        "event_id": "abc",
        "level": "error",
        "user": {"email": EMAIL, "ip_address": "203.0.113.9"},
        "request": {
            "method": "POST",
            "url": "http://localhost/gifts?email=" + EMAIL,
            "data": {"password": PASSWORD},
            "cookies": {"session": "s"},
            "headers": {"Authorization": "Bearer pgl_x", "User-Agent": "Firefox", "Cookie": "s=1"},
        },
        "logentry": {"message": "mail to %s (%s) not sent", "params": [EMAIL, TITLE]},
        "extra": {"title": TITLE},
        "breadcrumbs": {"values": [{"message": EMAIL}]},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"duplicate key (email)=({EMAIL})\n[parameters: {{'title': '{TITLE}'}}]",
                    "stacktrace": {"frames": [{"function": "f", "vars": {"password": PASSWORD}}]},
                }
            ]
        },
    }
    kept = json.dumps(errortracking.scrub(event))
    for secret in (EMAIL, PASSWORD, TITLE, "pgl_x", "203.0.113.9", "s=1"):
        assert secret not in kept, secret
    assert "Firefox" in kept and "IntegrityError" in kept and "mail to %s (%s) not sent" in kept
