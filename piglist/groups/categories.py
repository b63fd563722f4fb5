"""A group's categories: their names (unique in the group, whatever the case), order and limits.

Locked groups keep their categories as they are; changed limits must still hold for the gifts
already in the category (piglist.rules.limits). A deleted category's gifts stay, uncategorised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from piglist.stores.rowlocks import lock_row

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Category, Group
from ..rules.limits import check_limits_hold
from ..rules.lock import ensure_unlocked
from ..rules.values import clean_text, parse_int, parse_money


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
