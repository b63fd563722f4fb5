"""The Secret Santa secrecy rule: the one place that decides what anyone may read of who drew whom.

Why it is an allow-list, like the surprise rule (piglist.rules.surprise): before the reveal date
a person may learn exactly one pair, their own (whom *they* give to), and nothing that points at
their Santa: not an id, a name, a count of who has opened theirs, a message's exact time. The
admin who drew is no exception. Every door — pages, API, export, mail, stats, errors — builds
what it sends about an exchange from :func:`present_exchange`, :func:`present_messages` and
:func:`my_recipient`, and reads no pair any other way. From the reveal date on, every member of
the group sees all the pairs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Exchange, ExchangeMessage, Piglist, User, today
from ..rules.surprise import person


def revealed(exchange: Exchange, on: date | None = None) -> bool:
    """Whether all the pairs are open to everyone: drawn, and the reveal date has come."""
    return (
        exchange.status == "drawn"
        and exchange.reveal_date is not None
        and (on or today()) >= exchange.reveal_date
    )


def _list_ids(group_id: int, user_ids: Iterable[int]) -> dict[int, int]:
    ids = [uid for uid in user_ids if uid is not None]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Piglist.user_id, Piglist.id).where(Piglist.group_id == group_id, Piglist.user_id.in_(ids))
    ).all()
    return {user_id: list_id for user_id, list_id in rows if user_id is not None}


def my_recipient(exchange: Exchange, viewer: User) -> dict[str, Any] | None:
    """Whom ``viewer`` gives to, with their list in the group (None if they have left it); None
    before the draw or for someone not taking part."""
    if exchange.status != "drawn":
        return None
    mine = next((p for p in exchange.participants if p.user_id == viewer.id), None)
    if mine is None or mine.recipient is None or mine.recipient_id is None:
        return None
    list_id = _list_ids(exchange.group_id, [mine.recipient_id]).get(mine.recipient_id)
    return {**(person(mine.recipient) or {}), "list_id": list_id}


def present_exchange(exchange: Exchange, viewer: User, *, is_admin: bool) -> dict[str, Any]:
    """What a member of the exchange's group may read of it. ``pairs`` only once revealed;
    ``can_redraw`` for admins (it says that somebody has opened theirs, never who)."""
    view: dict[str, Any] = {
        "id": exchange.id,
        "group_id": exchange.group_id,
        "name": exchange.name,
        "status": exchange.status,
        "avoid_previous": exchange.avoid_previous,
        "budget": exchange.budget,
        "reveal_date": exchange.reveal_date,
        "created_at": exchange.created_at,
        "drawn_at": exchange.drawn_at,
        "participants": [person(p.user) for p in exchange.participants],
        "exclusions": [[e.first_id, e.second_id] for e in exchange.exclusions],
        "taking_part": any(p.user_id == viewer.id for p in exchange.participants),
        "my_recipient": my_recipient(exchange, viewer),
    }
    if is_admin:
        view["can_redraw"] = exchange.status == "drawn" and all(
            p.opened_at is None for p in exchange.participants
        )
    if revealed(exchange):
        view["pairs"] = [
            {"santa": person(p.user), "recipient": person(p.recipient)}
            for p in exchange.participants
            if p.recipient is not None
        ]
    return view


def _day(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def present_messages(messages: Iterable[ExchangeMessage], viewer: User) -> list[dict[str, Any]]:
    """``viewer``'s two threads as they may read them (``messages`` in the order they were sent).
    What their Santa wrote carries only its day: an exact time could be matched against who was
    online then."""
    found = []
    for message in messages:
        if viewer.id not in (message.santa_id, message.recipient_id):
            continue
        mine_as_santa = message.santa_id == viewer.id
        from_me = message.from_santa == mine_as_santa
        from_my_santa = not mine_as_santa and message.from_santa
        found.append(
            {
                "thread": "my_recipient" if mine_as_santa else "my_santa",
                "from_me": from_me,
                "body": message.body,
                "sent_at": _day(message.sent_at) if from_my_santa else message.sent_at,
            }
        )
    # Thread by thread, not interleaved: the order of the two would date the Santa's lines again.
    return sorted(found, key=lambda line: line["thread"] != "my_recipient")
