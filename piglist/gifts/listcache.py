"""Each member's list as one person saw it, kept rendered in the web process, so a page or an API
list that nothing has changed since costs a few small queries instead of loading and rendering
every gift (issue 12: the 200-gift page was 140 ms of ORM and Jinja).

A list is stored under everything its rendering depends on, so an entry is never stale, only
unused:
- the versions the database keeps (migration 0007, moved by triggers, so no write path can forget
  them): the group's (members, their names, categories, the group's own fields) and the list's
  (its gifts as the owner sees them) — and, for everyone but the list's owner, the list's
  purchase version. The owner's own list is keyed on nothing a purchase moves: a purchase can't
  even make the owner's page slower to come (the surprise rule, piglist.rules.surprise);
- who reads it, in which form (page, edit page, API) and at which address or filters, and
  whether the group is frozen (a lock date passes without a write);
- who is looking at its gifts: read once per request (one presence call for the whole group,
  which the page made anyway) and compared with what the entry showed. Never for the reader's
  own list, which shows nobody.
Versions are read before the gifts, so an entry can hold newer data than its key, never older.
Forms in stored HTML carry a slot for the CSRF token, filled in for each request; callers get the
final Markup (:func:`lists_html`) or JSON (:func:`lists_json`). Entries are kept compressed.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache, TTLCache
from flask import Flask, current_app
from markupsafe import Markup

from ..models import Category, Group, GroupMember, User
from ..rules.lock import is_frozen
from ..stores import fx, metrics
from ..stores.detached import detached_copy
from . import csrf_slot
from .reading import PiglistView, in_list_order, looking_at, piglists_of

Looking = tuple[tuple[int, frozenset[int]], ...]

# Stored lists are compressed (zlib, its fastest level), and the cache's bound counts the
# compressed bytes. The 8 x 25 family's 64 lists (every reader's view of every list) are 1.85 MB
# of HTML and count 240 KB kept: 32 MiB holds 140 such families a process (issue 27: the families
# a box can't keep get the cold path). Compressing costs ~45-60 µs when a list is stored; a hit
# takes it out (~30-45 µs) and cuts its HTML at the slots (up to ~45 µs for a list of 25 gifts),
# against the 3-6 ms a list costs to read and render afresh.
COMPRESSION_LEVEL = 1


@dataclass(frozen=True)
class StoredList:
    """A list as the cache keeps it: its text compressed (JSON, or HTML with its CSRF slots) and
    what it showed of who was looking."""

    body: bytes
    watched: tuple[int, ...]  # the gifts whose viewers the body shows
    looking: Looking  # who was looking at them when it was made


def _size(entry: StoredList) -> int:
    return len(entry.body) + 64 * (len(entry.watched) + 4)


def _looking(watched: tuple[int, ...], looking: Mapping[int, set[int]]) -> Looking:
    return tuple((gid, frozenset(looking[gid])) for gid in watched if looking.get(gid))


class ListCache:
    """An LRU of rendered lists bounded in bytes and in age; safe across threads and greenlets."""

    def __init__(self, max_bytes: int, max_age: float) -> None:
        self._entries: TTLCache[Hashable, StoredList] = TTLCache(
            maxsize=max_bytes, ttl=max_age, getsizeof=_size
        )
        self._lock = threading.Lock()
        self.enabled = max_bytes > 0
        # (group, its version) -> its categories, as detached copies: every list page reads them.
        self._categories: LRUCache[Hashable, tuple[Category, ...]] = LRUCache(maxsize=1024)

    def get(self, key: Hashable, looking: Mapping[int, set[int]]) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry.looking != _looking(entry.watched, looking):
            metrics.count_cache("lists", hit=False)
            return None
        metrics.count_cache("lists", hit=True)
        return zlib.decompress(entry.body).decode()

    def put(
        self, key: Hashable, body: str, watched: tuple[int, ...], looking: Mapping[int, set[int]]
    ) -> None:
        if not self.enabled:
            return
        entry = StoredList(
            zlib.compress(body.encode(), COMPRESSION_LEVEL), watched, _looking(watched, looking)
        )
        if self._entries.getsizeof(entry) > self._entries.maxsize:
            return
        with self._lock:
            self._entries[key] = entry

    def categories(self, group: Group) -> list[Category]:
        key = (group.id, group.created_at, group.version)
        with self._lock:
            found = self._categories.get(key)
        if found is None:
            found = tuple(detached_copy(c) for c in group.categories)
            if self.enabled:
                with self._lock:
                    self._categories[key] = found
        return list(found)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._categories.clear()


def init_app(app: Flask) -> None:
    app.extensions["piglist_listcache"] = ListCache(
        app.config["LIST_CACHE_BYTES"], app.config["LIST_CACHE_SECONDS"]
    )


def list_cache() -> ListCache:
    return current_app.extensions["piglist_listcache"]


def categories_of(group: Group) -> list[Category]:
    """The group's categories in display order: read once per group version and process, kept as
    detached copies (read-only; a category changed moves the group's version)."""
    return list_cache().categories(group)


def rendered_lists(
    group: Group,
    viewer: User,
    filters: Mapping[str, Any],
    form: Hashable,
    render: Callable[[PiglistView], str],
    members: list[GroupMember],
    looking: Mapping[int, set[int]] | None = None,
) -> list[tuple[User, str]]:
    """Every member's list (or the one ``filters["member"]`` names) as ``viewer`` sees it, rendered
    by ``render`` in ``form`` (a name for the form and its address), from the cache where it holds
    it. ``members`` are the group's, with their users and their own lists' versions, read in one
    query before any gift (reading.group_and_members); a member read without them (or without a
    list) is rendered afresh, never looked up under a key that can't tell its list changed.
    ``looking`` is who looks at the group's gifts, as the page read it (piglist.live.page_start);
    when not given it is read here, when another's list is shown. The gifts are read only for the
    lists the cache lacks."""
    cache = list_cache()
    ordered = in_list_order(members, viewer)
    if filters.get("member"):
        ordered = [m for m in ordered if m.user_id == filters["member"]]
    # One's own list shows nobody looking (my piglist reads no presence).
    if looking is None:
        looking = looking_at(group.id) if any(m.user_id != viewer.id for m in ordered) else {}
    common: tuple[Hashable, ...] = (
        form,
        group.id,
        group.created_at,
        group.version,
        is_frozen(group),
        viewer.id,
        fx.latest().day,  # foreign prices show "≈ €45.20" at the latest rates
    )

    def key(member: GroupMember) -> Hashable | None:
        version, purchases = member.list_version, member.list_purchase_version
        if version is None or purchases is None:
            return None
        return (*common, member.user_id, version, None if member.user_id == viewer.id else purchases)

    # What a key stores is what ``render`` makes: the form is part of the key.
    keys = {m.user_id: key(m) for m in ordered}
    bodies = {user_id: None if k is None else cache.get(k, looking) for user_id, k in keys.items()}
    missing = [m for m in ordered if bodies[m.user_id] is None]
    if missing:
        # The categories as the page around the lists has them: kept per group version, not read again.
        views = piglists_of(group, viewer, missing, filters, looking, cache.categories(group))
        for member, view in zip(missing, views, strict=True):
            body = render(view)
            watched = () if member.user_id == viewer.id else tuple(g["id"] for g in view.gifts)
            if (stored_as := keys[member.user_id]) is not None:
                cache.put(stored_as, body, watched, looking)
            bodies[member.user_id] = body
    return [(m.user, stored) for m in ordered if (stored := bodies[m.user_id]) is not None]


def lists_html(
    group: Group,
    viewer: User,
    filters: Mapping[str, Any],
    form: Hashable,
    render: Callable[[PiglistView], str],
    members: list[GroupMember],
    looking: Mapping[int, set[int]] | None = None,
) -> list[tuple[User, Markup]]:
    """The lists as HTML, each ``render``-ed (a template's output) with its forms' CSRF token
    slotted (piglist.gifts.csrf_slot) and served with the reader's own. As :func:`rendered_lists`."""

    def stored(view: PiglistView) -> str:
        with csrf_slot.rendering_with_slot():
            return render(view)

    found = rendered_lists(group, viewer, filters, form, stored, members, looking)
    # The parts are the templates' escaped output, and the token is URL-safe base64.
    return [(owner, Markup(csrf_slot.filled(csrf_slot.cut(html)))) for owner, html in found]  # noqa: S704


def lists_json(
    group: Group,
    viewer: User,
    filters: Mapping[str, Any],
    form: Hashable,
    as_dict: Callable[[PiglistView], dict[str, Any]],
    members: list[GroupMember],
) -> str:
    """The lists as one JSON array, what ``jsonify`` would write for ``as_dict`` of each, from the
    lists' JSON as stored. As :func:`rendered_lists`."""
    found = rendered_lists(
        group,
        viewer,
        filters,
        form,
        lambda view: current_app.json.dumps(as_dict(view), separators=(",", ":")),
        members,
    )
    return "[" + ",".join(body for _, body in found) + "]\n"
