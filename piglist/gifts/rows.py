"""The member lists' gifts read as rows, not ORM entities: the lists rendered afresh (a page, a
frame, the API list) read every gift of a group, and loading 200 gifts with their lists, owners,
purchases and group gifts as entities was a third of the API list's cold CPU (issue 27).

A row is made to read like the entity it stands for (the same attribute names, and the few
properties of the model that the rules read), so that it goes through the same rules:
piglist.rules.surprise decides what a person receives of it exactly as of a Gift, and
piglist.rules.limits counts it the same. Read-only: nothing here is ever written back.
Two statements at most, whatever the number of gifts: the gifts (with the list, who added them,
their group gift's organiser and their purchases with the buyers' names joined in), and the
pledges of the group gifts a giver is shown; nothing of purchases or pledges is given for a list
the reader is a recipient of.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import bindparam, exists, or_, select

from ..extensions import db
from ..models import Bought, Gift, GroupGift, Piglist, Pledge, Purchase, User
from ..rules.surprise import is_recipient

if TYPE_CHECKING:
    from ..models import Group


class Someone:
    """A user as the lists show them: their id and name."""

    __slots__ = ("display_name", "id")

    def __init__(self, user_id: int, display_name: str) -> None:
        self.id = user_id
        self.display_name = display_name


class ListRow:
    """A member list, as its gifts' ``piglist``: who it is for is its member (recipient_ids)."""

    __slots__ = ("group_id", "id", "kind", "owner", "recipients", "user_id")

    def __init__(self, list_id: int, group_id: int, kind: str, user_id: int | None, owner: Any) -> None:
        if kind != "member":  # a shared or a dependant's list's recipients are not its owner
            raise ValueError(f"list {list_id} is not a member list")
        self.id = list_id
        self.group_id = group_id
        self.kind = kind
        self.user_id = user_id
        self.owner = owner
        self.recipients = [] if owner is None else [owner]


class PurchaseRow:
    __slots__ = ("purchased_at", "quantity", "user", "user_id")

    def __init__(self, user_id: int | None, name: str | None, quantity: int, purchased_at: datetime) -> None:
        self.user_id = user_id
        self.user = None if user_id is None else Someone(user_id, cast(str, name))
        self.quantity = quantity
        self.purchased_at = purchased_at


class PledgeRow:
    __slots__ = ("amount", "user", "user_id")

    def __init__(self, user_id: int | None, name: str | None, amount: Decimal) -> None:
        self.user_id = user_id
        self.user = None if user_id is None else Someone(user_id, cast(str, name))
        self.amount = amount


class GroupGiftRow:
    __slots__ = ("id", "organiser", "pledges", "status")

    def __init__(self, group_gift_id: int, status: str, organiser_id: int | None, name: str | None) -> None:
        self.id = group_gift_id
        self.status = status
        self.organiser = None if organiser_id is None else Someone(organiser_id, cast(str, name))
        self.pledges: list[PledgeRow] = []

    @property
    def pledged(self) -> Decimal:  # as GroupGift.pledged
        return sum((p.amount for p in self.pledges), Decimal("0.00"))


# The gift's own columns, in the order GiftRow takes them.
GIFT_FIELDS = (
    "id",
    "piglist_id",
    "category_id",
    "url",
    "title",
    "description",
    "price",
    "regular_price",
    "currency",
    "image_url",
    "options",
    "quantity",
    "priority",
    "occasion_id",
    "scrape_status",
    "scrape_error",
    "created_at",
    "updated_at",
    "status",
    "deleted_at",
    "reveal_id",
    "is_idea",
    "added_by_id",
)


class GiftRow(Bought):
    """A gift as the rules read it (see the module's docstring)."""

    __slots__ = (*GIFT_FIELDS, "added_by", "group_gift", "piglist", "purchases")

    if TYPE_CHECKING:
        id: int
        piglist_id: int
        category_id: int | None
        price: Decimal | None
        currency: str | None
        quantity: int
        priority: str
        created_at: datetime
        status: str
        deleted_at: datetime | None
        reveal_id: int | None
        is_idea: bool
        added_by_id: int | None

    def __init__(self, values: Sequence[Any], piglist: ListRow, added_by: Someone | None) -> None:
        # GIFT_FIELDS, spelled out: a quarter of the time of a setattr per field.
        (
            self.id,
            self.piglist_id,
            self.category_id,
            self.url,
            self.title,
            self.description,
            self.price,
            self.regular_price,
            self.currency,
            self.image_url,
            self.options,
            self.quantity,
            self.priority,
            self.occasion_id,
            self.scrape_status,
            self.scrape_error,
            self.created_at,
            self.updated_at,
            self.status,
            self.deleted_at,
            self.reveal_id,
            self.is_idea,
            self.added_by_id,
        ) = values[: len(GIFT_FIELDS)]
        self.piglist = piglist
        self.added_by = added_by
        self.group_gift: GroupGiftRow | None = None
        self.purchases: list[PurchaseRow] = []


# Core statements of the tables, built once (SQLAlchemy computes a statement's cache key once per
# statement object), run on the session's connection: the rows come straight from the cursor,
# without the ORM's loading machinery that selecting ORM attributes would still go through.
GIFTS, LISTS, USERS = Gift.__table__, Piglist.__table__, User.__table__
GROUP_GIFTS, PURCHASES, PLEDGES = GroupGift.__table__, Purchase.__table__, Pledge.__table__
ADDED_BY, ORGANISER = USERS.alias("added_by"), USERS.alias("organiser")

BUYERS, BOUGHT = USERS.alias("buyer"), PURCHASES.alias("bought")

# The gifts, each with its purchases in the relationship's order (piglist.models.Gift.purchases):
# a gift without any is one row, with n of them n rows, in one round trip. Purchases are not even
# read on the reader's own list (a member list is for its member, piglist.rules.surprise); which
# gifts' purchases a reader is given is is_recipient's decision, in member_list_gifts.
GIFT_ROWS = (
    select(
        *(GIFTS.c[name] for name in GIFT_FIELDS),
        LISTS.c.kind,
        LISTS.c.user_id,
        ADDED_BY.c.display_name,
        GROUP_GIFTS.c.id,
        GROUP_GIFTS.c.status,
        GROUP_GIFTS.c.organiser_id,
        ORGANISER.c.display_name,
        PURCHASES.c.id,
        PURCHASES.c.user_id,
        BUYERS.c.display_name,
        PURCHASES.c.quantity,
        PURCHASES.c.purchased_at,
    )
    .select_from(
        GIFTS.join(LISTS, LISTS.c.id == GIFTS.c.piglist_id)
        .outerjoin(ADDED_BY, ADDED_BY.c.id == GIFTS.c.added_by_id)
        .outerjoin(GROUP_GIFTS, GROUP_GIFTS.c.gift_id == GIFTS.c.id)
        .outerjoin(ORGANISER, ORGANISER.c.id == GROUP_GIFTS.c.organiser_id)
        .outerjoin(
            PURCHASES,
            (PURCHASES.c.gift_id == GIFTS.c.id) & (LISTS.c.user_id != bindparam("viewer_id")),
        )
        .outerjoin(BUYERS, BUYERS.c.id == PURCHASES.c.user_id)
    )
    .where(
        LISTS.c.group_id == bindparam("group_id"),
        LISTS.c.user_id.in_(bindparam("owners", expanding=True)),
        # A gift removed from its list stays there for those who had bought some of it.
        or_(
            GIFTS.c.deleted_at.is_(None),
            exists().where(BOUGHT.c.gift_id == GIFTS.c.id, BOUGHT.c.user_id == bindparam("viewer_id")),
        ),
    )
    .order_by(GIFTS.c.id, PURCHASES.c.purchased_at, PURCHASES.c.id)
)

# In the relationship's order (piglist.models.GroupGift.pledges).
PLEDGE_ROWS = (
    select(PLEDGES.c.group_gift_id, PLEDGES.c.user_id, USERS.c.display_name, PLEDGES.c.amount)
    .select_from(PLEDGES.outerjoin(USERS, USERS.c.id == PLEDGES.c.user_id))
    .where(PLEDGES.c.group_gift_id.in_(bindparam("group_gift_ids", expanding=True)))
    .order_by(PLEDGES.c.created_at, PLEDGES.c.id)
)


def member_list_gifts(group: Group, viewer: User, owners: Mapping[int, Any]) -> list[GiftRow]:
    """The gifts of the member lists of ``owners`` (their users by id, already read) in ``group``
    that are on their lists, or that ``viewer`` bought some of, with what the rules read of them.
    Their purchases and pledges are given only where ``viewer`` is not a recipient of the list."""
    if not owners:
        return []
    lists: dict[int, ListRow] = {}
    people: dict[int, Someone] = {}
    gifts: list[GiftRow] = []
    fields = len(GIFT_FIELDS)
    session = db.session()
    if session.autoflush:  # as the session's own execute would: pending changes are read too
        session.flush()
    gift: GiftRow | None = None
    given = False  # whether the viewer may be given the current gift's purchases
    for row in session.connection().execute(
        GIFT_ROWS, {"group_id": group.id, "owners": list(owners), "viewer_id": viewer.id}
    ):
        if gift is None or row[0] != gift.id:
            piglist = lists.get(row[1])
            if piglist is None:
                kind, user_id = row[fields], row[fields + 1]
                piglist = lists[row[1]] = ListRow(row[1], group.id, kind, user_id, owners.get(user_id))
            added_by_id = row[fields - 1]
            added_by = None
            if added_by_id is not None:
                added_by = people.get(added_by_id)
                if added_by is None:
                    added_by = people[added_by_id] = Someone(added_by_id, row[fields + 2])
            gift = GiftRow(row, piglist, added_by)
            if row[fields + 3] is not None:
                gift.group_gift = GroupGiftRow(
                    row[fields + 3], row[fields + 4], row[fields + 5], row[fields + 6]
                )
            gifts.append(gift)
            given = not is_recipient(viewer, cast(Piglist, piglist))
        if given and row[fields + 7] is not None:
            gift.purchases.append(PurchaseRow(*row[fields + 8 : fields + 12]))
    _add_pledges(
        g.group_gift
        for g in gifts
        if g.group_gift
        and g.group_gift.status != "cancelled"
        and not is_recipient(viewer, cast(Piglist, g.piglist))
    )
    return gifts


def _add_pledges(group_gifts: Iterable[GroupGiftRow]) -> None:
    by_id = {g.id: g for g in group_gifts}
    if not by_id:
        return
    for group_gift_id, user_id, name, amount in db.session.connection().execute(
        PLEDGE_ROWS, {"group_gift_ids": list(by_id)}
    ):
        by_id[group_gift_id].pledges.append(PledgeRow(user_id, name, amount))
