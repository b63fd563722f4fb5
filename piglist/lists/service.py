"""Creating and keeping lists: a couple's shared list (pending until the partner accepts), a
dependant's list (a name, no account) and its keepers; reading them as one person may.

Who may do what to a list is decided here, once, for pages and API: a non-member of the list's
group gets ``NotFound`` (so does anyone but its two people for a shared list still pending), a
member who doesn't keep the list gets ``Forbidden`` for a keeper's action. What a person sees of
a list's gifts is the surprise rule's decision (piglist.gifts.reading, piglist.rules.surprise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from piglist.stores.rowlocks import lock_row

from ..errors import BadRequest, Duplicate, Forbidden, ValidationFailed
from ..extensions import db
from ..gifts import alerts
from ..gifts.loading import visible_list
from ..groups.access import member_group
from ..live import feed
from ..models import LIST_KINDS, Gift, Group, GroupMember, ListManager, ListRecipient, Piglist, User, utcnow
from ..rules.lock import ensure_unlocked
from ..rules.surprise import is_recipient, person
from ..rules.values import clean_text, parse_int

CREATABLE_KINDS = ("dependant", "shared")
KIND_ORDER = {"member": 0, "shared": 1, "dependant": 2}


def list_dict(piglist: Piglist) -> dict[str, Any]:
    """The SPEC's ``list``: who it is for (a dependant has no account, so no id) and who keeps it."""
    recipients: list[dict[str, Any] | None]
    if piglist.kind == "dependant":
        recipients = [{"id": None, "display_name": piglist.name}]
    else:
        recipients = [person(user) for user in piglist.recipients]
    return {
        "id": piglist.id,
        "group_id": piglist.group_id,
        "kind": piglist.kind,
        "title": piglist.title,
        "status": piglist.status,
        "recipients": recipients,
        "managers": [person(user) for user in piglist.managers],
    }


def group_lists(group_id: int, viewer: User) -> list[Piglist]:
    """Every list of the group the viewer may know of: members' own, then couples', then
    dependants', each by title. A shared list still pending shows only to its two people."""
    group = member_group(group_id, viewer)
    lists = db.session.scalars(
        select(Piglist).where(Piglist.group_id == group.id, Piglist.status != "deleted")
    ).all()
    shown = [p for p in lists if p.status == "active" or is_recipient(viewer, p)]
    return sorted(shown, key=lambda p: (KIND_ORDER[p.kind], p.title.casefold(), p.id))


def managed_lists(user: User) -> list[Piglist]:
    """The lists ``user`` keeps beside their own, in every group (for the dashboard), and the
    shared lists waiting for their answer."""
    kept = select(ListManager.list_id).where(ListManager.user_id == user.id)
    invited = select(ListRecipient.list_id).where(ListRecipient.user_id == user.id)
    lists = db.session.scalars(
        select(Piglist).where(
            Piglist.kind != "member",
            Piglist.status != "deleted",
            Piglist.id.in_(kept) | (Piglist.id.in_(invited) & (Piglist.status == "pending")),
        )
    ).all()
    return sorted(lists, key=lambda p: (p.group_id, KIND_ORDER[p.kind], p.title.casefold(), p.id))


def list_counts() -> dict[str, Any]:
    """For operators (``flask piglist stats``): lists by kind, and the ideas on them. Counts only."""
    kinds = dict(
        db.session.execute(
            select(Piglist.kind, func.count()).where(Piglist.status != "deleted").group_by(Piglist.kind)
        ).all()
    )
    ideas = db.session.scalar(
        select(func.count()).select_from(Gift).where(Gift.is_idea.is_(True), Gift.deleted_at.is_(None))
    )
    return {"lists": {kind: kinds.get(kind, 0) for kind in LIST_KINDS}, "ideas": ideas}


def invitation_for(piglist: Piglist, user: User) -> bool:
    """Whether ``user`` is the partner a pending shared list waits for."""
    return (
        piglist.kind == "shared"
        and piglist.status == "pending"
        and is_recipient(user, piglist)
        and user.id not in piglist.manager_ids
    )


def _member(group: Group, user_id: Any, field: str) -> User:
    number = parse_int(user_id, field, required=True, minimum=1)
    member = db.session.get(GroupMember, (group.id, number))
    if member is None:
        raise ValidationFailed("That person is not a member of this group.", field)
    return member.user


def create_list(group_id: int, creator: User, data: Mapping[str, Any]) -> Piglist:
    """``{kind: "dependant", name}`` or ``{kind: "shared", with_user_id}``. The creator keeps it."""
    group = member_group(group_id, creator)
    kind = data.get("kind")
    if kind not in CREATABLE_KINDS:
        raise ValidationFailed(
            'The kind must be "dependant" (for someone without an account) or "shared".', "kind"
        )
    if kind == "dependant":
        name = clean_text(data.get("name"), "name", max_length=100)
        piglist = Piglist(
            group=group, kind="dependant", name=name, manager_links=[ListManager(user_id=creator.id)]
        )
    else:
        lock_row(Group, group.id)  # one couple, one list: two tabs asking at once make one
        partner = _member(group, data.get("with_user_id"), "with_user_id")
        if partner.id == creator.id:
            raise ValidationFailed("A shared list is with someone else in the group.", "with_user_id")
        if _shared_list_of(group, creator, partner) is not None:
            raise Duplicate(
                f"You already have a shared list with {partner.display_name} here.", "with_user_id"
            )
        piglist = Piglist(
            group=group,
            kind="shared",
            status="pending",
            recipient_links=[ListRecipient(user_id=creator.id), ListRecipient(user_id=partner.id)],
            manager_links=[ListManager(user_id=creator.id)],
        )
    db.session.add(piglist)
    db.session.commit()
    return piglist


def _shared_list_of(group: Group, one: User, other: User) -> Piglist | None:
    both = [select(ListRecipient.list_id).where(ListRecipient.user_id == user.id) for user in (one, other)]
    return db.session.scalar(
        select(Piglist).where(
            Piglist.group_id == group.id,
            Piglist.kind == "shared",
            Piglist.status != "deleted",
            Piglist.id.in_(both[0]),
            Piglist.id.in_(both[1]),
        )
    )


def _kept_list(list_id: int, user: User, kinds: tuple[str, ...] = CREATABLE_KINDS) -> Piglist:
    piglist = lock_row(Piglist, visible_list(list_id, user).id)
    if piglist.kind not in kinds:
        raise BadRequest("That can't be done to this kind of list.")
    if user.id not in piglist.manager_ids:
        raise Forbidden("Only the list's keepers can do that.")
    return piglist


def accept(list_id: int, user: User) -> Piglist:
    """The invited partner accepts: the list becomes theirs too. Accepting twice is harmless."""
    piglist = lock_row(Piglist, visible_list(list_id, user).id)
    if piglist.kind == "shared" and piglist.status == "active" and user.id in piglist.manager_ids:
        db.session.commit()
        return piglist
    if not invitation_for(piglist, user):
        raise Forbidden("Only the person invited to share this list can accept it.")
    piglist.status = "active"
    piglist.manager_links.append(ListManager(user_id=user.id))
    db.session.commit()
    db.session.refresh(piglist)
    return piglist


def decline(list_id: int, user: User) -> None:
    """The invited partner declines: the list goes, with anything its creator put on it."""
    piglist = lock_row(Piglist, visible_list(list_id, user).id)
    if not invitation_for(piglist, user):
        raise Forbidden("Only the person invited to share this list can decline it, before accepting.")
    db.session.delete(piglist)
    db.session.commit()


def add_manager(list_id: int, actor: User, user_id: Any) -> Piglist:
    piglist = _kept_list(list_id, actor, ("dependant",))
    keeper = _member(piglist.group, user_id, "user_id")
    if keeper.id not in piglist.manager_ids:
        piglist.manager_links.append(ListManager(user_id=keeper.id))
    db.session.commit()
    db.session.refresh(piglist)
    return piglist


def remove_manager(list_id: int, actor: User, user_id: int) -> None:
    """A keeper removes another, or steps down; a list keeps at least one."""
    piglist = _kept_list(list_id, actor, ("dependant",))
    if user_id not in piglist.manager_ids:
        raise ValidationFailed("That person doesn't keep this list.", "user_id")
    if len(piglist.manager_ids) == 1:
        raise BadRequest("A list needs at least one keeper: add someone else first.", "user_id")
    piglist.manager_links = [link for link in piglist.manager_links if link.user_id != user_id]
    db.session.commit()


def delete_list(list_id: int, actor: User) -> None:
    """A keeper deletes a shared or a dependant's list. Its gifts go as a deleted gift does (SPEC
    §2): whoever bought one still sees it, marked removed, and is told by mail."""
    piglist = visible_list(list_id, actor)
    if piglist.kind == "member":
        raise BadRequest("A member's own list goes only when they leave the group.")
    piglist = _kept_list(list_id, actor)
    ensure_unlocked(piglist.group)
    now = utcnow()
    for gift in db.session.scalars(
        select(Gift).where(Gift.piglist_id == piglist.id, Gift.deleted_at.is_(None))
    ):
        before = alerts.snapshot(gift)
        gift.deleted_at = now
        alerts.note_change(gift, before)
        feed.emit("gift_deleted", gift)
    piglist.status = "deleted"
    db.session.commit()
