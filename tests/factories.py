"""Test factories: build rows directly, with sensible defaults; call inside an app context."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from piglist.extensions import db
from piglist.models import ApiToken, Category, Gift, Group, GroupMember, Piglist, Purchase, User, utcnow

PASSWORD = "Correct-Horse-9"
_sequence = itertools.count(1)


def _new_user(email: str | None, display_name: str | None, password: str) -> User:
    n = next(_sequence)
    user = User(email=email or f"user{n}@example.org", display_name=display_name or f"User {n}")
    user.set_password(password)
    db.session.add(user)
    return user


def make_user(email: str | None = None, display_name: str | None = None, password: str = PASSWORD) -> User:
    user = _new_user(email, display_name, password)
    db.session.commit()
    return user


def token_for(user: User, name: str = "tests") -> str:
    token, secret = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.commit()
    return secret


def _new_group(admin: User, *members: User, name: str, currency: str, **fields) -> Group:
    group = Group(name=name, currency=currency, **fields)
    db.session.add(group)
    db.session.add(GroupMember(group=group, user=admin, role="admin"))
    db.session.add(Piglist.for_member(group, admin))
    for member in members:
        db.session.add(GroupMember(group=group, user=member, role="member"))
        db.session.add(Piglist.for_member(group, member))
    return group


def make_group(
    admin: User, *members: User, name: str = "Smith Family", currency: str = "USD", **fields
) -> Group:
    group = _new_group(admin, *members, name=name, currency=currency, **fields)
    db.session.commit()
    return group


def add_member(group: Group, user: User, role: str = "member") -> GroupMember:
    member = GroupMember(group=group, user=user, role=role)
    db.session.add(member)
    db.session.add(Piglist.for_member(group, user))
    db.session.commit()
    return member


def make_category(group: Group, name: str = "From Parents", **fields) -> Category:
    category = Category(group=group, name=name, **fields)
    db.session.add(category)
    db.session.commit()
    return category


def make_gift(owner: User, group: Group, *, commit: bool = True, **fields) -> Gift:
    """A gift on ``owner``'s list. ``commit=False`` leaves it to the caller's one commit: many gifts
    made one commit each spend most of their time expiring and reloading every row made before."""
    piglist = db.session.scalar(
        select(Piglist).where(Piglist.group_id == group.id, Piglist.user_id == owner.id)
    )
    n = next(_sequence)
    fields.setdefault("title", f"Gift {n}")
    fields.setdefault("url", f"https://shop.example/item/{n}")
    if "price" in fields and fields["price"] is not None:
        fields["price"] = Decimal(str(fields["price"]))
        fields.setdefault("currency", group.currency)
    gift = Gift(piglist=piglist, **fields)
    db.session.add(gift)
    if commit:
        db.session.commit()
    return gift


def make_purchase(gift: Gift, buyer: User, quantity: int = 1) -> Purchase:
    """``buyer`` bought ``quantity`` of ``gift``: the purchases row, and the gift's summary of it."""
    purchase = Purchase(gift=gift, user_id=buyer.id, quantity=quantity, purchased_at=utcnow())
    db.session.add(purchase)
    if gift.purchased_by_id is None:
        gift.purchased_by_id, gift.purchased_at = buyer.id, purchase.purchased_at
    if sum(p.quantity for p in gift.purchases) >= gift.quantity:
        gift.status = "purchased"
    db.session.commit()
    return purchase


@dataclass
class Family:
    """Four people in one group: an admin, the list owner, and two givers."""

    admin: User
    owner: User
    giver: User
    other: User
    group: Group


def make_family() -> Family:
    """The same rows as four make_user and a make_group, in one transaction (one flush, one commit,
    not five): most tests start with a family."""
    admin, owner, giver, other = (_new_user(None, name, PASSWORD) for name in ("Mum", "Tom", "Dad", "Gran"))
    group = _new_group(admin, owner, giver, other, name="Smith Family", currency="USD")
    db.session.commit()
    return Family(admin, owner, giver, other, group)
