"""Test factories: build rows directly, with sensible defaults; call inside an app context."""

from __future__ import annotations

import itertools

from piglist.extensions import db
from piglist.models import ApiToken, User

PASSWORD = "Correct-Horse-9"
_sequence = itertools.count(1)


def make_user(email: str | None = None, display_name: str | None = None, password: str = PASSWORD) -> User:
    n = next(_sequence)
    user = User(email=email or f"user{n}@example.org", display_name=display_name or f"User {n}")
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def token_for(user: User, name: str = "tests") -> str:
    token, secret = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.commit()
    return secret
