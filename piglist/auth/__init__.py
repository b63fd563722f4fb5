"""Accounts on the website: register, log in and out, profile and personal API tokens."""

from flask import Blueprint

from ..extensions import db, login_manager
from ..models import User

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The cookie holds ``<id>.<session token>``; a rotated token (password change) logs it out."""
    raw_id, _, token = user_id.partition(".")
    if not raw_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(raw_id))
    return user if user is not None and user.session_token == token else None


from . import routes  # noqa: E402,F401  (routes attach themselves to bp)
