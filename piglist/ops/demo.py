"""The demo family: a living example for newcomers (``flask piglist demo``, and ``make run`` on an
empty database). Built through the same services as the pages, so it obeys every rule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from piglist.auth import accounts
from piglist.extensions import db
from piglist.gifts import buying, edits
from piglist.groups import categories, joining, lifecycle, members
from piglist.models import ADMIN, Group, User

PASSWORD = "Piglist-Demo-1"  # noqa: S105 - the demo logins are printed for anyone to use
DOMAIN = "demo.piglist.example"
GROUP_NAME = "The Demo Family"
PEOPLE = [("mum", "Mum"), ("dad", "Dad"), ("tom", "Tom"), ("lily", "Lily")]
CATEGORIES = [
    {"name": "From Mum & Dad", "spending_limit": "200", "max_item_price": "120"},
    {"name": "From Grandparents", "spending_limit": "100"},
    {"name": "Stocking fillers", "max_item_price": "20"},
]
# (owner, category index or None, title, price, options, bought by)
WISHES = [
    ("tom", 0, "LEGO Technic Race Car", "89.99", {"colour": "red"}, "dad"),
    ("tom", 0, "Football boots", "64.50", {"size": "UK 5"}, None),
    ("tom", 1, "Book: The Hobbit (illustrated)", "24.99", {}, "mum"),
    ("tom", 2, "Glow-in-the-dark yo-yo", "6.50", {}, None),
    ("lily", 0, "Watercolour paint set", "34.00", {}, "mum"),
    ("lily", 0, "Roller skates", "59.00", {"size": "EU 34", "colour": "mint"}, None),
    ("lily", 1, "Stuffed pig, very large", "42.00", {}, None),
    ("lily", 2, "Hair clips (sparkly)", "8.00", {}, "tom"),
    ("mum", None, "Linen apron", "38.00", {"colour": "sage"}, "lily"),
    ("mum", 2, "Fancy hand cream", "15.00", {}, None),
    ("dad", None, "Cast-iron pan", "49.95", {"size": "28 cm"}, None),
    ("dad", 2, "Hot sauce sampler", "19.00", {}, "tom"),
]

# Some wishes are most wanted, or wanted more than once (Tom buys one set of Lily's three).
EXTRAS: dict[str, dict[str, Any]] = {
    "LEGO Technic Race Car": {"priority": "high"},
    "Roller skates": {"priority": "high"},
    "Glow-in-the-dark yo-yo": {"priority": "low"},
    "Hair clips (sparkly)": {"quantity": 3},
}


@dataclass
class DemoResult:
    created: bool
    group: Group
    logins: list[tuple[str, str]]


def demo_email(handle: str) -> str:
    return f"{handle}@{DOMAIN}"


def has_users() -> bool:
    return db.session.scalar(select(User.id).limit(1)) is not None


def find_demo() -> DemoResult | None:
    """The demo family if it was created here (its group, and Mum's account, still exist)."""
    existing = db.session.scalar(select(Group).where(Group.name == GROUP_NAME))
    if existing is None or accounts.find_user_by_email(demo_email("mum")) is None:
        return None
    return DemoResult(False, existing, [(demo_email(handle), PASSWORD) for handle, _ in PEOPLE])


def seed_demo() -> DemoResult:
    """Create the demo family once; a second call finds it and changes nothing."""
    existing = find_demo()
    if existing is not None:
        return existing
    logins = [(demo_email(handle), PASSWORD) for handle, _ in PEOPLE]

    people = {handle: accounts.register(demo_email(handle), PASSWORD, name) for handle, name in PEOPLE}
    group = lifecycle.create_group(
        people["mum"], {"name": GROUP_NAME, "currency": "USD", "lock_date": _lock_date()}
    )
    for handle in ("dad", "tom", "lily"):
        joining.join_group(people[handle], group.invite_code)
    members.set_role(group, people["dad"].id, ADMIN)
    made = [categories.create_category(group, fields) for fields in CATEGORIES]

    for owner, category, title, price, options, bought_by in WISHES:
        gift = edits.add_gift(
            group.id,
            people[owner],
            {
                "title": title,
                "price": price,
                "options": options,
                "category_id": made[category].id if category is not None else None,
                "url": f"https://shop.example/{title.lower().replace(' ', '-').replace(':', '')}",
                "description": f"{people[owner].display_name} would love this.",
                **EXTRAS.get(title, {}),
            },
        )
        if bought_by:
            buying.purchase(gift.id, people[bought_by])
    return DemoResult(True, group, logins)


def _lock_date() -> str:
    """Christmas Eve of this year, or of next year once it has passed."""
    from piglist.models import today

    now = today()
    year = now.year if now <= now.replace(month=12, day=24) else now.year + 1
    return f"{year}-12-24"
