"""Who may see and do what in a group, decided once for pages, API and CLI.

A non-member gets ``NotFound`` for anything in a group (its existence is not confirmed), a member
without the admin role gets ``Forbidden`` for admin actions. Also the lists of one's groups and
of a group's members, which every page that shows a group reads.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from ..errors import Forbidden, NotFound
from ..extensions import db
from ..models import Group, GroupMember, User

NO_GROUP = "No such group (or you're not a member of it)."


def membership(group_id: int, user: User) -> GroupMember:
    """With its group, in one query: nearly every request asks for both."""
    member = db.session.get(GroupMember, (group_id, user.id), options=[joinedload(GroupMember.group)])
    if member is None:
        raise NotFound(NO_GROUP)
    return member


def member_group(group_id: int, user: User) -> Group:
    """The group, if ``user`` belongs to it."""
    return membership(group_id, user).group


def admin_group(group_id: int, user: User) -> Group:
    member = membership(group_id, user)
    if not member.is_admin:
        raise Forbidden("Only the group's admins can do that.")
    return member.group


def user_groups(user: User) -> list[tuple[Group, GroupMember, int]]:
    """The user's groups with their membership and member count, for the dashboard."""
    counts = (
        select(GroupMember.group_id, func.count().label("members")).group_by(GroupMember.group_id).subquery()
    )
    rows = db.session.execute(
        select(Group, GroupMember, counts.c.members)
        .join(GroupMember, GroupMember.group_id == Group.id)
        .join(counts, counts.c.group_id == Group.id)
        .where(GroupMember.user_id == user.id)
        .order_by(Group.name, Group.id)
    ).all()
    return [(group, member, count) for group, member, count in rows]


def group_members(group: Group) -> list[GroupMember]:
    return list(
        db.session.scalars(
            select(GroupMember)
            .where(GroupMember.group_id == group.id)
            .join(User)
            # The join that orders them also loads the users: one query, not two.
            .options(contains_eager(GroupMember.user))
            .order_by(func.lower(User.display_name), User.id)
        )
    )
