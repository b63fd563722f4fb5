"""Signing up confirmed by mail (issue 22, finding 16): the sign-up form answers "Check your
inbox" whether or not the address already has an account, and only that inbox learns which.

The form takes a name and an address and queues one mail job, whatever the address: the job
looks for an account. A new address gets a link to finish signing up; an address with an account
gets "someone tried to sign up with your address; if it was you, log in or reset your password".
So neither the page's words nor its timing tell anyone which addresses have accounts.

The link carries a signed token: the address, the name and the local page to land on (``next``),
and when it was made. No table: it expires after a day, and it works once because finishing
creates the account for that address, after which the same link finds the address taken. The
password is chosen on the link's page, so no password nor hash ever travels in a mail or a URL.
Opening the link changes nothing (mail scanners open links too); saving its form does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from piglist.stores import jobs, mail

from ..errors import Duplicate, NotFound
from ..models import User
from ..rules.values import clean_email
from .accounts import clean_display_name, find_user_by_email, register

log = logging.getLogger(__name__)

VALID_FOR = timedelta(days=1)
DEAD_LINK = "This sign-up link has expired or has already been used. Sign up again below, or log in."


@dataclass(frozen=True)
class Signup:
    """What a live sign-up link says: who is signing up, and where they were going."""

    email: str
    display_name: str
    next: str | None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="sign-up")


def make_token(email: str, display_name: str, next_path: str | None) -> str:
    return _serializer().dumps([email, display_name, next_path])


def signup_for_token(token: object) -> Signup | None:
    """The sign-up a live token finishes, or None for a forged, expired or used one (its address
    has an account now)."""
    if not isinstance(token, str) or len(token) > 1024:
        return None
    try:
        payload = _serializer().loads(token, max_age=int(VALID_FOR.total_seconds()))
    except (BadSignature, SignatureExpired):
        return None
    if not (isinstance(payload, list) and len(payload) == 3):
        return None
    email, name, next_path = payload
    if not (
        isinstance(email, str) and isinstance(name, str) and (next_path is None or isinstance(next_path, str))
    ):
        return None
    if find_user_by_email(email) is not None:
        return None
    return Signup(email, name, next_path)


def request_signup(email: object, display_name: object, next_path: str | None) -> None:
    """Queue the one mail job; whether the address has an account is the job's business. Bad
    input raises ValidationFailed before anything is queued, whatever the address. ``next_path``
    is a local path the caller checked (the route, with piglist.web.security), or None."""
    clean = clean_email(email)
    name = clean_display_name(display_name)
    mail.queue(send_signup_mail, clean, name, next_path, mail.site_url())


def tell_owner(email: object) -> None:
    """Someone tried to register an address that has an account (the API says so, rate limited):
    its owner is told, as after the sign-up form."""
    mail.queue(send_signup_mail, clean_email(email), "", None, mail.site_url())


@jobs.job
def send_signup_mail(email: str, display_name: str, next_path: str | None, base_url: str) -> None:
    owner = find_user_by_email(email)
    if owner is not None:
        mail.deliver(_taken_mail(owner, base_url))
        return
    if not display_name:  # tell_owner's, and the account has gone meanwhile: nothing to say
        return
    finish_url = mail.link(base_url, "auth.finish_signup", token=make_token(email, display_name, next_path))
    message = mail.compose(
        "signup_confirm",
        to=email,
        subject="Finish signing up to Piglist",
        base_url=base_url,
        display_name=display_name,
        finish_url=finish_url,
        valid_hours=int(VALID_FOR.total_seconds() // 3600),
    )
    if mail.logs_only():
        # `make run` and any site without SMTP: the link in a line of its own, easy to find.
        log.warning("No mail server: to finish signing up as %s, open %s", email, finish_url)
    mail.deliver(message)


def _taken_mail(owner: User, base_url: str):
    return mail.compose(
        "signup_taken",
        to=owner.email,
        subject="Someone tried to sign up to Piglist with your address",
        base_url=base_url,
        user=owner,
        login_url=mail.link(base_url, "auth.login"),
        forgot_url=mail.link(base_url, "auth.forgot_password"),
    )


def finish_signup(token: object, password: object, display_name: object) -> tuple[User, str | None]:
    """Create the account a live link is for; raises NotFound for a dead link and
    ValidationFailed for a weak password or a bad name (the link stays alive then). Two uses of
    one link at once: the address's unique index lets one create the account."""
    found = signup_for_token(token)
    if found is None:
        raise NotFound(DEAD_LINK)
    try:
        user = register(found.email, password, display_name)
    except Duplicate:
        raise NotFound(DEAD_LINK) from None
    return user, found.next
