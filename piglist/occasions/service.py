"""Occasions themselves: creating, changing and listing them, which lists each concerns, and
what "today" is for each (its date is a day in the family's time zone).

Admins create, change and delete occasions; every member sees them. Dates run from one year
back to two years ahead. An occasion for every list (no ``list_ids``) also concerns the lists made
after it; one for a few lists names them, and they must be lists of its group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from sqlalchemy import exists, func, select

from ..errors import NotFound, PiglistError, ValidationFailed
from ..extensions import db
from ..groups.access import admin_group, member_group
from ..models import (
    MAX_ID,
    Group,
    GroupMember,
    Occasion,
    OccasionList,
    Piglist,
    Reveal,
    SentReminder,
    User,
    utcnow,
)
from ..rules.surprise import recipient_ids
from ..rules.values import clean_text, parse_date

NO_OCCASION = "No such occasion in this group."
TIME_ZONES = frozenset(available_timezones())
MAX_LISTS = 500  # more than any family has lists; bounds the work a single request can ask for


class OccasionRevealed(PiglistError):
    """Lists were revealed for it: deleting it would put their received gifts back."""

    code, status = "occasion_revealed", 409


def is_recipient(piglist: Piglist, user: User | int) -> bool:
    """Whether ``user`` is one of the people ``piglist`` is for: the one question occasions ask of
    the surprise rule (piglist.rules.surprise.recipient_ids)."""
    user_id = user if isinstance(user, int) else user.id
    return user_id in recipient_ids(piglist)


def today_in(time_zone: str, now: datetime | None = None) -> date:
    """The date it is now in ``time_zone``."""
    return (now or utcnow()).astimezone(ZoneInfo(time_zone)).date()


def clean_time_zone(value: Any) -> str:
    text = value if isinstance(value, str) else None
    if text is None or text.strip() not in TIME_ZONES:
        raise ValidationFailed(
            "The time zone must be a name like Europe/London or Pacific/Auckland.", "time_zone"
        )
    return text.strip()


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def clean_occasion_date(value: Any, time_zone: str) -> date:
    day = parse_date(value, "date", required=True)
    assert day is not None
    today = today_in(time_zone)
    if day < _years_from(today, -1) or day > _years_from(today, 2):
        raise ValidationFailed("The date must be between a year ago and two years from now.", "date")
    return day


def clean_list_ids(value: Any, group: Group) -> list[int] | None:
    """None for every list; else the ids, each a list of ``group``'s."""
    if value is None:
        return None
    if not isinstance(value, list) or any(
        isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_ID for v in value
    ):
        raise ValidationFailed("The lists must be a list of list ids, e.g. [12].", "list_ids")
    ids = sorted(set(value))
    if not ids:
        raise ValidationFailed("Choose at least one list, or leave the lists out for every list.", "list_ids")
    if len(ids) > MAX_LISTS:
        raise ValidationFailed(f"An occasion can name at most {MAX_LISTS} lists.", "list_ids")
    found = set(
        db.session.scalars(select(Piglist.id).where(Piglist.group_id == group.id, Piglist.id.in_(ids)))
    )
    if found != set(ids):
        raise ValidationFailed("Every list must be one of this group's lists.", "list_ids")
    return ids


@dataclass
class OccasionSettings:
    name: str
    date: date
    time_zone: str
    list_ids: list[int] | None


def _settings(group: Group, data: dict[str, Any], current: Occasion | None = None) -> OccasionSettings:
    """Every field checked before anything is saved; PATCH keeps what it doesn't name."""

    # "Given" is "in data", or everything when creating (no current): spelled out each time, so a
    # checker sees that the else branches have a current occasion.
    time_zone = (
        clean_time_zone(data.get("time_zone", "UTC"))
        if current is None or "time_zone" in data
        else current.time_zone
    )
    name = (
        clean_text(data.get("name"), "name", max_length=100)
        if current is None or "name" in data
        else current.name
    )
    if current is None or "date" in data or "time_zone" in data:
        day = clean_occasion_date(data.get("date", current and current.date), time_zone)
    else:
        day = current.date
    if current is None or "list_ids" in data:
        list_ids = clean_list_ids(data.get("list_ids"), group)
    else:
        list_ids = None if current.all_lists else [link.piglist_id for link in current.lists]
    assert name is not None
    return OccasionSettings(name, day, time_zone, list_ids)


def _apply(occasion: Occasion, settings: OccasionSettings) -> None:
    occasion.name, occasion.date, occasion.time_zone = settings.name, settings.date, settings.time_zone
    occasion.all_lists = settings.list_ids is None
    occasion.lists = [OccasionList(piglist_id=lid) for lid in settings.list_ids or []]


def create_occasion(group: Group, data: dict[str, Any]) -> Occasion:
    occasion = Occasion(group_id=group.id)
    _apply(occasion, _settings(group, data))
    db.session.add(occasion)
    db.session.commit()
    return occasion


def update_occasion(group: Group, occasion_id: Any, data: dict[str, Any]) -> Occasion:
    occasion = occasion_in(group, occasion_id)
    settings = _settings(group, data, occasion)
    # Replacing the links in one flush would insert a kept list's row before deleting its old one.
    occasion.lists = []
    db.session.flush()
    _apply(occasion, settings)
    db.session.commit()
    return occasion


def delete_occasion(group: Group, occasion_id: Any) -> None:
    occasion = occasion_in(group, occasion_id)
    if db.session.scalar(select(exists().where(Reveal.occasion_id == occasion.id))):
        raise OccasionRevealed(
            "Lists were revealed for this occasion; it stays, so their received gifts keep their place."
        )
    db.session.delete(occasion)
    db.session.commit()


def occasion_in(group: Group, occasion_id: Any) -> Occasion:
    occasion = db.session.get(Occasion, occasion_id) if isinstance(occasion_id, int) else None
    if occasion is None or occasion.group_id != group.id:
        raise NotFound(NO_OCCASION)
    return occasion


def member_occasion(occasion_id: int, user: User) -> tuple[Occasion, Group]:
    """An occasion of one of ``user``'s groups; NotFound for any other."""
    occasion = db.session.get(Occasion, occasion_id)
    if occasion is None:
        raise NotFound(NO_OCCASION)
    try:
        return occasion, member_group(occasion.group_id, user)
    except NotFound:
        raise NotFound(NO_OCCASION) from None


def admin_occasion(occasion_id: int, user: User) -> tuple[Occasion, Group]:
    occasion, _ = member_occasion(occasion_id, user)
    return occasion, admin_group(occasion.group_id, user)


def occasions_of(group: Group) -> list[Occasion]:
    return list(
        db.session.scalars(
            select(Occasion).where(Occasion.group_id == group.id).order_by(Occasion.date, Occasion.id)
        )
    )


def lists_of(occasion: Occasion) -> list[Piglist]:
    """The lists ``occasion`` concerns, in id order."""
    query = select(Piglist).where(Piglist.group_id == occasion.group_id).order_by(Piglist.id)
    if not occasion.all_lists:
        query = query.where(
            Piglist.id.in_(select(OccasionList.piglist_id).where(OccasionList.occasion_id == occasion.id))
        )
    return list(db.session.scalars(query))


def concerns(occasion: Occasion, piglist: Piglist) -> bool:
    if piglist.group_id != occasion.group_id:
        return False
    return occasion.all_lists or any(link.piglist_id == piglist.id for link in occasion.lists)


def check_gift_occasion(piglist: Piglist, occasion_id: int | None) -> None:
    """A gift may be tagged for an occasion of its list (or for none)."""
    if occasion_id is None:
        return
    occasion = db.session.get(Occasion, occasion_id)
    if occasion is None or not concerns(occasion, piglist):
        raise ValidationFailed("Choose one of this list's occasions, or none.", "occasion_id")


def occasion_choices(group: Group, user: User) -> list[tuple[int, str]]:
    """(id, label) of the group's occasions a list of ``user``'s concerns: what their gifts may be
    tagged for on the add and edit forms."""
    own = [
        p
        for p in db.session.scalars(select(Piglist).where(Piglist.group_id == group.id))
        if is_recipient(p, user)
    ]
    return [
        (o.id, f"{o.name} ({o.date:%-d %b %Y})")
        for o in occasions_of(group)
        if any(concerns(o, piglist) for piglist in own)
    ]


def days_left(occasion: Occasion, now: datetime | None = None) -> int:
    return (occasion.date - today_in(occasion.time_zone, now)).days


def has_passed(occasion: Occasion, now: datetime | None = None) -> bool:
    """From the day after its date, in its time zone."""
    return days_left(occasion, now) < 0


def occasion_json(occasion: Occasion) -> dict[str, Any]:
    return {
        "id": occasion.id,
        "group_id": occasion.group_id,
        "name": occasion.name,
        "date": occasion.date,
        "time_zone": occasion.time_zone,
        "all_lists": occasion.all_lists,
        "list_ids": [p.id for p in lists_of(occasion)],
        "days_left": days_left(occasion),
    }


def upcoming_for(user: User, group: Group | None = None) -> list[tuple[Occasion, int]]:
    """The occasions still to come in ``user``'s groups (or in ``group``), soonest first, each with
    its days left (0 on the day)."""
    query = (
        select(Occasion)
        .join(GroupMember, GroupMember.group_id == Occasion.group_id)
        .where(GroupMember.user_id == user.id)
        # A day's margin either side of UTC's date: each occasion's own zone decides below.
        .where(Occasion.date >= date.fromordinal(utcnow().date().toordinal() - 1))
        .order_by(Occasion.date, Occasion.id)
    )
    if group is not None:
        query = query.where(Occasion.group_id == group.id)
    found = [(o, days_left(o)) for o in db.session.scalars(query)]
    return [(o, left) for o, left in found if left >= 0]


def occasion_counts() -> dict[str, int]:
    """Site-wide counts for operators (``flask piglist stats``): no names, no dates."""
    occasions = db.session.scalars(select(Occasion)).all()
    upcoming = sum(1 for o in occasions if days_left(o) >= 0)
    return {
        "occasions": len(occasions),
        "upcoming": upcoming,
        "past": len(occasions) - upcoming,
        "reveals": db.session.scalar(select(func.count()).select_from(Reveal)) or 0,
        "reminders_sent": db.session.scalar(select(func.count()).select_from(SentReminder)) or 0,
    }
