"""What the gift templates need beside the view dicts: shared by the pages (piglist.gifts.routes)
and the Turbo Streams the live layer renders from the same partials (piglist.live.streams).

Every gift reaches a template only as the view dict the surprise rule makes of it
(piglist.rules.surprise), never as the ORM row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from flask import request, url_for
from flask_login import current_user

from ..models import Category, Group
from ..rules.surprise import tile_state
from .listcache import categories_of
from .reading import PiglistView


def hostname(url: str | None) -> str:
    return (urlsplit(url).hostname or "") if url else ""


def gift_name(view: Mapping[str, Any]) -> str:
    return view["title"] or hostname(view["url"]) or "This gift"


def here() -> str:
    """This page's path and query, for buttons that come back to it."""
    query = request.query_string.decode()
    return request.path + ("?" + query if query else "")


class GiftRoles(NamedTuple):
    """How the viewer stands to one gift, as its templates need it."""

    state: str | None  # tile_state: None on the viewer's own gift
    mine: bool
    may_undo: bool  # they bought some or all of it; of a gift bought together, its organiser only


def gift_roles(view: Mapping[str, Any]) -> GiftRoles:
    """One set-up for the tile and the gift page (a Jinja macro can only return markup)."""
    together = view.get("group_gift")
    if together and together["status"] == "bought":
        may_undo = bool(together["organiser"]) and together["organiser"]["id"] == current_user.id
    else:
        may_undo = any(p["user"] and p["user"]["id"] == current_user.id for p in view.get("purchases", []))
    return GiftRoles(state=tile_state(view), mine=view["owner"]["id"] == current_user.id, may_undo=may_undo)


@dataclass
class Section:
    """One category's part of a list; ``totals`` is set only on the owner's own list."""

    category: Category | None
    gifts: list[dict[str, Any]]
    totals: dict[str, Any] | None


def sections(piglist: PiglistView, categories: Iterable[Category], *, everything: bool) -> list[Section]:
    """A list's gifts grouped by category in display order, then "Other wishes". The service's
    sort order holds inside each group. ``everything`` keeps empty categories (edit mode)."""
    mine = piglist.user.id == current_user.id
    totals = {t["category_id"]: t for t in piglist.totals} if mine else {}
    known = set()
    result = []
    for category in categories:
        known.add(category.id)
        gifts = [g for g in piglist.gifts if g["category_id"] == category.id]
        if gifts or everything:
            result.append(Section(category, gifts, totals.get(category.id)))
    rest = [g for g in piglist.gifts if g["category_id"] not in known]
    if rest:
        result.append(Section(None, rest, None))
    return result


def page_context(group: Group, categories: list[Category] | None = None, **context: Any) -> dict[str, Any]:
    """What every gift template uses; the categories are read once per group version and process
    (piglist.gifts.listcache), whatever the page shows."""
    categories = categories_of(group) if categories is None else categories
    return {
        "group": group,
        "categories": categories,
        "category_names": {c.id: c.name for c in categories},
        "sections": lambda piglist, everything=False: sections(piglist, categories, everything=everything),
        "gift_name": gift_name,
        "gift_roles": gift_roles,
        "tile_url": tile_url,
        "back": here(),
        **context,
    }


def tile_url(group_id: int, gift_id: int, back: str) -> str:
    return url_for("gifts.tile", group_id=group_id, gift_id=gift_id) + "?" + urlencode({"next": back})


def owner_list_url(group_id: int, view: Mapping[str, Any]) -> str:
    """Where a tile's buttons come back to when the page they are on is not known."""
    return url_for("gifts.piglist", group_id=group_id, user_id=view["owner"]["id"])
