"""A group's life: creating it, its settings (name, lock date, currency), unlocking it, deleting it.

Its admins do all of it (the caller checks the role with piglist.groups.access); a currency
change must keep every category's limits holding, as prices are never converted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from piglist.groups import notices
from piglist.stores.rowlocks import lock_row

from ..errors import ValidationFailed
from ..extensions import db
from ..models import ADMIN, Category, Group, GroupMember, Piglist, User, today
from ..rules.limits import check_convertible, first_breach
from ..rules.values import clean_text, parse_bool, parse_currency, parse_date


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
