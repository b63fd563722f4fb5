"""An erased account's groups: it leaves each, and a group it was the last admin of is handed
on (or deleted, with nobody else in it). piglist.auth.erase calls this in its transaction."""

from __future__ import annotations

from sqlalchemy import select

from piglist.stores.rowlocks import lock_row

from ..extensions import db
from ..models import ADMIN, Group, GroupMember, User
from .members import admin_count, drop_membership


def leave_every_group(user: User) -> list[str]:
    """For an account being erased: leave each group, in the caller's transaction. A last admin's
    group is handed to the longest-standing other member, or deleted when nobody else is in it.
    Returns one line per group saying what happened, for the operator."""
    done = []
    for member in list(user.memberships):
        group = lock_row(Group, member.group_id)  # two admins erased at once must not leave none
        db.session.refresh(member)
        line = f"left {group.name!r} (group {group.id})"
        if member.is_admin and admin_count(group) == 1:
            successor = db.session.scalar(
                select(GroupMember)
                .where(GroupMember.group_id == group.id, GroupMember.user_id != user.id)
                .order_by(GroupMember.joined_at, GroupMember.user_id)
                .limit(1)
            )
            if successor is None:
                db.session.delete(group)
                done.append(f"deleted {group.name!r} (group {group.id}), where nobody else was")
                continue
            successor.role = ADMIN
            line += f"; {successor.user.display_name} is its admin now"
        drop_membership(member)
        done.append(line)
    return done
