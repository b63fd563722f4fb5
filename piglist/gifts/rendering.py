"""What the gift templates need beside the view dicts: shared by the pages (piglist.gifts.routes)
and the Turbo Streams the live layer renders from the same partials (piglist.live.streams).

Every gift reaches a template only as the view dict the surprise rule makes of it
(piglist.rules.surprise), never as the ORM row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from flask import Flask, g, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..models import Category, Group, ListManager, Piglist
from ..rules.surprise import tile_state
from .listcache import categories_of
from .reading import PiglistView


def init_app(app: Flask) -> None:
    """What the gift macros (templates/gifts/_macros.html) read besides their arguments, as the
    templates' globals: the macros are then imported without the page's context, and Jinja keeps
    the imported module, instead of running the import again for each of a page's 200 tiles
    (an eighth of an uncached page's CPU)."""
    app.jinja_env.globals.update(
        gift_name=gift_name,
        gift_roles=gift_roles,
        gift_url=gift_url,
        list_url=list_url,
        tile_url=tile_url,
        current_user=current_user,
    )


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

    state: str | None  # tile_state: None on a gift of a list the viewer is a recipient of
    mine: bool  # the viewer is a recipient of its list
    may_undo: bool  # they bought some or all of it; of a gift bought together, its organiser only
    keeps: bool = False  # a giver who may still edit it: an idea's author, a child's list's keeper


def gift_roles(view: Mapping[str, Any]) -> GiftRoles:
    """One set-up for the tile and the gift page (a Jinja macro can only return markup)."""
    together = view.get("group_gift")
    if together and together["status"] == "bought":
        may_undo = bool(together["organiser"]) and together["organiser"]["id"] == current_user.id
    else:
        may_undo = any(p["user"] and p["user"]["id"] == current_user.id for p in view.get("purchases", []))
    state = tile_state(view)
    return GiftRoles(
        state=state,
        mine=state is None,
        may_undo=may_undo,
        keeps=state is not None and _giver_keeps(view),
    )


def _giver_keeps(view: Mapping[str, Any]) -> bool:
    """Mirrors piglist.gifts.loading.may_change for a giver's view: the list's keepers' own
    lists are asked once per request, and only for an idea or a list that isn't a member's."""
    if view["removed"]:
        return False
    if view["idea"] and view["added_by"] and view["added_by"]["id"] == current_user.id:
        return True
    if view["owner"] is not None and not view["idea"]:
        return False  # a member's wish: only they change it
    if "kept_lists" not in g:
        g.kept_lists = frozenset(
            db.session.scalars(select(ListManager.list_id).where(ListManager.user_id == current_user.id))
        )
    return view["list_id"] in g.kept_lists


def list_title(view: Mapping[str, Any]) -> str:
    """Who the gift's list is for: its member, or a couple's or a child's list's title."""
    if view["owner"] is not None:
        return view["owner"]["display_name"]
    piglist = db.session.get(Piglist, view["list_id"])
    return piglist.title if piglist is not None else ""


def list_url(group_id: int, view: Mapping[str, Any]) -> str:
    """The page of the gift's list."""
    if view["owner"] is not None:
        return url_for("gifts.piglist", group_id=group_id, user_id=view["owner"]["id"])
    return url_for("lists.page", group_id=group_id, list_id=view["list_id"])


@dataclass
class Section:
    """One category's part of a list; ``totals`` is set only on the owner's own list."""

    category: Category | None
    gifts: list[dict[str, Any]]
    totals: dict[str, Any] | None


def sections(
    piglist: PiglistView, categories: Iterable[Category], *, everything: bool, kept: bool = False
) -> list[Section]:
    """A list's gifts grouped by category in display order, then "Other wishes". The service's
    sort order holds inside each group. ``everything`` keeps empty categories (edit mode);
    totals show on one's own list and on a list one keeps (``kept``)."""
    mine = piglist.user is not None and piglist.user.id == current_user.id
    totals = {t["category_id"]: t for t in piglist.totals} if mine or kept else {}
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
        "sections": lambda piglist, everything=False, kept=False: sections(
            piglist, categories, everything=everything, kept=kept
        ),
        "gift_name": gift_name,
        "gift_roles": gift_roles,
        "list_title": list_title,
        "list_url": list_url,
        "tile_url": tile_url,
        "back": here(),
        **context,
    }


# A gift id no group's page holds, where a gift's id goes in an address built once per request.
_PLACEHOLDER = 2**62 + 7


def gift_url(endpoint: str, group_id: int, gift_id: int, **values: Any) -> str:
    """``url_for(endpoint, group_id=group_id, gift_id=gift_id, **values)`` of a gift's address,
    built by ``url_for`` once per request, endpoint, group and ``values`` and then only joined
    with each gift's id: a list's tiles ask for three addresses each (5 µs a ``url_for``)."""
    built: dict[tuple, tuple[str, str] | None] = g.setdefault("gift_urls", {})
    key = (endpoint, group_id, *values.items())
    parts = built.get(key)
    if parts is None and key not in built:
        whole = url_for(endpoint, group_id=group_id, gift_id=_PLACEHOLDER, **values)
        before, found, after = whole.partition(str(_PLACEHOLDER))
        parts = built[key] = (before, after) if found and str(_PLACEHOLDER) not in after else None
    if parts is None:
        return url_for(endpoint, group_id=group_id, gift_id=gift_id, **values)
    return parts[0] + str(gift_id) + parts[1]


def tile_url(group_id: int, gift_id: int, back: str) -> str:
    return gift_url("gifts.tile", group_id, gift_id) + _next_query(back)


@lru_cache(maxsize=256)
def _next_query(back: str) -> str:
    return "?" + urlencode({"next": back})


def owner_list_url(group_id: int, view: Mapping[str, Any]) -> str:
    """Where a tile's buttons come back to when the page they are on is not known."""
    return list_url(group_id, view)
