"""Joining a group by its invite code: finding the group, who shared the link, and joining
(twice is harmless). An admin's new code kills every link shared before."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..live import feed
from ..models import MAX_ID, MEMBER, Group, GroupMember, Piglist, User
from ..rules.values import parse_int


def regenerate_invite(group: Group) -> str:
    group.invite_code = Group.new_invite_code()
    db.session.commit()
    return group.invite_code


def group_by_invite(code: object) -> Group:
    if not isinstance(code, str) or not code.strip():
        raise ValidationFailed("Please give the invite code (or paste the whole invite link).", "invite_code")
    if len(code) > 64:
        raise NotFound("That invite code doesn't match any group. Ask for a fresh link.")
    group = db.session.scalar(select(Group).where(Group.invite_code == code.strip()))
    if group is None:
        raise NotFound("That invite code doesn't match any group. Ask for a fresh link.")
    return group


def inviter(group: Group, user_id: object) -> User | None:
    """Who shared an invite link (its ``from``), when they are in the group; else nobody."""
    try:
        number = parse_int(user_id, "from", minimum=1)
    except ValidationFailed:
        return None
    if number is None or number > MAX_ID:  # beyond any id: the database would refuse the query
        return None
    member = db.session.get(GroupMember, (group.id, number))
    return member.user if member is not None else None


def join_group(user: User, code: object) -> tuple[Group, bool]:
    """Join by invite code; joining twice is harmless. Returns the group and whether it was new."""
    group = group_by_invite(code)
    if db.session.get(GroupMember, (group.id, user.id)) is not None:
        return group, False
    db.session.add(GroupMember(group=group, user=user, role=MEMBER))
    db.session.add(Piglist.for_member(group, user))
    # Someone back in the group undoes their own purchases again: the admins' Members pages drop
    # them from "Purchases by people who have left" live.
    feed.emit_to_admins(group.id, "former_buyers_changed")
    try:
        db.session.commit()
    except IntegrityError:
        # The same person joined in two tabs at once; the first one counts.
        db.session.rollback()
        return group, False
    return group, True
