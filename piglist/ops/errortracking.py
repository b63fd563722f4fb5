"""Error tracking: unexpected errors from the web and the worker go to Sentry when ``SENTRY_DSN``
is set (nothing is sent anywhere otherwise), tagged with the request id the logs carry and the
release, so an operator gets from an alert to the log lines of that request.

Families' data never leaves with them. The SDK sends no default personal data, no local
variables and no breadcrumbs; ``scrub`` then keeps only an allow-list of each event's parts (the
stack trace, the route, the method, tags) and blanks e-mail addresses, tokens, quoted text and
the parameters of SQL statements and log lines (where gift titles, names and addresses would
be). A message that puts such data in unquoted is the one gap: the code's own messages quote
what they quote (``{value!r}``).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

from flask import Flask, g

EMAIL = re.compile(r"[^\s@<>()\"',;:]+@[^\s@<>()\"',;:]+")
# Piglist's tokens (pgl_…), bearer credentials, cookies' values, long random strings.
SECRET = re.compile(r"\b(?:pgl_[A-Za-z0-9_\-]+|Bearer\s+\S+)|[A-Za-z0-9_\-]{32,}")
SQL_PARAMETERS = re.compile(r"\[parameters: .*?\](?=\n|$)", re.S)
# Quoted text in a message is data (a title, a name, a value that failed): only its quotes stay.
QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")
# The parts of an event kept, and of its request.
KEPT = frozenset(
    {"event_id", "timestamp", "platform", "level", "logger", "release", "environment", "server_name", "tags"}
    | {
        "exception",
        "threadId",
        "transaction",
        "transaction_info",
        "sdk",
        "contexts",
        "logentry",
        "fingerprint",
    }
)
KEPT_CONTEXTS = frozenset({"runtime", "os", "trace"})
KEPT_HEADERS = frozenset({"user-agent", "content-type", "x-request-id"})


def clean(text: str) -> str:
    text = SQL_PARAMETERS.sub("[parameters: …]", text)
    text = SECRET.sub("[secret]", EMAIL.sub("[e-mail]", text))
    return QUOTED.sub(lambda quoted: quoted.group(0)[0] * 2, text)


def scrub(event: dict[str, Any], _hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event as it may leave: the allow-listed parts, texts cleaned."""
    kept = {key: value for key, value in event.items() if key in KEPT}
    kept["contexts"] = {k: v for k, v in (event.get("contexts") or {}).items() if k in KEPT_CONTEXTS}
    request_part = event.get("request") or {}
    if request_part:
        kept["request"] = {
            "method": request_part.get("method"),
            "url": clean(str(request_part.get("url", "")).split("?", 1)[0]),
            "headers": {
                name: clean(str(value))
                for name, value in (request_part.get("headers") or {}).items()
                if name.lower() in KEPT_HEADERS
            },
        }
    if "logentry" in event:
        # The line's template, never its arguments (addresses, subjects, titles).
        kept["logentry"] = {"message": clean(str(event["logentry"].get("message", "")))}
    for exception in (kept.get("exception") or {}).get("values", []):
        exception["value"] = clean(str(exception.get("value", "")))
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    if "transaction" in kept:
        kept["transaction"] = clean(str(kept["transaction"]))
    return kept


def _tag_request() -> None:
    import sentry_sdk

    sentry_sdk.get_isolation_scope().set_tag("request_id", g.get("request_id", "-"))


def init_app(app: Flask, component: str = "web") -> None:
    """Start the SDK for this process (the web app, or the worker with ``component="worker"``).
    The SDK is imported only then: without ``SENTRY_DSN`` a process doesn't pay its ~70-130 ms
    import (with its RQ integration)."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=dsn,
        release=app.config.get("RELEASE"),
        environment=os.environ.get("PIGLIST_CONFIG", "development"),
        integrations=[FlaskIntegration(), RqIntegration(), LoggingIntegration(event_level=logging.ERROR)],
        send_default_pii=False,
        include_local_variables=False,
        max_breadcrumbs=0,
        traces_sample_rate=0,
        before_send=scrub,  # type: ignore[arg-type]  # sentry's Event is a TypedDict; scrub reads it as a dict
        server_name=component,
    )
    sentry_sdk.get_global_scope().set_tag("component", component)
    app.before_request(_tag_request)
