"""Rate limits on the account doors. The page and the API share each counter (same scope and
key), so switching door buys an attacker nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import request
from flask_limiter import RequestLimit

from ..extensions import client_address, limiter

LOGIN_LIMIT = "5 per minute"
REGISTER_LIMIT = "20 per hour"


def submitted_email() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("email") if isinstance(body, dict) else None
    else:
        value = request.form.get("email")
    return value.strip().lower() if isinstance(value, str) else ""


def login_key() -> str:
    return f"{client_address()}|{submitted_email()}"


def seconds_until_reset(request_limit: RequestLimit) -> int:
    return max(1, int(request_limit.reset_at - time.time()))


def login_limit(on_breach: Callable | None = None):
    return limiter.shared_limit(
        LOGIN_LIMIT, scope="login", key_func=login_key, methods=["POST"], on_breach=on_breach
    )


def register_limit(on_breach: Callable | None = None):
    return limiter.shared_limit(
        REGISTER_LIMIT, scope="register", key_func=client_address, methods=["POST"], on_breach=on_breach
    )
