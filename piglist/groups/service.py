"""Groups: creating and joining them, membership and roles, categories, locking and unlocking.

Who may do what inside a group is decided here, once, for pages, API and CLI:
a non-member gets ``NotFound`` for anything in a group (its existence is not
confirmed), a member without the admin role gets ``Forbidden`` for admin actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from piglist.groups import notices
from piglist.stores.rowlocks import lock_row, locked_all

from ..errors import BadRequest, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..live import feed
from ..models import (
    ADMIN,
    MAX_ID,
    MEMBER,
    ROLES,
    Category,
    Gift,
    Group,
    GroupGift,
    GroupMember,
    ListManager,
    ListRecipient,
    Piglist,
    Pledge,
    User,
    today,
)
from ..rules.limits import check_convertible, check_limits_hold, first_breach
from ..rules.lock import ensure_unlocked
from ..rules.values import clean_text, parse_bool, parse_currency, parse_date, parse_int, parse_money

NO_GROUP = "No such group (or you're not a member of it)."


# --- access ---------------------------------------------------------------------------


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


# --- groups ---------------------------------------------------------------------------


@dataclass
class GroupSettings:
    name: str | None = None
    lock_date: Any = None
    is_locked: bool | None = None
    currency: str | None = None
    given: frozenset[str] = frozenset()


def parse_group_settings(data: Mapping[str, Any], *, creating: bool) -> GroupSettings:
    given = frozenset(key for key in ("name", "lock_date", "is_locked", "currency") if key in data)
    settings = GroupSettings(given=given)
    if creating or "name" in given:
        settings.name = clean_text(data.get("name"), "name", max_length=100)
    if "lock_date" in given:
        settings.lock_date = parse_date(data.get("lock_date"), "lock_date")
    if "is_locked" in given:
        settings.is_locked = parse_bool(data.get("is_locked"), "is_locked")
    if "currency" in given:
        settings.currency = parse_currency(data.get("currency"), required=True)
    return settings


def create_group(user: User, data: Mapping[str, Any]) -> Group:
    settings = parse_group_settings(data, creating=True)
    group = Group(name=settings.name, lock_date=settings.lock_date, currency=settings.currency or "USD")
    db.session.add(group)
    db.session.add(GroupMember(group=group, user=user, role=ADMIN))
    db.session.add(Piglist.for_member(group, user))
    db.session.commit()
    return group


def update_group(group: Group, data: Mapping[str, Any]) -> Group:
    settings = parse_group_settings(data, creating=False)
    # A given name, lock flag or currency is parsed as required: never None here.
    if settings.name is not None:
        group.name = settings.name
    if "lock_date" in settings.given:
        group.lock_date = settings.lock_date
    if settings.is_locked is not None:
        group.is_locked = settings.is_locked
    if settings.currency is not None and settings.currency != group.currency:
        _change_currency(group, settings.currency)
    db.session.commit()
    return group


def _change_currency(group: Group, currency: str) -> None:
    """Prices in another currency count at the latest exchange rate, so the limits must still
    hold once it has changed, and every price in a limited category must still be convertible."""
    group.currency = currency
    for category in group.categories:
        if category.spending_limit is None and category.max_item_price is None:
            continue
        lock_row(Category, category.id)
        check_convertible(group, category)
        breach = first_breach(group, category, category.spending_limit, category.max_item_price)
        if breach is not None:
            raise ValidationFailed(
                f"With prices in {currency}, {breach[1]}, over that category's limits. "
                "Change the limits or the gifts first.",
                "currency",
            )


def unlock_now(group: Group) -> date | None:
    """ "Unlock now" means now: a lock date that has already passed would keep the lists frozen, so
    it is cleared too. Returns the cleared date, if any."""
    cleared = group.lock_date if group.lock_date is not None and today() > group.lock_date else None
    group.is_locked = False
    if cleared is not None:
        group.lock_date = None
    db.session.commit()
    return cleared


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
    try:
        db.session.commit()
    except IntegrityError:
        # The same person joined in two tabs at once; the first one counts.
        db.session.rollback()
        return group, False
    return group, True


# --- members ----------------------------------------------------------------------------


def _admin_count(group: Group) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(GroupMember.group_id == group.id, GroupMember.role == ADMIN)
        )
        or 0
    )


def set_role(group: Group, user_id: int, role: object) -> GroupMember:
    if role not in ROLES:
        raise ValidationFailed("The role must be 'admin' or 'member'.", "role")
    lock_row(Group, group.id)  # two admins demoting each other at once must not leave none
    target = db.session.get(GroupMember, (group.id, user_id))
    if target is None:
        raise NotFound("That person is not a member of this group.")
    if target.role == ADMIN and role == MEMBER and _admin_count(group) == 1:
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
    if target.is_admin and _admin_count(group) == 1:
        raise BadRequest("The last admin can't leave: make someone else an admin first.", "user_id")
    removed = target.user
    _drop_membership(target)
    db.session.commit()
    return removed


def _drop_membership(member: GroupMember) -> None:
    """The member's piglist and its gifts go with them; other people's open pages drop the gifts
    live. Gifts they bought on other lists are not touched here."""
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
                    GroupMember.role == "admin",
                    GroupMember.user_id != member.user_id,
                )
            ).all()
            piglist.manager_links = [ListManager(user_id=user_id) for user_id in admins]


def leave_every_group(user: User) -> list[str]:
    """For an account being erased: leave each group, in the caller's transaction. A last admin's
    group is handed to the longest-standing other member, or deleted when nobody else is in it.
    Returns one line per group saying what happened, for the operator."""
    done = []
    for member in list(user.memberships):
        group = lock_row(Group, member.group_id)  # two admins erased at once must not leave none
        db.session.refresh(member)
        line = f"left {group.name!r} (group {group.id})"
        if member.is_admin and _admin_count(group) == 1:
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
        _drop_membership(member)
        done.append(line)
    return done


def delete_group(group: Group, actor: User, confirm_name: object = None) -> None:
    """An admin deletes the group (the caller checked the role with :func:`admin_group`): every
    member's list in it goes, and the others find a notice on their dashboard. Nothing else of
    theirs — accounts, other groups, what they bought elsewhere — is touched. ``confirm_name``,
    when the door asks for it (the admin page), must be the group's name."""
    if confirm_name is not None and (
        not isinstance(confirm_name, str) or confirm_name.strip().casefold() != group.name.casefold()
    ):
        raise ValidationFailed(f"Type the group's name, {group.name}, to delete it.", "confirm_name")
    lock_row(Group, group.id)  # role changes and removals in flight finish first
    others = db.session.scalars(
        select(GroupMember.user_id).where(GroupMember.group_id == group.id, GroupMember.user_id != actor.id)
    ).all()
    notices.tell(
        others,
        f"{actor.display_name} deleted the group {group.name}; your piglist there was deleted with it.",
    )
    db.session.delete(group)
    db.session.commit()


# --- categories ----------------------------------------------------------------------------


def parse_category(data: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if creating or "name" in data:
        fields["name"] = clean_text(data.get("name"), "name", max_length=100)
    if "spending_limit" in data:
        fields["spending_limit"] = parse_money(data.get("spending_limit"), "spending_limit")
    if "max_item_price" in data:
        fields["max_item_price"] = parse_money(data.get("max_item_price"), "max_item_price")
    if "display_order" in data:
        fields["display_order"] = parse_int(data.get("display_order"), "display_order", minimum=0) or 0
    return fields


def group_category(group: Group, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.group_id != group.id:
        raise NotFound("No such category in this group.")
    return category


def _check_name_free(group: Group, name: str, category_id: int | None = None) -> None:
    clash = db.session.scalar(
        select(Category.id).where(
            Category.group_id == group.id,
            func.lower(Category.name) == name.lower(),
            Category.id != category_id,
        )
    )
    if clash is not None:
        raise _name_taken(name)


def _name_taken(name: str) -> ValidationFailed:
    return ValidationFailed(f"There is already a category called {name!r}.", "name")


def _commit_category(name: str) -> None:
    """The unique constraint decides between two admins saving the same name at once."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _name_taken(name) from None


def next_display_order(group: Group) -> int:
    current = db.session.scalar(select(func.max(Category.display_order)).where(Category.group_id == group.id))
    return 0 if current is None else current + 1


def create_category(group: Group, data: Mapping[str, Any]) -> Category:
    fields = parse_category(data, creating=True)
    ensure_unlocked(group, "The categories")
    _check_name_free(group, fields["name"])
    fields.setdefault("display_order", next_display_order(group))
    category = Category(group=group, **fields)
    db.session.add(category)
    _commit_category(category.name)
    return category


def update_category(group: Group, category_id: int, data: Mapping[str, Any]) -> Category:
    fields = parse_category(data, creating=False)
    ensure_unlocked(group, "The categories")
    group_category(group, category_id)
    # Gift writes lock the category row too, so no gift slips in between this check and the commit.
    category = lock_row(Category, category_id)
    if "name" in fields:
        _check_name_free(group, fields["name"], category.id)
    check_limits_hold(
        group,
        category,
        fields.get("spending_limit", category.spending_limit),
        fields.get("max_item_price", category.max_item_price),
    )
    for key, value in fields.items():
        setattr(category, key, value)
    _commit_category(category.name)
    return category


def move_category(group: Group, category_id: int, direction: str) -> None:
    """Swap a category with its neighbour above or below (the admin page's arrows)."""
    if direction not in ("up", "down"):
        raise ValidationFailed("Move a category 'up' or 'down'.", "direction")
    ensure_unlocked(group, "The categories")
    ordered = list(group.categories)
    index = next((i for i, c in enumerate(ordered) if c.id == category_id), None)
    if index is None:
        raise NotFound("No such category in this group.")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, category in enumerate(ordered):
            category.display_order = position
        db.session.commit()


def delete_category(group: Group, category_id: int) -> None:
    """Its gifts stay, uncategorised (the foreign key sets them to NULL)."""
    ensure_unlocked(group, "The categories")
    category = group_category(group, category_id)
    db.session.delete(category)
    db.session.commit()
