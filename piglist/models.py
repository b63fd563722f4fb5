"""The database: every table of the SPEC, with the domain methods that belong to a single row.

Rules that span rows (the surprise, the spending limits, the lock) live in ``piglist.rules``,
never here or in routes.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, backref, mapped_column, query_expression, relationship
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import Base, db

if TYPE_CHECKING:
    # Flask-SQLAlchemy makes db.Model at run time from Base; checkers see the Base it extends.
    Model = Base
else:
    Model = db.Model


def utcnow() -> datetime:
    return datetime.now(UTC)


def one_of(column: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's text: ``column`` holds one of ``values`` (the constants below)."""
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def today() -> date:
    return utcnow().date()


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use piglist.models.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


Money = Numeric(12, 2, asdecimal=True)
JSONDocument = JSON().with_variant(JSONB(), "postgresql")

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of every primary key
ADMIN, MEMBER = "admin", "member"  # a group member's roles
ROLES = (ADMIN, MEMBER)
SCRAPE_STATUSES = ("pending", "success", "failed", "manual")
GIFT_STATUSES = ("available", "purchased")
PRIORITIES = ("high", "normal", "low")
MAX_QUANTITY = 99
LIST_KINDS = ("member", "shared", "dependant")
LIST_STATUSES = ("active", "pending", "deleted")


def hash_token(token: str) -> str:
    """API tokens carry 256 bits of randomness, so a plain SHA-256 is as good as a slow hash here."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Mail me when the owner changes or removes a gift I bought (piglist.gifts.alerts).
    purchase_alerts: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    # Mail me 21 and 7 days before my groups' occasions (piglist.occasions.reminders).
    reminders: Mapped[bool] = mapped_column(default=True, server_default=text("true"))

    memberships: Mapped[list[GroupMember]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    # The secret of the login this request rides on (see UserSession); never stored as such.
    # Not a column: the ORM reads class annotations, so only a checker sees this one's.
    if TYPE_CHECKING:
        login_key: str | None
    else:
        login_key = None

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config["PASSWORD_HASH_METHOD"]
        )

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember cookie: ``<id>.<login key>``,
        so a cookie is only as good as its row in ``user_sessions``."""
        if self.login_key is None:
            raise RuntimeError("no login started for this user (auth.accounts.start_login)")
        return f"{self.id}.{self.login_key}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "email": self.email, "display_name": self.display_name}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


# E-mail addresses are unique whatever their case; lookups use the same lower() expression.
Index("uq_users_email_lower", func.lower(User.email), unique=True)


class UserSession(Model):
    """One logged-in browser. The cookie carries the key; the database keeps its hash, so logging
    out (or out everywhere) ends the session for every copy of the cookie, and a Redis outage
    ends nothing."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    @classmethod
    def start(cls, user: User) -> tuple[UserSession, str]:
        key = secrets.token_urlsafe(32)
        return cls(user=user, key_hash=hash_token(key)), key


class ApiToken(Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so a person can tell their tokens apart without the secret being kept.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, user: User, name: str) -> tuple[ApiToken, str]:
        """A new token row and the secret, which is shown once and never stored."""
        secret = "pgl_" + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10])
        return token, secret

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
        }


class Group(Model):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    invite_code: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: Group.new_invite_code())
    lock_date: Mapped[date | None] = mapped_column(Date)
    is_locked: Mapped[bool] = mapped_column(default=False)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved by the database's triggers (migration 0007) whenever the group, its members, their
    # names or its categories change: piglist.gifts.listcache keys every rendered list on it.
    version: Mapped[int] = mapped_column(default=0, server_default="0")

    members: Mapped[list[GroupMember]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )
    categories: Mapped[list[Category]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Category.display_order, Category.id)",
    )
    piglists: Mapped[list[Piglist]] = relationship(
        back_populates="group", cascade="all, delete-orphan", passive_deletes=True
    )

    @staticmethod
    def new_invite_code() -> str:
        return secrets.token_urlsafe(24)  # 192 bits

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "invite_code": self.invite_code,
            "lock_date": self.lock_date,
            "is_locked": self.is_locked,
            "currency": self.currency,
            "created_at": self.created_at,
        }

    def __repr__(self) -> str:
        return f"<Group {self.id} {self.name!r}>"


class GroupMember(Model):
    __tablename__ = "group_members"
    __table_args__ = (CheckConstraint(one_of("role", ROLES), name="role"),)

    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10), default=MEMBER)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="memberships")
    # The member's own list's ``version`` and ``purchase_version`` (Piglist), read in the same
    # query as the membership by the queries that ask for them (piglist.gifts.reading.GROUP_MEMBERS,
    # for the lists' cache's keys); None elsewhere.
    list_version: Mapped[int | None] = query_expression()
    list_purchase_version: Mapped[int | None] = query_expression()

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.user_id,
            "display_name": self.user.display_name,
            "role": self.role,
            "joined_at": self.joined_at,
        }


class Category(Model):
    __tablename__ = "categories"
    __table_args__ = (
        UniqueConstraint("group_id", "name"),
        CheckConstraint("spending_limit >= 0", name="spending_limit_not_negative"),
        CheckConstraint("max_item_price >= 0", name="max_item_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    spending_limit: Mapped[Decimal | None] = mapped_column(Money)
    max_item_price: Mapped[Decimal | None] = mapped_column(Money)
    display_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship(back_populates="categories")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "group_id": self.group_id,
            "name": self.name,
            "spending_limit": self.spending_limit,
            "max_item_price": self.max_item_price,
            "display_order": self.display_order,
        }


class Piglist(Model):
    """A list of wishes: a member's own (``user_id`` is that member), a couple's shared list or a
    dependant's (no ``user_id``; who it is for and who keeps it are in list_recipients and
    list_managers, see the lists section below)."""

    __tablename__ = "piglists"
    __table_args__ = (
        # A member list per member and group; the other kinds have no user_id (NULLs never clash).
        UniqueConstraint("group_id", "user_id"),
        CheckConstraint(one_of("kind", LIST_KINDS), name="kind"),
        CheckConstraint(one_of("status", LIST_STATUSES), name="status"),
        CheckConstraint("(kind = 'member') = (user_id IS NOT NULL)", name="member_has_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="member", server_default="member")
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    # A dependant's name (they have no account); None for the other kinds.
    name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moved by the database's triggers (migration 0007): ``version`` when a gift changes as its
    # owner sees it, ``purchase_version`` when its purchases change. Never set them by hand.
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    purchase_version: Mapped[int] = mapped_column(default=0, server_default="0")

    group: Mapped[Group] = relationship(back_populates="piglists")
    owner: Mapped[User | None] = relationship()
    recipients: Mapped[list[User]] = relationship(
        secondary="list_recipients", order_by="User.id", viewonly=True
    )
    managers: Mapped[list[User]] = relationship(secondary="list_managers", order_by="User.id", viewonly=True)
    recipient_links: Mapped[list[ListRecipient]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    manager_links: Mapped[list[ListManager]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @classmethod
    def for_member(cls, group: Group, user: User) -> Piglist:
        """A member's own list, made when they join: they are its recipient and its manager."""
        return cls(
            group=group,
            owner=user,
            kind="member",
            recipient_links=[ListRecipient(user=user)],
            manager_links=[ListManager(user=user)],
        )

    @property
    def title(self) -> str:
        """Who the list is for, as people read it: "Tom", "Anna & Ben", "Lily"."""
        if self.kind == "dependant":
            return self.name or ""
        if self.kind == "member" and self.owner is not None:
            return self.owner.display_name
        return " & ".join(user.display_name for user in self.recipients)

    @property
    def manager_ids(self) -> frozenset[int]:
        if self.kind == "member":
            return frozenset() if self.user_id is None else frozenset({self.user_id})
        return frozenset(user.id for user in self.managers)

    gifts: Mapped[list[Gift]] = relationship(
        back_populates="piglist", cascade="all, delete-orphan", passive_deletes=True
    )


class Bought:
    """What a gift's status and purchases say, for the model and for the lists' rows
    (piglist.gifts.rows) alike: the rules read both the same way."""

    __slots__ = ()
    status: str
    purchases: Any

    @property
    def is_purchased(self) -> bool:
        return self.status == "purchased"

    @property
    def purchased_quantity(self) -> int:
        return sum(p.quantity for p in self.purchases)

    def bought_by(self, user_id: int) -> bool:
        return any(p.user_id == user_id for p in self.purchases)


class Gift(Bought, Model):
    __tablename__ = "gifts"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("regular_price >= 0", name="regular_price_not_negative"),
        CheckConstraint(one_of("status", GIFT_STATUSES), name="status"),
        CheckConstraint(one_of("scrape_status", SCRAPE_STATUSES), name="scrape_status"),
        CheckConstraint(f"quantity BETWEEN 1 AND {MAX_QUANTITY}", name="quantity"),
        CheckConstraint(one_of("priority", PRIORITIES), name="priority"),
        # The same URL twice among one list's wishes is a duplicate, unless the first was deleted.
        # Ideas are left out: a recipient's wish must never clash with an idea they can't see.
        Index(
            "uq_gifts_piglist_id_url_live",
            "piglist_id",
            "url",
            unique=True,
            postgresql_where=text("deleted_at IS NULL AND url IS NOT NULL AND NOT is_idea"),
            sqlite_where=text("deleted_at IS NULL AND url IS NOT NULL AND NOT is_idea"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    piglist_id: Mapped[int] = mapped_column(ForeignKey("piglists.id", ondelete="CASCADE"), index=True)
    if TYPE_CHECKING:  # GroupGift's backref makes it at run time
        group_gift: GroupGift | None
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str | None] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    price: Mapped[Decimal | None] = mapped_column(Money)
    # The shop's price before a discount, as the scraper found it beside the price; shop data
    # like the title, shown struck through on the tile.
    regular_price: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    # Only ever a picture Piglist serves itself (/images/<key>): no member's browser contacts a shop.
    image_url: Mapped[str | None] = mapped_column(String(2048))
    # The picture link the owner pasted or the scraper found, until the worker has fetched it into
    # the picture store (piglist.gifts.pictures); kept after a failure, for `rescrape --images`.
    image_source: Mapped[str | None] = mapped_column(String(2048))
    quantity: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    priority: Mapped[str] = mapped_column(String(6), default="normal", server_default="normal")
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    scrape_status: Mapped[str] = mapped_column(String(10), default="manual")
    scrape_error: Mapped[str | None] = mapped_column(String(255))
    # "purchased" once the purchases add up to the quantity. purchased_by/purchased_at are the
    # first purchase's, for clients of the first release; the purchases table is the record.
    status: Mapped[str] = mapped_column(String(10), default="available")
    purchased_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    purchased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by hand on the owner's edits and on scrapes only: a purchase must never move it, or the
    # owner could read a purchase off the timestamp.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Occasions (piglist.occasions): the one a gift is wished for, and the reveal that moved it,
    # bought, off the active list to "Received" (with its recipients' "thanked" tick).
    occasion_id: Mapped[int | None] = mapped_column(
        ForeignKey("occasions.id", ondelete="SET NULL"), index=True
    )
    reveal_id: Mapped[int | None] = mapped_column(ForeignKey("reveals.id", ondelete="SET NULL"), index=True)
    thanked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Who added it; an idea (SPEC 10.2) is a gift added by someone the list is not for and who
    # doesn't keep it: its recipients never learn of it (piglist.rules.surprise).
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    is_idea: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    piglist: Mapped[Piglist] = relationship(back_populates="gifts")
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])
    category: Mapped[Category | None] = relationship()
    purchased_by: Mapped[User | None] = relationship(foreign_keys=[purchased_by_id])
    purchases: Mapped[list[Purchase]] = relationship(
        back_populates="gift",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Purchase.purchased_at, Purchase.id)",
    )

    def __repr__(self) -> str:
        return f"<Gift {self.id} {self.title!r}>"


class PurchaseAlert(Model):
    """A purchaser to tell about a gift's changes: one row per purchaser and gift, holding the
    gift as it was before the first change, sent when ``due_at`` comes (piglist.gifts.alerts)."""

    __tablename__ = "purchase_alerts"
    __table_args__ = (UniqueConstraint("user_id", "gift_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    gift_id: Mapped[int] = mapped_column(ForeignKey("gifts.id", ondelete="CASCADE"), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Where links in the mail point: the site's address as the owner's request saw it.
    base_url: Mapped[str] = mapped_column(String(2048))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Notice(Model):
    """A message for one person's dashboard about something done to them by someone else (their
    group was deleted), kept until they dismiss it."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "message": self.message, "created_at": self.created_at}


class Purchase(Model):
    """One member's part of a gift: several members can each buy some of a gift's quantity. A member
    who buys again adds to their row. An erased account's purchases stay, without a name."""

    __tablename__ = "purchases"
    __table_args__ = (
        UniqueConstraint("gift_id", "user_id"),
        # 0 for a pledger of a gift bought together whose part is money, not one of the gift
        # (the group gift's holder has the 1): migration 0009.
        CheckConstraint(f"quantity BETWEEN 0 AND {MAX_QUANTITY}", name="quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(ForeignKey("gifts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    purchased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    gift: Mapped[Gift] = relationship(back_populates="purchases")
    user: Mapped[User | None] = relationship()


class Picture(Model):
    """A picture Piglist serves itself, re-encoded, keyed by the hash of its bytes (so the same
    picture is stored once). ``data`` is empty when IMAGE_STORE keeps the bytes in a directory."""

    __tablename__ = "pictures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(30))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Lists: who a list is for, who keeps it (SPEC 10.1, issue 24) ----------------------------


class ListRecipient(Model):
    """A person a list is for. A member list's is its member; a shared list's are both partners
    (the invited one from the start, so nothing reaches them before they accept); a dependant
    has no account, so their list has none. piglist.rules.surprise reads who they are."""

    __tablename__ = "list_recipients"

    list_id: Mapped[int] = mapped_column(ForeignKey("piglists.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    user: Mapped[User] = relationship()


class ListManager(Model):
    """A member who edits a list's wishes: a member list's member, a shared list's partners once
    the invited one accepts, a dependant's parents (at least one)."""

    __tablename__ = "list_managers"

    list_id: Mapped[int] = mapped_column(ForeignKey("piglists.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    user: Mapped[User] = relationship()


# --- Group gifts (chipping in, SPEC §10.3) -------------------------------------------------------

GROUP_GIFT_STATUSES = ("open", "bought", "cancelled")


class GroupGift(Model):
    """Several members chipping in for one of a gift: its organiser and its state. One row per gift,
    reopened when a cancelled one is started again. What the pledges add up to is always counted
    from the pledges, under the gift's row lock (piglist.gifts.group_gifts)."""

    __tablename__ = "group_gifts"
    __table_args__ = (CheckConstraint(one_of("status", GROUP_GIFT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(ForeignKey("gifts.id", ondelete="CASCADE"), unique=True)
    organiser_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whose purchases row holds the one of the gift bought together (the organiser's when they
    # pledged, else the biggest pledger's), so undoing it takes back exactly that.
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    gift: Mapped[Gift] = relationship(
        backref=backref("group_gift", uselist=False, cascade="all, delete-orphan", passive_deletes=True)
    )
    organiser: Mapped[User | None] = relationship(foreign_keys=[organiser_id])
    pledges: Mapped[list[Pledge]] = relationship(
        back_populates="group_gift",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Pledge.created_at, Pledge.id)",
    )

    @property
    def pledged(self) -> Decimal:
        return sum((p.amount for p in self.pledges), Decimal("0.00"))


class Pledge(Model):
    """One member's promise toward a group gift. Piglist records promises; no money passes through it."""

    __tablename__ = "pledges"
    __table_args__ = (
        UniqueConstraint("group_gift_id", "user_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_gift_id: Mapped[int] = mapped_column(ForeignKey("group_gifts.id", ondelete="CASCADE"))
    # None once the pledger erased their account: kept on a gift bought together, as their
    # purchase is ("a former member"); an open group gift loses it when they leave (migration 0015).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group_gift: Mapped[GroupGift] = relationship(back_populates="pledges")
    user: Mapped[User | None] = relationship()


# --- Occasions: dates, reminders, calendar feeds and reveals (piglist.occasions) -----------------


class Occasion(Model):
    """A day the group gives on: Christmas for every list, a birthday for one. ``date`` is a day
    in ``time_zone``, the family's, which decides when reminders are due and when it has passed."""

    __tablename__ = "occasions"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    date: Mapped[date] = mapped_column(Date, index=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # Every list of the group, those made later too; otherwise the lists in occasion_lists.
    all_lists: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    group: Mapped[Group] = relationship()
    lists: Mapped[list[OccasionList]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="OccasionList.piglist_id"
    )


class OccasionList(Model):
    __tablename__ = "occasion_lists"

    occasion_id: Mapped[int] = mapped_column(ForeignKey("occasions.id", ondelete="CASCADE"), primary_key=True)
    piglist_id: Mapped[int] = mapped_column(
        ForeignKey("piglists.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SentReminder(Model):
    """A reminder mail claimed for one person, occasion and stage (21 or 7 days before): the key
    is unique, so whichever process inserts it first sends it, once, across restarts."""

    __tablename__ = "sent_reminders"

    occasion_id: Mapped[int] = mapped_column(ForeignKey("occasions.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarFeed(Model):
    """A person's private calendar address: the secret is in the URL, only its hash is kept, and
    a new one replaces the old."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reveal(Model):
    """A recipient opened their list's surprise for an occasion that has passed: the gifts bought
    by then moved off the active list (``Gift.reveal_id``). Final, one per list and occasion."""

    __tablename__ = "reveals"
    __table_args__ = (UniqueConstraint("occasion_id", "piglist_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occasion_id: Mapped[int] = mapped_column(ForeignKey("occasions.id", ondelete="CASCADE"))
    piglist_id: Mapped[int] = mapped_column(ForeignKey("piglists.id", ondelete="CASCADE"), index=True)
    revealed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    occasion: Mapped[Occasion] = relationship()
    piglist: Mapped[Piglist] = relationship()


# --- Secret Santa (issue 26, SPEC §10.5): exchanges, their draws and anonymous questions -------

EXCHANGE_STATUSES = ("open", "drawn")


class Exchange(Model):
    """A name draw in a group. Who drew whom lives on the participants' rows; what anyone may read
    of it is decided by piglist.santa.secrecy alone."""

    __tablename__ = "exchanges"
    __table_args__ = (
        CheckConstraint(one_of("status", EXCHANGE_STATUSES), name="status"),
        CheckConstraint("budget >= 0", name="budget_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="open")
    avoid_previous: Mapped[bool] = mapped_column(default=False)
    budget: Mapped[Decimal | None] = mapped_column(Money)
    reveal_date: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    group: Mapped[Group] = relationship()
    participants: Mapped[list[ExchangeParticipant]] = relationship(
        back_populates="exchange",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ExchangeParticipant.user_id",
    )
    exclusions: Mapped[list[ExchangeExclusion]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ExchangeExclusion.first_id"
    )


class ExchangeParticipant(Model):
    """One person in an exchange, and (once drawn) whom they give to; ``opened_at`` is when they
    first read it, after which the draw can't be made again."""

    __tablename__ = "exchange_participants"
    # Each person is drawn once per exchange (NULLs, before the draw, don't collide).
    __table_args__ = (UniqueConstraint("exchange_id", "recipient_id"),)

    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    exchange: Mapped[Exchange] = relationship(back_populates="participants")
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recipient: Mapped[User | None] = relationship(foreign_keys=[recipient_id])


class ExchangeExclusion(Model):
    """Two participants who must not draw each other (a couple), either way round; stored with the
    smaller id first so a pair is kept once."""

    __tablename__ = "exchange_exclusions"
    __table_args__ = (CheckConstraint("first_id < second_id", name="ordered"),)

    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True)
    first_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    second_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class ExchangeMessage(Model):
    """A line in the anonymous thread between a Santa and their recipient. The thread is named by
    both, so answers find their way back; only piglist.santa.secrecy turns it into what each
    side may read (the recipient never learns ``santa_id``)."""

    __tablename__ = "exchange_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"), index=True)
    santa_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    from_santa: Mapped[bool] = mapped_column()
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- Idempotency keys (SPEC §10.8, issue 22): piglist.web.idempotency -------------------------


class IdempotentRequest(Model):
    """A request that buys, pledges or adds, made with an ``Idempotency-Key``: written in the same
    transaction as what it changed, with its answer once it has one, kept 24 hours."""

    __tablename__ = "idempotent_requests"

    # sha256 of (user, method, path, key): the same key on another path is another request.
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # sha256 of the request's body
    status: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


# --- Exchange rates (SPEC §10.6, issue 28): piglist.stores.fx -------------------------------


class FxRate(Model):
    """The European Central Bank's latest reference rate of one currency: how many units of it one
    euro buys (the euro itself is 1 and not stored). Every process reads the same rates."""

    __tablename__ = "fx_rates"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    per_euro: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    rates_date: Mapped[date] = mapped_column(Date)  # the ECB's day the rate is for
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
