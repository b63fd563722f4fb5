"""Password reset by e-mail: "Forgot your password?" mails a link valid for one hour, once.

The link carries a signed token: the account's id, when the token was made, and a fingerprint
(an HMAC under the secret key) of the password hash it was made against. Any password change —
the reset itself included — changes the hash, so a link works once and dies with every change;
after an hour it is refused anyway. No table: nothing to clean up, nothing to leak.

Asking for a link does the same work whatever the address: the request only queues a job, and
the job looks for the account. So the answer's words and timing can't tell who has an account.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from piglist.stores import jobs, mail
from piglist.stores.rowlocks import lock_row

from ..errors import NotFound
from ..extensions import db
from ..models import User, utcnow
from ..rules.values import check_password, clean_email
from .accounts import find_user_by_email, replace_password

log = logging.getLogger(__name__)

VALID_FOR = timedelta(hours=1)
DEAD_LINK = "This link has expired or has already been used. Ask for a new one below."


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _fingerprint(user: User) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def make_token(user: User, issued_at: datetime | None = None) -> str:
    issued = issued_at or utcnow()
    return _serializer().dumps([user.id, int(issued.timestamp()), _fingerprint(user)])


def user_for_token(token: object) -> User | None:
    """The account a live token resets, or None for a forged, expired, used or voided one."""
    if not isinstance(token, str) or len(token) > 512:
        return None
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(payload, list) and len(payload) == 3):
        return None
    user_id, issued, fingerprint = payload
    if not (isinstance(user_id, int) and isinstance(issued, int) and isinstance(fingerprint, str)):
        return None
    age = utcnow().timestamp() - issued
    if not 0 <= age <= VALID_FOR.total_seconds():
        return None
    user = db.session.get(User, user_id)
    if user is None or not hmac.compare_digest(fingerprint, _fingerprint(user)):
        return None
    return user


def request_reset(email: object) -> None:
    """Queue the mail job; whether the address has an account is the job's business."""
    mail.queue(send_reset_mail, clean_email(email), mail.site_url())


@jobs.job
def send_reset_mail(email: str, base_url: str) -> None:
    user = find_user_by_email(email)
    if user is None:
        log.info("password reset asked for an address with no account; nothing sent")
        return
    message = mail.compose(
        "password_reset",
        to=user.email,
        subject="Choose a new Piglist password",
        base_url=base_url,
        user=user,
        reset_url=mail.link(base_url, "auth.reset_password", token=make_token(user)),
        valid_minutes=int(VALID_FOR.total_seconds() // 60),
    )
    mail.deliver(message)


def reset_password(token: object, new_password: object) -> User:
    """Set the new password; raises NotFound for a dead link and ValidationFailed for a weak
    password. The account's row lock makes two uses of one link at once succeed only once."""
    found = user_for_token(token)
    if found is None:
        raise NotFound(DEAD_LINK)
    secret = check_password(new_password)
    user = lock_row(User, found.id)
    if user is None or user_for_token(token) is None:
        db.session.rollback()
        raise NotFound(DEAD_LINK)
    replace_password(user, secret)
    db.session.commit()
    return user
