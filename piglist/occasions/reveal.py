"""The reveal: once an occasion has passed, a recipient may open their list's surprise for it.

The gifts bought on the list by then (and not tagged for another occasion) leave the active
list for everyone and become its recipients' "Received" list, with who bought them and a
"thanked" tick; everyone else finds them read-only under the occasion ("Past occasions").
Unbought gifts stay. Revealing is final, once per list and occasion, and a shared list's reveal
is every recipient's. Until then nothing changes: the surprise rule decides as before, and a
received gift is shown only through :func:`piglist.rules.surprise.present_received`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from piglist.stores.rowlocks import lock_row

from ..errors import Forbidden, NotFound, PiglistError, ValidationFailed
from ..extensions import db
from ..gifts.loading import gift_query
from ..groups.access import member_group
from ..live import feed
from ..models import Gift, Occasion, Piglist, Purchase, Reveal, User, utcnow
from ..rules.surprise import present_received
from ..rules.values import parse_int
from .service import concerns, has_passed, is_recipient, member_occasion

NO_LIST = "No such list (or it isn't in one of your groups)."
NO_RECEIVED = "No such received gift."


class TooEarly(PiglistError):
    code, status = "too_early", 409


def member_list(list_id: int, user: User) -> Piglist:
    piglist = db.session.get(Piglist, list_id)
    if piglist is None:
        raise NotFound(NO_LIST)
    try:
        member_group(piglist.group_id, user)
    except NotFound:
        raise NotFound(NO_LIST) from None
    return piglist


def reveal(list_id: int, occasion_id: Any, user: User) -> tuple[Reveal, list[Gift]]:
    """Reveal list ``list_id`` for ``occasion_id`` as ``user`` (one of its recipients). A second
    reveal of the same list and occasion answers the first's gifts and changes nothing."""
    piglist = member_list(list_id, user)
    occasion_id = parse_int(occasion_id, "occasion_id", required=True, minimum=1)
    occasion = db.session.get(Occasion, occasion_id)
    if occasion is None or occasion.group_id != piglist.group_id:
        raise ValidationFailed("That occasion isn't one of this group's.", "occasion_id")
    if not is_recipient(piglist, user):
        raise Forbidden("Only the people a list is for can reveal it.")
    if not concerns(occasion, piglist):
        raise ValidationFailed(f"{occasion.name} isn't an occasion of this list.", "occasion_id")
    if not has_passed(occasion):
        raise TooEarly(f"{occasion.name} hasn't passed yet: you can reveal from the day after it.")
    done = _find(occasion.id, piglist.id)
    if done is not None:
        return done, received_on(done)
    try:
        with db.session.begin_nested():
            done = Reveal(occasion_id=occasion.id, piglist_id=piglist.id, revealed_by_id=user.id)
            db.session.add(done)
    except IntegrityError:  # the other recipient of a shared list was quicker: theirs is ours
        db.session.rollback()
        theirs = _find(occasion.id, piglist.id)
        assert theirs is not None  # the unique key we collided with is theirs
        return theirs, received_on(theirs)
    _move_bought_gifts(done, piglist, occasion)
    db.session.commit()
    return done, received_on(done)


def _find(occasion_id: int, piglist_id: int) -> Reveal | None:
    return db.session.scalar(
        select(Reveal).where(Reveal.occasion_id == occasion_id, Reveal.piglist_id == piglist_id)
    )


def _move_bought_gifts(done: Reveal, piglist: Piglist, occasion: Occasion) -> None:
    """Each candidate gift locked as a purchase locks it (so a purchase in flight either lands
    before and is received, or after and finds the gift gone), in id order, before its
    purchases are read."""
    candidates = db.session.scalars(
        select(Gift.id)
        .where(
            Gift.piglist_id == piglist.id,
            Gift.reveal_id.is_(None),
            or_(Gift.occasion_id.is_(None), Gift.occasion_id == occasion.id),
        )
        .order_by(Gift.id)
    ).all()
    now = utcnow()
    for gift_id in candidates:
        gift = lock_row(Gift, gift_id)
        bought = db.session.scalar(select(Purchase.id).where(Purchase.gift_id == gift_id).limit(1))
        if gift is None or bought is None:
            continue
        was_listed = gift.deleted_at is None
        gift.reveal_id = done.id
        gift.deleted_at = gift.deleted_at or now
        if was_listed:
            feed.emit("gift_deleted", gift)


def received_on(done: Reveal) -> list[Gift]:
    return list(db.session.scalars(gift_query().where(Gift.reveal_id == done.id).order_by(Gift.id)).unique())


def reveal_json(done: Reveal, gifts: list[Gift], viewer: User) -> dict[str, Any]:
    return {
        "list_id": done.piglist_id,
        "occasion_id": done.occasion_id,
        "revealed_at": done.revealed_at,
        "received": [present_received(gift, viewer) for gift in gifts],
    }


def reveals_of(occasion_id: int, viewer: User) -> tuple[Occasion, list[tuple[Reveal, list[Gift]]]]:
    """Past occasions: the lists revealed for an occasion of ``viewer``'s groups, with their gifts."""
    occasion, _ = member_occasion(occasion_id, viewer)
    reveals = db.session.scalars(
        select(Reveal).where(Reveal.occasion_id == occasion.id).order_by(Reveal.piglist_id)
    ).all()
    return occasion, [(done, received_on(done)) for done in reveals]


def set_thanked(gift_id: int, thanked: bool, user: User) -> Gift:
    """The recipients' tick on a received gift; anything else is not found, whatever it is."""
    gift = db.session.get(Gift, gift_id)
    if gift is None or gift.reveal_id is None or not is_recipient(gift.piglist, user):
        raise NotFound(NO_RECEIVED)
    gift.thanked_at = (gift.thanked_at or utcnow()) if thanked else None
    db.session.commit()
    return db.session.scalars(gift_query().where(Gift.id == gift.id)).unique().one()


def received_for(group_id: int, user: User) -> list[tuple[Reveal, list[Gift]]]:
    """The reveals of the lists ``user`` is a recipient of in a group, newest first."""
    group = member_group(group_id, user)
    lists = db.session.scalars(select(Piglist).where(Piglist.group_id == group.id)).all()
    mine = [p.id for p in lists if is_recipient(p, user)]
    reveals = db.session.scalars(
        select(Reveal).where(Reveal.piglist_id.in_(mine)).order_by(Reveal.revealed_at.desc(), Reveal.id)
    ).all()
    return [(done, received_on(done)) for done in reveals]
