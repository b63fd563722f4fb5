"""A group's members: roles, and removing someone (or leaving), with what goes with them.

A group always keeps an admin. A member who goes takes their own list and its gifts with them,
drops what they promised in open group gifts, and hands the other lists they were for or kept
to the others.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select

from piglist.stores.rowlocks import lock_row, locked_all

from ..errors import BadRequest, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..live import feed
from ..models import (
    ADMIN,
    MEMBER,
    ROLES,
    Gift,
    Group,
    GroupGift,
    GroupMember,
    ListManager,
    ListRecipient,
    Piglist,
    Pledge,
    User,
)
from .access import membership


def admin_count(group: Group) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(GroupMember.group_id == group.id, GroupMember.role == ADMIN)
        )
        or 0
    )


def set_role(group: Group, user_id: int, role: object) -> GroupMember:
    if role not in ROLES:
        raise ValidationFailed(f"The role must be {ADMIN!r} or {MEMBER!r}.", "role")
    lock_row(Group, group.id)  # two admins demoting each other at once must not leave none
    target = db.session.get(GroupMember, (group.id, user_id))
    if target is None:
        raise NotFound("That person is not a member of this group.")
    if target.role == ADMIN and role == MEMBER and admin_count(group) == 1:
        raise BadRequest("A group needs at least one admin: make someone else an admin first.", "role")
    target.role = role
    db.session.commit()
    return target


def remove_member(group: Group, actor: User, user_id: int) -> User:
    """An admin removes someone, or a member leaves; returns who. Their piglist (and its gifts)
    goes with them; gifts they bought on other lists stay bought."""
    actor_membership = membership(group.id, actor)
    if actor.id != user_id and not actor_membership.is_admin:
        raise Forbidden("Only the group's admins can remove other members.")
    lock_row(Group, group.id)
    target = db.session.get(GroupMember, (group.id, user_id))
    if target is None:
        raise NotFound("That person is not a member of this group.")
    if target.is_admin and admin_count(group) == 1:
        raise BadRequest("The last admin can't leave: make someone else an admin first.", "user_id")
    removed = target.user
    drop_membership(target)
    db.session.commit()
    return removed


def drop_membership(member: GroupMember) -> None:
    """The member's piglist and its gifts go with them; other people's open pages drop the gifts
    live. Gifts they bought on other lists are not touched here; the admins' Members pages are
    told live that they may now be released."""
    piglist = db.session.scalar(
        select(Piglist).where(Piglist.group_id == member.group_id, Piglist.user_id == member.user_id)
    )
    if piglist is not None:
        live = db.session.scalars(
            select(Gift).where(Gift.piglist_id == piglist.id, Gift.deleted_at.is_(None))
        ).all()
        for gift in live:
            feed.emit("gift_deleted", gift)
        db.session.delete(piglist)
    _drop_promises(member)
    _hand_over_lists(member)
    # What they bought stays bought: the admins' Members pages show it under "Purchases by people
    # who have left" live, each counted for that admin (piglist.live.streams).
    feed.emit_to_admins(member.group_id, "former_buyers_changed", leaving_id=member.user_id)
    db.session.delete(member)


def _drop_promises(member: GroupMember) -> None:
    """What the member promised in the group's open group gifts goes with them (SPEC §10.3):
    nobody can hold them to a pledge or wait on them to organise. Under each gift's row lock, as
    every group gift change (piglist.gifts.group_gifts), so an organiser's purchase in flight
    counts their pledge or doesn't, never half of it. The others see it live."""
    found = db.session.execute(
        select(Gift.id, Piglist.user_id)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .join(GroupGift, GroupGift.gift_id == Gift.id)
        .where(
            Piglist.group_id == member.group_id,
            # Not their own list's; a shared or a child's list has no user_id.
            Piglist.user_id.is_(None) | (Piglist.user_id != member.user_id),
            GroupGift.status == "open",
            (GroupGift.organiser_id == member.user_id)
            | GroupGift.pledges.any(Pledge.user_id == member.user_id),
        )
    ).all()
    owners = dict(found)
    gifts = {gift.id: gift for gift in locked_all(select(Gift), Gift, sorted(owners))}
    for group_gift in db.session.scalars(
        select(GroupGift)
        .where(GroupGift.gift_id.in_(owners), GroupGift.status == "open")
        .execution_options(populate_existing=True)
    ):
        if group_gift.organiser_id == member.user_id:
            group_gift.organiser_id = None
        db.session.execute(
            delete(Pledge).where(Pledge.group_gift_id == group_gift.id, Pledge.user_id == member.user_id)
        )
        feed.emit("group_gift_changed", gifts[group_gift.gift_id], change="left")


def _hand_over_lists(member: GroupMember) -> None:
    """The other lists a leaving member was for or kept stay with the others (SPEC 10.1): a
    shared list with the partner, a dependant's with its other keepers, or with the group's
    admins when nobody else kept it. A shared list still waiting for an answer is withdrawn."""
    lists = db.session.scalars(
        select(Piglist).where(
            Piglist.group_id == member.group_id,
            Piglist.kind != "member",
            Piglist.id.in_(select(ListManager.list_id).where(ListManager.user_id == member.user_id))
            | Piglist.id.in_(select(ListRecipient.list_id).where(ListRecipient.user_id == member.user_id)),
        )
    ).all()
    for piglist in lists:
        if piglist.kind == "shared" and piglist.status == "pending":
            db.session.delete(piglist)
            continue
        piglist.recipient_links = [link for link in piglist.recipient_links if link.user_id != member.user_id]
        piglist.manager_links = [link for link in piglist.manager_links if link.user_id != member.user_id]
        if not piglist.manager_links:
            admins = db.session.scalars(
                select(GroupMember.user_id).where(
                    GroupMember.group_id == member.group_id,
                    GroupMember.role == ADMIN,
                    GroupMember.user_id != member.user_id,
                )
            ).all()
            piglist.manager_links = [ListManager(user_id=user_id) for user_id in admins]
