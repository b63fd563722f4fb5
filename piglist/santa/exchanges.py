"""Exchanges: an admin sets one up and draws it; each participant opens their own assignment.

Who may do what is decided here, once, for pages and API: anyone outside the exchange's group
gets ``NotFound`` (its existence isn't confirmed), a member without the admin role ``Forbidden``
for setting up and drawing. Drawing takes the exchange's row lock, so two admins pressing
"Draw" at once make one draw, and a redraw is refused once anyone has read theirs.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from piglist.stores.rowlocks import lock_row

from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..groups import access
from ..models import (
    Exchange,
    ExchangeExclusion,
    ExchangeParticipant,
    Group,
    GroupMember,
    User,
    utcnow,
)
from ..rules.values import clean_text, parse_bool, parse_date, parse_int, parse_money
from . import draw as drawing
from . import mails
from .errors import AlreadyDrawn, AlreadyOpened, NoValidDraw

NO_EXCHANGE = "No such exchange (or you're not in its group)."
MIN_PARTICIPANTS = 3
MAX_PARTICIPANTS = 200


# --- access ---------------------------------------------------------------------------


def member_exchange(exchange_id: int, user: User) -> tuple[Exchange, GroupMember]:
    """The exchange and the caller's membership of its group; NotFound for anyone outside it."""
    exchange = db.session.get(
        Exchange,
        exchange_id,
        options=[selectinload(Exchange.participants).joinedload(ExchangeParticipant.user)],
    )
    if exchange is None:
        raise NotFound(NO_EXCHANGE)
    member = db.session.get(GroupMember, (exchange.group_id, user.id))
    if member is None:
        raise NotFound(NO_EXCHANGE)
    return exchange, member


def admin_exchange(exchange_id: int, user: User) -> Exchange:
    exchange, _ = member_exchange(exchange_id, user)
    access.admin_group(exchange.group_id, user)
    return exchange


def group_exchanges(group: Group) -> list[Exchange]:
    return list(
        db.session.scalars(
            select(Exchange)
            .where(Exchange.group_id == group.id)
            .options(selectinload(Exchange.participants).joinedload(ExchangeParticipant.user))
            .order_by(Exchange.created_at.desc(), Exchange.id.desc())
        )
    )


def participation(exchange: Exchange, user: User) -> ExchangeParticipant | None:
    return next((p for p in exchange.participants if p.user_id == user.id), None)


def user_exchanges(user: User) -> list[tuple[Exchange, ExchangeParticipant]]:
    """The exchanges ``user`` takes part in, newest first, for the dashboard."""
    rows = db.session.execute(
        select(Exchange, ExchangeParticipant)
        .join(ExchangeParticipant, ExchangeParticipant.exchange_id == Exchange.id)
        .join(GroupMember, (GroupMember.group_id == Exchange.group_id) & (GroupMember.user_id == user.id))
        .where(ExchangeParticipant.user_id == user.id)
        .options(selectinload(Exchange.group))
        .order_by(Exchange.created_at.desc(), Exchange.id.desc())
    ).all()
    return [(exchange, mine) for exchange, mine in rows]


# --- setting one up -------------------------------------------------------------------


@dataclass
class Setup:
    name: str
    participant_ids: list[int]
    exclusions: set[tuple[int, int]]
    avoid_previous: bool
    budget: Decimal | None
    reveal_date: date | None


def _id_list(value: Any, field: str) -> list[int]:
    if not isinstance(value, list):
        raise ValidationFailed(f"{field.replace('_', ' ').capitalize()} must be a list of member ids.", field)
    if len(value) > MAX_PARTICIPANTS:
        raise ValidationFailed(f"At most {MAX_PARTICIPANTS} people can take part in one exchange.", field)
    ids = [parse_int(item, field, required=True, minimum=1) for item in value]
    return list(dict.fromkeys(i for i in ids if i is not None))


def parse_setup(group: Group, data: Mapping[str, Any]) -> Setup:
    name = clean_text(data.get("name"), "name", max_length=100)
    people = _id_list(data.get("participant_ids"), "participant_ids")
    if len(people) < MIN_PARTICIPANTS:
        raise ValidationFailed(
            f"A draw needs at least {MIN_PARTICIPANTS} people: pick them among the members.",
            "participant_ids",
        )
    members = set(
        db.session.scalars(
            select(GroupMember.user_id).where(
                GroupMember.group_id == group.id, GroupMember.user_id.in_(people)
            )
        )
    )
    if len(members) != len(people):
        raise ValidationFailed("Every participant must be a member of this group.", "participant_ids")
    raw = data.get("exclusions", [])
    if raw is None:
        raw = []
    if not isinstance(raw, list) or len(raw) > MAX_PARTICIPANTS * MAX_PARTICIPANTS:
        raise ValidationFailed("Exclusions must be a list of pairs of participant ids.", "exclusions")
    exclusions: set[tuple[int, int]] = set()
    for pair in raw:
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValidationFailed(
                "Each exclusion must be a pair of participant ids, like [3, 7].", "exclusions"
            )
        first, second = (parse_int(item, "exclusions", required=True, minimum=1) for item in pair)
        if first not in members or second not in members:
            raise ValidationFailed("Each exclusion must name two of the participants.", "exclusions")
        if first == second:
            raise ValidationFailed("An exclusion names two different people.", "exclusions")
        exclusions.add((min(first, second), max(first, second)))  # type: ignore[type-var]
    avoid = data.get("avoid_previous", False)
    return Setup(
        name=name or "",
        participant_ids=people,
        exclusions=exclusions,
        avoid_previous=parse_bool(avoid, "avoid_previous") if avoid is not None else False,
        budget=parse_money(data.get("budget"), "budget"),
        reveal_date=parse_date(data.get("reveal_date"), "reveal_date"),
    )


def create_exchange(group: Group, admin: User, data: Mapping[str, Any]) -> Exchange:
    setup = parse_setup(group, data)
    exchange = Exchange(
        group_id=group.id,
        name=setup.name,
        avoid_previous=setup.avoid_previous,
        budget=setup.budget,
        reveal_date=setup.reveal_date,
        created_by_id=admin.id,
        status="open",
    )
    exchange.participants = [ExchangeParticipant(user_id=uid) for uid in setup.participant_ids]
    exchange.exclusions = [ExchangeExclusion(first_id=a, second_id=b) for a, b in sorted(setup.exclusions)]
    db.session.add(exchange)
    db.session.commit()
    return exchange


# --- the draw -------------------------------------------------------------------------


def previous_pairs(exchange: Exchange) -> dict[int, int]:
    """Who gave to whom in the group's previous drawn exchange (the newest drawn one before this)."""
    previous = db.session.scalar(
        select(Exchange)
        .where(
            Exchange.group_id == exchange.group_id,
            Exchange.id != exchange.id,
            Exchange.status == "drawn",
            Exchange.created_at <= exchange.created_at,
        )
        .order_by(Exchange.drawn_at.desc(), Exchange.id.desc())
        .limit(1)
    )
    if previous is None:
        return {}
    return {p.user_id: p.recipient_id for p in previous.participants if p.recipient_id is not None}


def rules_of(exchange: Exchange) -> drawing.Rules:
    return drawing.Rules(
        people=tuple(p.user_id for p in exchange.participants),
        excluded=frozenset(frozenset((e.first_id, e.second_id)) for e in exchange.exclusions),
        previous=previous_pairs(exchange) if exchange.avoid_previous else {},
    )


def impossible_message(exchange: Exchange, exc: drawing.Impossible) -> str:
    names = {p.user_id: p.user.display_name for p in exchange.participants}
    if exc.rule == "exclusions":
        sentence = "The exclusions leave no way to draw: "
        reason = "with these pairs kept apart, someone would have to draw themselves or an excluded partner."
    else:
        sentence = "Avoiding last exchange's pairs leaves no way to draw: "
        reason = (
            "everyone would have to give to someone they had last time. Turn “avoid last time's pairs” off."
        )
    if exc.stuck is not None:
        return sentence + f"{names.get(exc.stuck, 'someone')} would have nobody left to draw."
    return sentence + reason


def draw_exchange(
    exchange_id: int, admin: User, *, redraw: bool = False, rng: random.Random | None = None
) -> Exchange:
    """Draw the names (again, with ``redraw``, while nobody has opened theirs). The exchange's row
    stays locked until the commit: simultaneous draws queue up, and the later ones find it drawn."""
    admin_exchange(exchange_id, admin)
    exchange = lock_row(Exchange, exchange_id)
    if exchange is None:
        raise NotFound(NO_EXCHANGE)
    db.session.refresh(exchange, ["participants", "exclusions"])
    if exchange.status == "drawn":
        if not redraw:
            raise AlreadyDrawn("The names are already drawn. To draw them again, ask for a redraw.")
        if any(p.opened_at is not None for p in exchange.participants):
            raise AlreadyOpened("Someone has already opened their name, so the draw can't be made again.")
    try:
        pairs = drawing.draw(rules_of(exchange), rng)
    except drawing.Impossible as exc:
        db.session.rollback()
        raise NoValidDraw(impossible_message(exchange, exc), exc.rule) from None
    # Cleared first: the unique (exchange, recipient) pair must hold after every statement.
    for participant in exchange.participants:
        participant.recipient_id = None
    db.session.flush()
    for participant in exchange.participants:
        participant.recipient_id = pairs[participant.user_id]
    exchange.status = "drawn"
    exchange.drawn_at = utcnow()
    db.session.commit()
    mails.queue_draw_mails(exchange)
    return exchange


def open_assignment(exchange: Exchange, user: User) -> ExchangeParticipant | None:
    """The caller's own participation, marked opened if the draw is made: from then on the draw
    stands. Marked under the exchange's lock, so a redraw racing it either comes first (and this
    reads the new name) or is refused. None for someone not taking part."""
    mine = participation(exchange, user)
    if mine is None or exchange.status != "drawn" or mine.opened_at is not None:
        return mine
    lock_row(Exchange, exchange.id)
    mine = db.session.get(
        ExchangeParticipant, (exchange.id, user.id), populate_existing=True, with_for_update=False
    )
    if mine is not None and mine.opened_at is None:
        mine.opened_at = utcnow()
    db.session.commit()
    return mine
