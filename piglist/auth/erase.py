"""Erasing an account — the same for ``DELETE /api/v1/me``, the profile page's button and
``flask piglist erase-user``.

Everything of the person goes: the account, its tokens and sessions (the session cookie names a
user that no longer exists), their piglists and notices. What they bought on other people's
lists stays bought, as when someone leaves a group: the gift was bought, and erasing an account
must not offer it to be bought twice. Those purchases keep no name (the database sets their
buyer to nothing), so the others see "a former member"; nothing is announced, so no page flips. A group whose last admin they were is handed to the
longest-standing other member, or deleted when nobody else is in it: a family shouldn't lose
its group, nor be left with one nobody can manage, because one person left Piglist.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..extensions import db
from ..groups.erasure import leave_every_group
from ..models import Purchase, User
from .accounts import confirm_password


@dataclass
class Erased:
    email: str
    # How many gifts they bought stay bought, now by "a former member".
    kept: int = 0
    groups: list[str] = field(default_factory=list)


def erase_user(user: User) -> Erased:
    """One transaction: either all of it happens or none of it."""
    erased = Erased(email=user.email)
    erased.kept = db.session.scalar(select(func.count()).where(Purchase.user_id == user.id)) or 0
    erased.groups = leave_every_group(user)
    # Their memberships are gone already (some with a deleted group): the account's own cascade
    # must not delete them a second time.
    db.session.flush()
    db.session.expire(user, ["memberships"])
    db.session.delete(user)
    db.session.commit()
    return erased


def erase_own_account(user: User, password: object) -> Erased:
    """The person's own request (API and page): only with their password."""
    confirm_password(user, password)
    return erase_user(user)
