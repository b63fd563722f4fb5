"""Rate limits on the account doors. The page and the API share each counter (same scope and
key), so switching door buys an attacker nothing."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, g, request
from flask_limiter import RequestLimit
from flask_login import current_user

from ..extensions import client_address, limiter

LOGIN_LIMIT = "5 per minute"  # per address and e-mail, every attempt
# Per address, failed attempts only, whatever the e-mail: trying one password on many
# accounts. A family behind one router fails far fewer times than this in an hour.
FAILED_LOGIN_LIMIT = "20 per hour"
FAILED_LOGIN_STATUSES = frozenset({401, 422})
REGISTER_LIMIT = "20 per hour"
REGISTER_LIMIT_PER_EMAIL = "3 per hour"  # sign-up mails to one inbox, page and API together
# The API's registration answers 409 for a taken address (the pages never tell): counted per
# address on those answers only, so testing addresses costs an hour per handful.
TAKEN_ADDRESS_LIMIT = "5 per hour"
# Reset links: a few per inbox (nobody's mailbox gets flooded), more per address (a family
# behind one router).
RESET_LIMIT_PER_EMAIL = "3 per hour"
RESET_LIMIT_PER_ADDRESS = "10 per hour"
# Batches of invitation mails per person, whichever door, login or token they use.
INVITATION_LIMIT = "10 per hour"


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


def failed_login(response: Response) -> bool:
    return response.status_code in FAILED_LOGIN_STATUSES


def login_limit(on_breach: Callable | None = None):
    """Both login limits, for a view: every attempt per address and e-mail, and failures per address."""
    per_email = limiter.shared_limit(
        LOGIN_LIMIT, scope="login", key_func=login_key, methods=["POST"], on_breach=on_breach
    )
    per_address = limiter.shared_limit(
        FAILED_LOGIN_LIMIT,
        scope="login-failures",
        key_func=client_address,
        methods=["POST"],
        deduct_when=failed_login,
        on_breach=on_breach,
    )

    def decorate(view: Callable) -> Callable:
        return per_address(per_email(view))

    return decorate


def person_key() -> str:
    """Who is asking, by user id: an API token's owner, else the logged-in person. Not the login
    (``get_id()`` names the login too): logging in again must not buy a fresh budget."""
    user = g.get("api_user") or current_user
    return str(getattr(user, "id", "") or "")


def invitation_limit():
    return limiter.shared_limit(INVITATION_LIMIT, scope="invitations", key_func=person_key, methods=["POST"])


def register_limit(on_breach: Callable | None = None):
    """20 an hour per client address; and, since every sign-up mails the address given, a few an
    hour per inbox (the same for an address with an account or without: the limit tells nothing)."""
    per_address = limiter.shared_limit(
        REGISTER_LIMIT, scope="register", key_func=client_address, methods=["POST"], on_breach=on_breach
    )
    per_email = limiter.shared_limit(
        REGISTER_LIMIT_PER_EMAIL,
        scope="register-email",
        key_func=inbox_key,
        methods=["POST"],
        on_breach=on_breach,
    )
    return lambda view: per_address(per_email(view))


def inbox_key() -> str:
    """The submitted address; without one (a form error), the client's: never one shared key."""
    return submitted_email() or f"no-email|{client_address()}"


def taken_address_answer(response: Response) -> bool:
    return response.status_code == 409


def taken_address_limit():
    return limiter.shared_limit(
        TAKEN_ADDRESS_LIMIT,
        scope="register-taken",
        key_func=client_address,
        methods=["POST"],
        deduct_when=taken_address_answer,
    )


def reset_limits(on_breach: Callable | None = None):
    by_email = limiter.shared_limit(
        RESET_LIMIT_PER_EMAIL,
        scope="reset-email",
        key_func=submitted_email,
        methods=["POST"],
        on_breach=on_breach,
    )
    by_address = limiter.shared_limit(
        RESET_LIMIT_PER_ADDRESS,
        scope="reset-address",
        key_func=client_address,
        methods=["POST"],
        on_breach=on_breach,
    )
    return lambda view: by_address(by_email(view))
