"""Turbo Stream messages for the sockets, rendered from the same partials as the pages.

A socket receives an event only after the surprise rule let it through for its person
(:func:`piglist.rules.surprise.visible_event`); its tile, gift card and presence line are then
rendered from :func:`piglist.rules.surprise.present_gift` for that person, like a page would.

Hundreds of sockets receive each event, and most of them see the gift the same way. So the gift
(with its group and viewers) is loaded once per process and event, and each distinct way of
seeing it is rendered once: the cache key is what the templates read (the view dict, the
person's relation to the gift, and who "you" is among the buyers: "you (1), Lily (1)" is Dad's
wording alone). The one per-person part of the markup, the CSRF token in the
buttons' forms, is rendered as a placeholder and filled in per socket.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, render_template, url_for
from flask_login import current_user
from markupsafe import escape

from ..extensions import db
from ..gifts import csrf_slot, releasing
from ..gifts.loading import gift_query
from ..gifts.reading import viewers_by_gift
from ..gifts.rendering import GiftRoles, gift_roles, owner_list_url, page_context
from ..models import Gift, Group, GroupMember
from ..rules.surprise import may_see, present_gift, recipient_ids
from .hub import Broadcast


def stream(action: str, target: str, html: str = "", morph: bool = False) -> str:
    method = ' method="morph"' if morph else ""
    return f'<turbo-stream action="{action}"{method} target="{escape(target)}"><template>{html}</template></turbo-stream>'


def render(broadcast: Broadcast, event: dict[str, Any]) -> str:
    """The Turbo Stream message for the current user about ``event`` (already let through for
    them by the surprise rule), with their CSRF token in it. A personal event (a Secret Santa
    message) reloads its thread on the exchange's page, where there is one; an admin's
    ``former_buyers_changed`` brings their Members page's release section up to date."""
    if event["type"] == "exchange_message":
        return stream("reload", f"santa_thread_{event['exchange_id']}")
    if event["type"] == "former_buyers_changed":
        return former_buyers(event["group_id"])
    gift_id = event["gift_id"]
    # A member's list is known by its member, the others by their own id (as the pages name them).
    owner_id = event["owner_id"] if event["owner_id"] is not None else f"list_{event['list_id']}"
    if event["type"] == "gift_created":
        return stream("reload", f"piglist_{owner_id}")
    if event["type"] == "gift_deleted":
        # Gone from the list; the one who bought it still sees it, marked removed.
        gift = _gift_markup(broadcast) or stream("reload", f"gift_detail_{gift_id}")
        return stream("reload", f"piglist_{owner_id}") + gift
    return _gift_markup(broadcast)


def former_buyers(group_id: int) -> str:
    """The Members page's "Purchases by people who have left" for the current user, as the page
    would show it to them: only while they are an admin, and counted for them alone (an admin who
    keeps a list never learns, from a name or a number, that a gift on it was bought), so it is
    rendered per reader, never shared. The page's own frame answer carries the same stream
    (admin/_member_table.html)."""
    member = db.session.get(GroupMember, (group_id, current_user.id))
    if member is None or not member.is_admin:
        return ""
    group = member.group
    html = render_template(
        "admin/_former_buyers.html", group=group, former_buyers=releasing.former_buyers(group, current_user)
    )
    return stream("update", "former-buyers-slot", html)


def _gift_markup(broadcast: Broadcast) -> str:
    with broadcast.lock:
        snapshot = _snapshot(broadcast)
        if snapshot is None:
            return ""
        gift, group, categories, looking = snapshot
        if not may_see(gift, current_user):
            return ""
        view = present_gift(gift, current_user, looking)
        roles = gift_roles(view)
        # Chipping in speaks to each reader ("your pledge", the organiser's buttons): one
        # rendering per reader for a gift that has a group gift.
        reader = current_user.id if view.get("group_gift") else _named(roles)
        key = current_app.json.dumps({"view": view, "roles": roles, "reader": reader}, sort_keys=True)
        cache = broadcast.shared.setdefault("markup", {})
        if key not in cache:
            cache[key] = csrf_slot.cut(_render_gift(group, categories, view))
    return csrf_slot.filled(cache[key])


def _named(roles: GiftRoles) -> int | None:
    """The person, when the markup names them as "you" (they bought some of the gift); everyone
    else who sees the gift the same way shares one rendering."""
    # Called for gifts not bought together, where may_undo is exactly "bought some of it".
    return current_user.id if roles.may_undo else None


def _snapshot(broadcast: Broadcast):
    """The gift, its group and categories and who looks at it: loaded once per process and event."""
    if "snapshot" not in broadcast.shared:
        gift = db.session.scalar(gift_query().where(Gift.id == broadcast.event["gift_id"]))
        snapshot = None
        if gift is not None:
            group = gift.piglist.group  # as db.session.get would: from the identity map when loaded
            looking = viewers_by_gift(group.id, [gift.id]).get(gift.id, {})
            recipient_ids(gift.piglist)  # a shared list's partners, read while there is a session
            snapshot = (gift, group, list(group.categories), looking)
        broadcast.shared["snapshot"] = snapshot
        # Nothing more is read: the objects stay usable, and the connection goes back to the pool.
        db.session.close()
    return broadcast.shared["snapshot"]


def _render_gift(group: Group, categories: list, view: dict[str, Any]) -> str:
    """The tile and the gift page's card; morphed in place by the browser, so a button being
    pressed stays the same element and the presence line stays one live region."""
    with csrf_slot.rendering_with_slot():
        tile = render_template(
            "gifts/_gift_tile.html",
            **page_context(group, categories, view=view, notice=None, back=owner_list_url(group.id, view)),
        )
        detail_url = url_for("gifts.detail", group_id=group.id, gift_id=view["id"])
        detail = render_template(
            "gifts/_gift_detail.html", **page_context(group, categories, view=view, back=detail_url)
        )
        return stream("replace", f"gift_{view['id']}", tile, morph=True) + stream(
            "replace", f"gift_detail_{view['id']}", detail, morph=True
        )


def as_json(event: dict[str, Any]) -> str:
    return json.dumps(event, separators=(",", ":"))
