"""Reading the lists: every member's piglist as one person may see it, one gift, and the group's
figures — in a fixed number of queries whatever the number of gifts. What each person may see
is the surprise rule's decision (piglist.rules.surprise)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from redis.exceptions import RedisError
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import contains_eager, with_expression

from ..errors import NotFound
from ..extensions import db
from ..groups.access import NO_GROUP, member_group
from ..live.presence import presence_store
from ..models import Category, Gift, Group, GroupMember, Piglist, Purchase, User
from ..rules.limits import counted, gift_counts
from ..rules.surprise import is_owner, may_see, present_gift, purchases_visible_to
from ..stores import fx
from .loading import get_gift, gift_query
from .rows import member_list_gifts

log = logging.getLogger(__name__)


NOT_A_MEMBER = "That person is not a member of this group."

# "Most wanted" first, "If you like" last, in the default order.
PRIORITY_ORDER = {"high": 0, "normal": 1, "low": 2}


def _sort_key(sort: str | None, category_order: Mapping[int | None, int]):
    if sort in ("price", "-price"):
        missing = Decimal("Infinity") if sort == "price" else Decimal("-Infinity")
        return lambda v: (v["price"] if v["price"] is not None else missing, v["id"])
    if sort in ("created", "-created"):
        return lambda v: (v["created_at"], v["id"])
    return lambda v: (
        PRIORITY_ORDER[v["priority"]],
        category_order.get(v["category_id"], len(category_order)),
        v["created_at"],
        v["id"],
    )


@dataclass
class PiglistView:
    user: User | None  # None on a dependant's or a shared list: see its Piglist
    gifts: list[dict[str, Any]] = field(default_factory=list)
    totals: list[dict[str, Any]] = field(default_factory=list)


def looking_at(group_id: int, gift_ids: list[int] | None = None) -> dict[int, set[int]]:
    """Who is looking at the group's gifts (all of them, or ``gift_ids``), as user ids: one
    presence call. With Redis down nobody is shown as looking: the page still works."""
    if gift_ids is not None and not gift_ids:
        return {}
    try:
        return presence_store().viewers(group_id, gift_ids)
    except RedisError as exc:
        log.warning("presence unavailable: %s", exc)
        return {}


def viewers_by_gift(
    group_id: int,
    gift_ids: list[int],
    known: Mapping[int, User] | None = None,
    looking: Mapping[int, set[int]] | None = None,
) -> dict[int, dict[int, User]]:
    """Who is looking at each of ``gift_ids``, as users: one presence call (none when the caller
    passes what it has read, ``looking``), and one query unless every viewer is among the
    ``known`` users the caller has already read."""
    if looking is None:
        looking = looking_at(group_id, gift_ids)
    looking = {gid: looking[gid] for gid in gift_ids if looking.get(gid)}
    users = dict(known or {})
    missing = {uid for uids in looking.values() for uid in uids} - users.keys()
    if missing:
        users.update((u.id, u) for u in db.session.scalars(select(User).where(User.id.in_(missing))))
    return {gid: {uid: users[uid] for uid in uids if uid in users} for gid, uids in looking.items()}


def category_totals(group: Group, categories: list[Category], gifts: list[Gift]) -> list[dict[str, Any]]:
    """Per category, what a list holds in the group's currency. Purchases play no part in it, so
    the owner's totals never move when someone buys."""
    sums: dict[int, Decimal] = defaultdict(Decimal)
    rates = fx.latest()  # once, not per gift
    for gift in gifts:
        amount = counted(group, gift, rates)
        if gift.category_id and amount is not None:
            sums[gift.category_id] += amount
    return [
        {"category_id": c.id, "total": sums.get(c.id, Decimal("0.00")), "spending_limit": c.spending_limit}
        for c in categories
    ]


# Built once: every list page and API list runs it. Statements are immutable, so they are shared
# safely, and SQLAlchemy computes a statement's cache key once per object: for these joins and
# loader options that was a sixth of a cached page's CPU.
# Each member's own list's versions come in the same query (the lists' cache keys on them): one
# round trip fewer for every list page, frame and API list. ``populate_existing``: members the
# session already holds are read afresh too, so a second read in one transaction (after another
# committed a change) never keys a list on the versions of the first. It also overwrites unflushed
# changes to these rows (fine with autoflush on, the default: flushed first; not under
# no_autoflush), and relationships already loaded on them are read again when next used.
GROUP_MEMBERS = (
    select(GroupMember)
    .join(GroupMember.user)
    .join(GroupMember.group)
    .outerjoin(Piglist, (Piglist.group_id == GroupMember.group_id) & (Piglist.user_id == GroupMember.user_id))
    .where(GroupMember.group_id == bindparam("group_id"))
    .options(
        contains_eager(GroupMember.user),
        contains_eager(GroupMember.group),
        with_expression(GroupMember.list_version, Piglist.version),
        with_expression(GroupMember.list_purchase_version, Piglist.purchase_version),
    )
    .order_by(func.lower(User.display_name), User.id)
    .execution_options(populate_existing=True)
)


def group_and_members(group_id: int, viewer: User) -> tuple[Group, list[GroupMember]]:
    """The group, if ``viewer`` belongs to it, with its members, their users (by name) and their
    own lists' versions: the membership check and the lists' first read in one query."""
    members = list(db.session.scalars(GROUP_MEMBERS, {"group_id": group_id}))
    if not any(m.user_id == viewer.id for m in members):
        raise NotFound(NO_GROUP)
    return members[0].group, members


def in_list_order(members: list[GroupMember], viewer: User) -> list[GroupMember]:
    """The viewer's own list first, then everyone's by name."""
    return sorted(members, key=lambda m: (m.user_id != viewer.id, m.user.display_name.lower(), m.user_id))


def in_index_order(members: list[GroupMember], viewer: User) -> list[GroupMember]:
    """The all-lists page's order: everyone's by name, the viewer's own last (they came for the others')."""
    return sorted(members, key=lambda m: (m.user_id == viewer.id, m.user.display_name.lower(), m.user_id))


def piglists_of(
    group: Group,
    viewer: User,
    members: list[GroupMember],
    filters: Mapping[str, Any],
    looking: Mapping[int, set[int]] | None = None,
    categories: list[Category] | None = None,
) -> list[PiglistView]:
    """The lists of ``members`` (already read, in the order wanted) as ``viewer`` may see them,
    with who is looking as ``looking`` says (read here when not given), in the group's
    ``categories`` (the relationship when not given: the lists' cache passes those it keeps)."""
    categories = list(group.categories) if categories is None else categories
    # Rows, not entities (piglist.gifts.rows), made to read like gifts: the rules take them as
    # such (a field a rule reads that a row lacks fails loudly, never silently).
    gifts = cast("list[Gift]", member_list_gifts(group, viewer, {m.user_id: m.user for m in members}))
    others = [g.id for g in gifts if not is_owner(g, viewer)]
    seen = viewers_by_gift(group.id, others, {m.user_id: m.user for m in members}, looking)
    by_owner: dict[int | None, list[Gift]] = defaultdict(list)
    for gift in gifts:
        if may_see(gift, viewer):
            by_owner[gift.piglist.user_id].append(gift)

    category_order: dict[int | None, int] = {c.id: i for i, c in enumerate(categories)}
    sort_key = _sort_key(filters.get("sort"), category_order)
    views = []
    for member in members:
        own = by_owner.get(member.user_id, [])
        shown = [present_gift(g, viewer, seen.get(g.id)) for g in own]
        if filters.get("category"):
            shown = [v for v in shown if v["category_id"] == filters["category"]]
        if filters.get("priority"):
            shown = [v for v in shown if v["priority"] == filters["priority"]]
        shown.sort(key=sort_key, reverse=filters.get("sort") in ("-price", "-created"))
        views.append(PiglistView(member.user, shown, category_totals(group, categories, own)))
    return views


def one_piglist(
    group_id: int, user_id: int, viewer: User, filters: Mapping[str, Any] | None = None
) -> PiglistView:
    """One member's list as ``viewer`` may see it (the group's lists: piglist.gifts.listcache)."""
    group, listed = group_and_members(group_id, viewer)
    members = [m for m in listed if m.user_id == user_id]
    if not members:
        raise NotFound(NOT_A_MEMBER)
    return piglists_of(group, viewer, members, filters or {})[0]


def list_gifts(piglist: Piglist, viewer: User, filters: Mapping[str, Any] | None = None) -> PiglistView:
    """Any list's gifts and category totals as ``viewer`` may see them (one list: a shared or a
    dependant's, or a member's read by its id), in the lists' default order."""
    group = piglist.group
    filters = filters or {}
    gifts = db.session.scalars(
        gift_query().where(
            Gift.piglist_id == piglist.id,
            or_(Gift.deleted_at.is_(None), Gift.purchases.any(Purchase.user_id == viewer.id)),
        )
    ).all()
    gifts = [g for g in gifts if may_see(g, viewer)]
    seen = viewers_by_gift(group.id, [g.id for g in gifts if not is_owner(g, viewer)])
    categories = list(group.categories)
    shown = [present_gift(g, viewer, seen.get(g.id)) for g in gifts]
    if filters.get("category"):
        shown = [v for v in shown if v["category_id"] == filters["category"]]
    sort = filters.get("sort")
    shown.sort(
        key=_sort_key(sort, {c.id: i for i, c in enumerate(categories)}),
        reverse=sort in ("-price", "-created"),
    )
    return PiglistView(piglist.owner, shown, category_totals(group, categories, gifts))


def gift_view(gift_id: int, viewer: User, group_id: int | None = None) -> dict[str, Any]:
    return view_of(get_gift(gift_id, viewer, group_id), viewer)


def view_of(gift: Gift, viewer: User) -> dict[str, Any]:
    """The gift as ``viewer`` may see it, with who is looking (never asked for the owner)."""
    looking = viewers_by_gift(gift.piglist.group_id, [gift.id]) if not is_owner(gift, viewer) else {}
    return present_gift(gift, viewer, looking.get(gift.id))


def group_stats(group_id: int, viewer: User) -> dict[str, Any]:
    """Counts and totals. Purchases are counted only over the gifts the surprise rule lets the
    viewer know the purchases of, so nobody can read their own list's purchases off the figures.
    A gift counts once, whatever its quantity: purchased when all of it is bought."""
    group = member_group(group_id, viewer)
    gifts = db.session.scalars(
        gift_query().where(Piglist.group_id == group.id, Gift.deleted_at.is_(None))
    ).all()
    # A recipient's figures are made without the ideas on their lists, as if there were none.
    gifts = [g for g in gifts if may_see(g, viewer)]
    others = purchases_visible_to(gifts, viewer)
    value = sum((g.price for g in gifts if gift_counts(group, g)), Decimal("0.00"))
    return {
        "group_id": group.id,
        "currency": group.currency,
        "members": db.session.scalar(select(func.count()).where(GroupMember.group_id == group.id)),
        "gifts": len(gifts),
        "total_value": value,
        "my_gifts": len(gifts) - len(others),
        "others_gifts": len(others),
        "others_purchased": sum(1 for g in others if g.is_purchased),
        "others_available": sum(1 for g in others if not g.is_purchased),
        "bought_by_me": sum(1 for g in others if g.bought_by(viewer.id)),
    }
