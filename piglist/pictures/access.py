"""Who may see a picture: the members of a group where a gift shows it (its owner's list, a
gift deleted after it was bought included). ``/images/<key>`` answers anyone else exactly as it
answers a key Piglist never stored, so holding a picture (its key is the hash of its bytes)
tells nobody whether Piglist keeps it, and whoever leaves or is removed from every group that
uses a picture loses it. Keys from before stay as they were: they are served the same way."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import exists, select

from ..auth import accounts
from ..extensions import db
from ..models import Gift, GroupMember, Piglist, User
from . import store


def visible_to(key: str, user: User) -> bool:
    """One query, from the user's memberships down to their groups' gifts (all indexed)."""
    shown = (
        select(Gift.id)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .join(GroupMember, GroupMember.group_id == Piglist.group_id)
        .where(GroupMember.user_id == user.id, Gift.image_url == store.picture_url(key))
    )
    return bool(db.session.scalar(select(exists(shown))))


def requester() -> User | None:
    """Who asks for a picture: a browser's login, or an API client's Bearer token (the API's
    gifts name their pictures by these URLs). A bad token is nobody."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        found = accounts.user_for_token(token.strip()) if token.strip() else None
        return found[0] if found else None
    return current_user if current_user.is_authenticated else None
