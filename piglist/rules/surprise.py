"""The surprise rule: the one place that decides what a person may receive about a gift.

For a gift on a list you are a *recipient* of (your own member list, the shared list you keep
with your partner), nothing the app sends you may reveal that it was bought, by whom, when, or
that anyone is looking at it; and of an *idea* someone else added to such a list (SPEC 10.2) you
receive nothing at all. This module is an **allow-list**: what a recipient may receive about
their list's gifts is named here — the gift fields, the change events and their fields — and
anything not named (a new field, a new event type) never reaches them. A manager who is not a
recipient (a parent keeping a child's list) is a giver like any other. Every door — pages,
frames, API, long poll, WebSocket, exports, mail, stats — asks :func:`is_recipient`, turns gifts
into what a person sees through :func:`present_gift` (after :func:`may_see`), filters change
events through :func:`visible_event`, counts purchases only over :func:`purchases_visible_to`,
and mails about a gift only whom :func:`may_mail_about` allows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from ..models import Gift, Piglist, User

# The gift fields a recipient may receive about their list's wishes: what they typed (how many, how
# much they want it), what the scraper found (the shop's regular price too: shop data, not
# purchase data), and when they changed it. Nothing about purchases (not even how many of a
# quantity are bought) or viewers.
OWNER_GIFT_FIELDS = frozenset(
    {
        "id",
        "group_id",
        "list_id",
        "owner",
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
    }
)

# The change events a recipient may receive about their list's wishes, and the fields they may
# carry. A purchase, an undo, a viewer or a group gift's change (piglist.gifts.group_gifts:
# "group_gift_changed") is never among them, not even as a bare "gift_updated"; nothing about an
# idea is either.
OWNER_EVENT_TYPES = frozenset({"gift_created", "gift_updated", "gift_deleted"})
OWNER_EVENT_FIELDS = frozenset({"type", "group_id", "gift_id", "owner_id", "list_id", "at"})

# Events meant for one person (a new Secret Santa message): they reach their addressee only, cut to
# these fields. No time: when a Santa wrote could be matched with who was online then.
PERSONAL_EVENT_FIELDS = frozenset({"type", "group_id", "exchange_id"})

# The mails about a gift that its owner may receive. None: the only mail about a gift is the
# purchaser alert, which tells of a purchase. A new kind reaches owners only when listed here.
OWNER_GIFT_MAILS: frozenset[str] = frozenset()


def person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "display_name": user.display_name}


def recipient_ids(piglist: Piglist) -> frozenset[int]:
    """The people ``piglist`` is for: everything this module keeps from a recipient it keeps from
    each of them. Every question "is this person a recipient?" comes here. A member list is its
    member's by definition (read off the row, so the lists that most pages show cost no query);
    a shared list's are both partners; a dependant has no account, so theirs has nobody."""
    if piglist.kind == "member":
        return frozenset() if piglist.user_id is None else frozenset({piglist.user_id})
    return frozenset(user.id for user in piglist.recipients)


def is_recipient(user: User, piglist: Piglist) -> bool:
    return user.id in recipient_ids(piglist)


def is_owner(gift: Gift, viewer: User) -> bool:
    """Whether ``viewer`` is one of the people ``gift``'s list is for."""
    return is_recipient(viewer, gift.piglist)


def may_see(gift: Gift, viewer: User) -> bool:
    """An idea is never there for its list's recipients. A gift removed from its list stays
    visible to those who had bought some of it, and to nobody else. A received gift (moved off the
    list by a reveal) is seen only through :func:`present_received`."""
    if gift.reveal_id is not None:
        return False
    if gift.is_idea and is_owner(gift, viewer):
        return False
    if gift.deleted_at is None:
        return True
    return gift.bought_by(viewer.id) and not is_owner(gift, viewer)


def event_subject(gift: Gift) -> dict[str, Any]:
    """What every change or presence event carries about its gift, so that :func:`visible_event`
    can decide who receives it without reading the database."""
    return {
        "gift_id": gift.id,
        "owner_id": gift.piglist.user_id,
        "list_id": gift.piglist_id,
        "recipients": sorted(recipient_ids(gift.piglist)),
        "idea": gift.is_idea,
    }


def _event_recipients(event: Mapping[str, Any]) -> Iterable[int]:
    # Events published before lists had recipients name only their owner.
    return event.get("recipients", [event["owner_id"]])


def present_gift(gift: Gift, viewer: User, viewers: Mapping[int, User] | None = None) -> dict[str, Any]:
    """What ``viewer`` may know of ``gift``: the SPEC's ``gift`` object. ``viewers`` maps the user
    ids looking at it right now to users (the caller fetches them for many gifts at once). The
    owner's view is cut to the allow-list before purchase or presence fields are ever read."""
    view: dict[str, Any] = {
        "id": gift.id,
        "group_id": gift.piglist.group_id,
        "list_id": gift.piglist_id,
        "owner": person(gift.piglist.owner),
        "category_id": gift.category_id,
        "url": gift.url,
        "title": gift.title,
        "description": gift.description,
        "price": gift.price,
        "regular_price": gift.regular_price,
        "currency": gift.currency,
        "image_url": gift.image_url,
        "options": gift.options or {},
        "quantity": gift.quantity,
        "priority": gift.priority,
        "occasion_id": gift.occasion_id,
        "scrape_status": gift.scrape_status,
        "scrape_error": gift.scrape_error,
        "created_at": gift.created_at,
        "updated_at": gift.updated_at,
    }
    if is_owner(gift, viewer):
        return {name: value for name, value in view.items() if name in OWNER_GIFT_FIELDS}
    others = [person(user) for user_id, user in sorted((viewers or {}).items()) if user_id != viewer.id]
    purchases = [
        {"user": person(p.user), "quantity": p.quantity, "purchased_at": p.purchased_at}
        for p in gift.purchases
    ]
    first = purchases[0] if purchases else None
    view.update(
        status=gift.status,
        # The first purchase's, as clients of the first release (one buyer per gift) expect.
        purchased_by=first["user"] if first else None,
        purchased_at=first["purchased_at"] if first else None,
        purchased_quantity=gift.purchased_quantity,
        purchases=purchases,
        viewers=others,
        removed=gift.deleted_at is not None,
        idea=gift.is_idea,
        added_by=person(gift.added_by),
        group_gift=_group_gift(gift),
    )
    return view


def _group_gift(gift: Gift) -> dict[str, Any] | None:
    """Who chips in for the gift and how much (SPEC §10.3), for those who aren't its recipients;
    None when nobody is (or it was called off). Amounts are in the gift's currency."""
    group_gift = gift.group_gift
    if group_gift is None or group_gift.status == "cancelled":
        return None
    pledged = group_gift.pledged
    return {
        "status": group_gift.status,
        "organiser": person(group_gift.organiser),
        "pledges": [{"user": person(p.user), "amount": p.amount} for p in group_gift.pledges],
        "pledged": pledged,
        "remaining": max((gift.price or Decimal("0.00")) - pledged, Decimal("0.00")),
    }


def tile_state(view: Mapping[str, Any]) -> str | None:
    """Available / being viewed / purchased, for a non-owner's view; None for the owner's."""
    if "status" not in view:
        return None
    if view["status"] == "purchased":
        return "purchased"
    return "being_viewed" if view["viewers"] else "available"


def visible_event(event: Mapping[str, Any], viewer_id: int) -> dict[str, Any] | None:
    """The event as ``viewer_id`` may receive it, or None. A recipient receives only the allowed
    event types about their list's wishes, cut to the allowed fields, and nothing about an idea;
    nobody is told that they themselves are looking. A personal event (``to_user_id``) reaches
    its addressee alone."""
    if "to_user_id" in event:
        if event["to_user_id"] != viewer_id:
            return None
        return {name: value for name, value in event.items() if name in PERSONAL_EVENT_FIELDS}
    if viewer_id in _event_recipients(event):
        if event["type"] not in OWNER_EVENT_TYPES or event.get("idea"):
            return None
        return {name: value for name, value in event.items() if name in OWNER_EVENT_FIELDS}
    visible = dict(event)
    if event["type"] == "presence":
        visible["viewers"] = [v for v in event.get("viewers", []) if v["id"] != viewer_id]
    return visible


def audience(event: Mapping[str, Any], viewer_id: int) -> Hashable:
    """Which of the event's audiences ``viewer_id`` is in: everyone in one audience receives the
    same :func:`visible_event`, so a process serving many sockets shapes it once per audience.
    The recipients; a person the presence event names (they are left out of it); everyone else;
    and a personal event's addressee (anyone else receives nothing of it)."""
    if "to_user_id" in event:
        return ("to", viewer_id)
    if viewer_id in _event_recipients(event):
        return "recipient"
    if event["type"] == "presence" and any(v["id"] == viewer_id for v in event.get("viewers", [])):
        return ("named", viewer_id)
    return "others"


def purchases_visible_to(gifts: Iterable[Gift], viewer: User) -> list[Gift]:
    """The gifts whose purchases ``viewer`` may count or be told about: never on a list they are a
    recipient of. Stats, exports and purchaser mail count and report purchases over these only."""
    return [gift for gift in gifts if not is_owner(gift, viewer)]


def told_of_purchases(gifts: Iterable[Gift], user_ids: Iterable[int]) -> list[int]:
    """Of ``user_ids``, those who may be told that a purchase of one of ``gifts`` changed: anyone
    who isn't a recipient of every one of those gifts' lists. (An admin told "what is left to release
    changed" when only purchases on their own list were released would learn they were bought.)"""
    held = [recipient_ids(gift.piglist) for gift in gifts]
    return [user_id for user_id in user_ids if any(user_id not in ids for ids in held)]


def may_mail_about(gift: Gift, user: User, kind: str) -> bool:
    """Whether ``user`` may get a mail of ``kind`` about ``gift``: anyone but its list's
    recipients, and they only for the kinds in OWNER_GIFT_MAILS (never about an idea)."""
    if gift.is_idea and is_owner(gift, user):
        return False
    return kind in OWNER_GIFT_MAILS if is_owner(gift, user) else True


def purchase_alert_recipients(gift: Gift) -> list[User]:
    """Who is told when a manager changes or removes ``gift``: whoever bought any of it, and whoever
    pledged toward it while it is being bought together — never its list's recipients."""
    buyers = [p.user for p in gift.purchases if p.user is not None]  # partly bought too
    group_gift = gift.group_gift
    if group_gift is not None and group_gift.status == "open":
        buyers += [p.user for p in group_gift.pledges if p.user is not None]
    unique = list({buyer.id: buyer for buyer in buyers}.values())
    return [buyer for buyer in unique if may_mail_about(gift, buyer, "purchase_alert")]


def present_received(gift: Gift, viewer: User) -> dict[str, Any]:
    """A gift a reveal moved to "Received" (piglist.occasions.reveal), as anyone in its group sees
    it: read-only, with who bought it and the recipients' "thanked" tick. The reveal is the one
    door that opens a recipient's purchases, and only for gifts it moved; any other is refused."""
    if gift.reveal_id is None:
        raise ValueError(f"gift {gift.id} was not revealed")
    view = {name: value for name, value in present_gift(gift, viewer).items() if name in OWNER_GIFT_FIELDS}
    view.update(
        purchased_quantity=gift.purchased_quantity,
        purchases=[
            {"user": person(p.user), "quantity": p.quantity, "purchased_at": p.purchased_at}
            for p in gift.purchases
        ],
        thanked=gift.thanked_at is not None,
    )
    return view
