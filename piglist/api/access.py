"""Who is calling the API: a Bearer token, or the session cookie plus an X-CSRFToken header."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import g, request
from flask_login import current_user

from piglist.web.inputs import SAFE_METHODS

from ..auth import accounts
from ..errors import BadRequest, Unauthenticated
from ..extensions import csrf
from ..models import User
from .blueprint import bp


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or ""


@bp.before_request
def authenticate() -> None:
    g.api_user = None
    g.api_token = None
    token = bearer_token()
    if token is not None:
        found = accounts.user_for_token(token) if token else None
        if found is None:
            raise Unauthenticated("That API token is not valid (it may have been revoked).")
        g.api_user, g.api_token = found
    elif current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            csrf.protect()
        g.api_user = current_user._get_current_object()


def api_user() -> User:
    user = g.get("api_user")
    if user is None:
        raise Unauthenticated("Log in first: send 'Authorization: Bearer <token>'.")
    return user


def token_or_session_required(view):
    """The API's login check: a Bearer token or the session cookie (with its CSRF header), else a
    401 in the API's JSON. Not Flask-Login's ``login_required``, which redirects to a page."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        api_user()
        return view(*args, **kwargs)

    return wrapped


def json_body() -> dict[str, Any]:
    """The request's JSON object; unknown fields are the caller's business and are ignored."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Send a JSON object in the body, with 'Content-Type: application/json'.")
    return body


def optional_json_body() -> dict[str, Any]:
    """Like :func:`json_body`, for requests whose body may be left out altogether."""
    if not request.get_data(cache=True):
        return {}
    return json_body()
