"""Accounts: registration, credentials, profile changes and personal API tokens.

Pages, the API and the CLI all create and check accounts through these functions.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from flask.sansio.app import App
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Duplicate, NotFound, ValidationFailed
from ..extensions import db
from ..models import MAX_ID, ApiToken, User, UserSession, hash_token, utcnow
from ..rules.values import check_password, clean_email, clean_text
from . import credentials

DUMMY_HASH_KEY = "piglist.dummy_password_hash"
# Writing last_used_at on every API call would turn each read into a write.
LAST_USED_PRECISION = timedelta(minutes=5)


def clean_display_name(value: object) -> str:
    name = clean_text(value, "display_name", max_length=100)
    assert name is not None
    return name


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def register(email: object, password: object, display_name: object) -> User:
    """Create an account; raises ValidationFailed for bad input and Duplicate for a taken e-mail."""
    clean = clean_email(email)
    name = clean_display_name(display_name)
    secret = check_password(password)
    if find_user_by_email(clean) is not None:
        raise Duplicate("An account with that email address already exists. Try logging in.", "email")
    user = User(email=clean, display_name=name)
    user.set_password(secret)
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # Two registrations with the same address raced; the unique index decided.
        db.session.rollback()
        raise Duplicate(
            "An account with that email address already exists. Try logging in.", "email"
        ) from None
    return user


def init_dummy_hash(app: App) -> None:
    """Hash a throw-away password once at start-up, with the method and cost of real hashes.
    It is checked when no account matches, so a wrong e-mail costs as long as a wrong
    password and the answer's timing doesn't tell which addresses have accounts."""
    app.extensions[DUMMY_HASH_KEY] = generate_password_hash(
        secrets.token_urlsafe(16), method=app.config["PASSWORD_HASH_METHOD"]
    )


def authenticate(email: object, password: object) -> User | None:
    if not isinstance(email, str) or not isinstance(password, str):
        return None
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(current_app.extensions[DUMMY_HASH_KEY], password)
        return None
    return user if user.check_password(password) else None


def update_display_name(user: User, display_name: object) -> None:
    user.display_name = clean_display_name(display_name)
    db.session.commit()


def confirm_password(user: User, value: object, field: str = "password") -> None:
    """The person proves it is them before something that can't be undone."""
    if not isinstance(value, str) or not value:
        raise ValidationFailed("Please type your current password.", field)
    if not user.check_password(value):
        raise ValidationFailed("That isn't your current password.", field)


def set_purchase_alerts(user: User, enabled: bool) -> None:
    user.purchase_alerts = bool(enabled)
    db.session.commit()


def set_reminders(user: User, enabled: bool) -> None:
    """Occasion reminders (piglist.occasions.reminders) on or off."""
    user.reminders = bool(enabled)
    db.session.commit()


def change_password(user: User, current: object, new: object) -> None:
    """The caller starts a new login for the device it is on."""
    confirm_password(user, current, "current_password")
    replace_password(user, check_password(new, "new_password"))
    db.session.commit()


def replace_password(user: User, secret: str) -> None:
    """Every way a password changes (the profile, a reset link) ends every session of the account
    and revokes its API tokens: whoever knew the old password may have made either."""
    user.set_password(secret)
    db.session.execute(credentials.for_user(delete(ApiToken).where(ApiToken.user_id == user.id), user.id))
    end_every_login(user)


# --- logins (one row per logged-in browser) ----------------------------------------------------


def start_login(user: User) -> None:
    """A new session row; ``user.get_id()`` then names it for Flask-Login's cookies."""
    row, key = UserSession.start(user)
    db.session.add(row)
    db.session.commit()
    user.login_key = key


def user_for_login(login_id: str) -> User | None:
    """The user a session or remember cookie (``<id>.<key>``) belongs to, if that login lives."""
    raw_id, _, key = login_id.partition(".")
    if not raw_id.isascii() or not raw_id.isdigit() or not key or int(raw_id) > MAX_ID:
        return None
    key_hash = hash_token(key)
    found = credentials.credential_cache().find(
        f"login:{key_hash}",
        lambda: (
            select(UserSession)
            .options(joinedload(UserSession.user))
            .where(UserSession.key_hash == key_hash, UserSession.user_id == int(raw_id))
        ),
    )
    if found is None or found[0].id != int(raw_id):
        return None
    user = found[0]
    user.login_key = key
    return user


def end_login(user: User) -> None:
    if user.login_key is not None:
        ended = delete(UserSession).where(
            UserSession.key_hash == hash_token(user.login_key), UserSession.user_id == user.id
        )
        db.session.execute(credentials.for_user(ended, user.id))
        db.session.commit()


def end_every_login(user: User) -> None:
    """In the caller's transaction; only ``user``'s cached credentials are doubted elsewhere."""
    db.session.execute(
        credentials.for_user(delete(UserSession).where(UserSession.user_id == user.id), user.id)
    )


def end_all_logins(user: User) -> None:
    end_every_login(user)
    db.session.commit()


def issue_token(user: User, name: object = "API token") -> tuple[ApiToken, str]:
    token, secret = ApiToken.issue(user, clean_text(name, "name", max_length=100) or "API token")
    db.session.add(token)
    db.session.commit()
    return token, secret


def user_for_token(secret: str) -> tuple[User, ApiToken] | None:
    """The token's owner: from this process's cache while nothing about them changed (one Redis
    round trip, piglist.auth.credentials), else read with the token in one query."""
    token_hash = hash_token(secret)
    found = credentials.credential_cache().find(
        f"token:{token_hash}",
        lambda: select(ApiToken).where(ApiToken.token_hash == token_hash).options(joinedload(ApiToken.user)),
    )
    if found is None:
        return None
    _, token = found
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token.user, token


def revoke_token(user: User, token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound("No such token.")
    db.session.delete(token)
    db.session.commit()


def list_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
        )
    )
