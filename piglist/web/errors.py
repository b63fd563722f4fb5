"""How every door turns an error into an answer: the API answers a :class:`PiglistError` as the
SPEC's ``{"error": {code, message, field}}`` and pages show its message. Errors Flask raises
itself (404, 405, 413, 500 …) get the same JSON shape under ``/api/`` and a friendly page
everywhere else.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from werkzeug.exceptions import HTTPException

from piglist.errors import PiglistError, Unavailable

log = logging.getLogger(__name__)


# What Flask's own HTTP errors are called in the API.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    503: "unavailable",
}

FRIENDLY_MESSAGES = {
    400: "That request didn't make sense to us.",
    401: "Please log in first.",
    403: "You're not allowed to do that.",
    404: "We couldn't find that page.",
    405: "That action isn't available here.",
    413: "That was too much data to send at once.",
    429: "That was a lot of tries in a short time. Please wait a moment and try again.",
    500: "Something went wrong on our side. It has been logged; please try again.",
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def json_error(status: int, code: str, message: str, field: str | None = None, headers=None):
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    response = jsonify({"error": error})
    response.status_code = status
    if headers:
        response.headers.extend(headers)
    return response


def retry_after_of(exc: HTTPException) -> int | None:
    """Flask-Limiter computes Retry-After when it adds its headers; reuse its figure."""
    if exc.response is not None and exc.response.headers.get("Retry-After"):
        return int(exc.response.headers["Retry-After"])
    limit = getattr(exc, "limit", None)
    if limit is not None:
        return int(limit.limit.get_expiry())
    return None


def init_app(app: Flask) -> None:
    @app.errorhandler(PiglistError)
    def handle_domain_error(exc: PiglistError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        if wants_json():
            return json_error(exc.status, exc.code, exc.message, exc.field, headers)
        return render_error_page(exc.status, exc.message, headers)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(exc: CSRFError):
        message = "Your form expired or came from somewhere else. Please reload the page and try again."
        if wants_json():
            return json_error(400, "csrf_failed", "Missing or invalid CSRF token (send it in X-CSRFToken).")
        return render_error_page(400, message)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        status = exc.code or 500
        headers = None
        if status == 429:
            retry_after = retry_after_of(exc) or 60
            headers = {"Retry-After": str(retry_after)}
            message = f"Too many attempts. Please wait {retry_after} seconds and try again."
        else:
            message = FRIENDLY_MESSAGES.get(status, exc.description or "Request failed.")
        allowed = getattr(exc, "valid_methods", None)  # MethodNotAllowed's
        if status == 405 and allowed:
            headers = {"Allow": ", ".join(allowed)}
        if wants_json():
            return json_error(status, HTTP_CODES.get(status, "error"), message, headers=headers)
        return render_error_page(status, message, headers)

    @app.errorhandler(SQLAlchemyTimeoutError)
    def handle_database_busy(exc: SQLAlchemyTimeoutError):
        # Every pooled connection stayed busy (a burst of long polls reconnecting at once): the
        # request can simply be made again, so say "unavailable", not "something broke".
        log.warning("database pool exhausted on %s %s: %s", request.method, request.path, exc)
        return handle_domain_error(Unavailable("The site is very busy for a moment; please try again."))

    @app.errorhandler(OperationalError)
    def handle_database_unreachable(exc: OperationalError):
        # PostgreSQL down, hung past its deadlines (piglist.stores.database) or a statement past
        # DATABASE_STATEMENT_TIMEOUT_MS: nothing the visitor did wrong, and nothing they can see.
        log.warning("database unavailable on %s %s: %s", request.method, request.path, exc.orig or exc)
        problem = Unavailable("Piglist can't reach its database just now; please try again in a moment.")
        if wants_json():
            return handle_domain_error(problem)
        # Not the site's page: its header asks the database who is logged in, and would wait again.
        return plain_error_page(problem.message), problem.status

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):
            return handle_http_error(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return json_error(500, "internal_error", FRIENDLY_MESSAGES[500])
        return render_error_page(500, FRIENDLY_MESSAGES[500])


def render_error_page(status: int, message: str, headers=None):
    try:
        body = render_template("errors/error.html", status=status, message=message)
    except Exception:  # a broken template must not turn an error page into a traceback
        log.exception("error page failed to render")
        body = plain_error_page(message)
    return body, status, headers or {}


def plain_error_page(message: str) -> str:
    """An error page that needs nothing: no template, no database, no login."""
    return f"<!doctype html><title>Piglist</title><p>{escape(message)}</p>"
