"""Invitations by e-mail: an admin types up to 20 addresses; each gets a mail naming the group
and who invites, with the group's invite link.

The link is the one the group page shares (``from`` names who invites, so the landing says
"Mum invited you") plus the address, which the sign-up form is filled in with. The invite code
stays the key: a new code (the admin's "make a new link") kills mailed links too.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from piglist.stores import jobs, mail

from ..errors import ValidationFailed
from ..extensions import db
from ..models import Group, GroupMember, User
from ..rules.values import clean_email, require_str

MAX_ADDRESSES = 20
SEPARATORS = re.compile(r"[\s,;]+")


def parse_addresses(value: object) -> list[str]:
    """Addresses separated by commas, semicolons, spaces or lines; each checked, none twice."""
    text = require_str(value, "addresses")
    assert text is not None
    parts = [part for part in SEPARATORS.split(text) if part]
    if len({part.lower() for part in parts}) > MAX_ADDRESSES:
        raise ValidationFailed(f"At most {MAX_ADDRESSES} addresses at a time, please.", "addresses")
    found: dict[str, str] = {}
    for part in parts:
        try:
            address = clean_email(part, "addresses")
        except ValidationFailed:
            raise ValidationFailed(
                f"“{part[:100]}” doesn't look like an email address.", "addresses"
            ) from None
        found.setdefault(address.lower(), address)
    return list(found.values())


def invite_by_email(group: Group, inviter: User, value: object) -> tuple[list[str], list[str]]:
    """Queue an invitation mail to each address that isn't a member's already. Returns
    (invited, already members)."""
    addresses = parse_addresses(value)
    members = set(
        db.session.scalars(
            select(func.lower(User.email))
            .join(GroupMember, GroupMember.user_id == User.id)
            .where(
                GroupMember.group_id == group.id, func.lower(User.email).in_([a.lower() for a in addresses])
            )
        )
    )
    invited = [a for a in addresses if a.lower() not in members]
    base_url = mail.site_url()
    for address in invited:
        mail.queue(send_invitation, group.id, inviter.id, address, base_url)
    return invited, [a for a in addresses if a.lower() in members]


@jobs.job
def send_invitation(group_id: int, inviter_id: int, email: str, base_url: str) -> None:
    group = db.session.get(Group, group_id)
    inviter = db.session.get(User, inviter_id)
    if group is None or inviter is None:
        return
    query: dict[str, Any] = {"from": inviter.id, "email": email}  # "from" is a keyword in Python
    join_url = mail.link(base_url, "groups.join", code=group.invite_code, **query)
    message = mail.compose(
        "invitation",
        to=email,
        subject=f"{inviter.display_name} invites you to {group.name} on Piglist",
        base_url=base_url,
        group=group,
        inviter=inviter,
        join_url=join_url,
    )
    mail.deliver(message)
