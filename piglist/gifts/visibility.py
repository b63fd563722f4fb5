"""The surprise rule: the one place that decides what a person may see about a gift.

For a gift on your own list, nothing the app sends you may reveal that it was bought,
by whom, when, or that anyone is looking at it. Every door — pages, API, long poll, and
any door added later (the WebSocket, exports) — turns gifts into what a person sees
through :func:`present_gift`, and filters change events through :func:`visible_event`.
The owner's view is built without ever reading the purchase or presence fields, so
it cannot change when they do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Gift, User

# Events about a gift that its owner must never receive.
HIDDEN_FROM_OWNER = frozenset({"gift_purchased", "gift_unpurchased", "presence"})


def person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "display_name": user.display_name}


def is_owner(gift: Gift, viewer: User) -> bool:
    return gift.piglist.user_id == viewer.id


def may_see(gift: Gift, viewer: User) -> bool:
    """A gift the owner deleted stays visible to the one who had bought it, and to nobody else."""
    if gift.deleted_at is None:
        return True
    return gift.is_purchased and gift.purchased_by_id == viewer.id and not is_owner(gift, viewer)


def present_gift(gift: Gift, viewer: User, viewers: Mapping[int, User] | None = None) -> dict[str, Any]:
    """What ``viewer`` may know of ``gift``: the SPEC's ``gift`` object. ``viewers`` maps the user
    ids looking at it right now to users (the caller fetches them for many gifts at once)."""
    owner = gift.piglist.owner
    view: dict[str, Any] = {
        "id": gift.id,
        "group_id": gift.piglist.group_id,
        "owner": person(owner),
        "category_id": gift.category_id,
        "url": gift.url,
        "title": gift.title,
        "description": gift.description,
        "price": gift.price,
        "currency": gift.currency,
        "image_url": gift.image_url,
        "options": gift.options or {},
        "scrape_status": gift.scrape_status,
        "scrape_error": gift.scrape_error,
        "created_at": gift.created_at,
        "updated_at": gift.updated_at,
    }
    if owner.id == viewer.id:
        return view
    others = [person(user) for user_id, user in sorted((viewers or {}).items()) if user_id != viewer.id]
    view.update(
        status=gift.status,
        purchased_by=person(gift.purchased_by) if gift.is_purchased else None,
        purchased_at=gift.purchased_at if gift.is_purchased else None,
        viewers=others,
        removed=gift.deleted_at is not None,
    )
    return view


def tile_state(view: Mapping[str, Any]) -> str | None:
    """Available / being viewed / purchased, for a non-owner's view; None for the owner's."""
    if "status" not in view:
        return None
    if view["status"] == "purchased":
        return "purchased"
    return "being_viewed" if view["viewers"] else "available"


def visible_event(event: Mapping[str, Any], viewer_id: int) -> dict[str, Any] | None:
    """The event as ``viewer_id`` may receive it, or None. An owner gets no purchase or presence
    event about their own gifts, and nobody is told that they themselves are looking."""
    if event["owner_id"] == viewer_id and event["type"] in HIDDEN_FROM_OWNER:
        return None
    visible = dict(event)
    if event["type"] == "presence":
        visible["viewers"] = [v for v in event.get("viewers", []) if v["id"] != viewer_id]
    return visible
