"""Opaque cursors, and catching a reader up from one.

A reader's position is the stream id of the last event *they* could see (or the start, when
they have seen none), so it never moves for an event kept from them. To the client it is
sealed: encrypted and authenticated, so it reveals neither that id nor its sequence number
(which counts every event of that millisecond, hidden ones included). The sealing is
deterministic — one position, one cursor — so a reader can compare cursors and learn only
what their own events already told them.

Whether anything new exists for a reader is read from the feed's marks (the newest and first
event id for each set of receivers), in one round trip whatever the number of events hidden from them.
Only when there is something do we read the stream, from their position to their newest event.
The stream is trimmed by age, never by count, so a reader can be too far behind (:class:`Stale`)
only because of time; never because of events they may not see.

Sealing is SIV (Rogaway and Shrimpton's synthetic IV) with HMAC-SHA256 as the PRF, keyed from
``SECRET_KEY``: the tag is a MAC of the padded position and doubles as the IV of the keystream.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flask import current_app

from ..rules.surprise import visible_event
from .feed import RETENTION_SECONDS, START, FeedEntry, MemoryFeed, RedisFeed, hidden_from, id_key

if TYPE_CHECKING:  # the hub imports the feed, as this module does; a type only
    from .hub import Broadcast

PLAIN_BYTES = 48  # positions are padded to this, so a cursor's length says nothing either
TAG_BYTES = 16
PAGE = 500  # entries read from the stream per round trip while catching up
MAX_EVENTS = 200  # events per answer; the reader asks again for more


class Stale(Exception):
    """The reader's position is older than the stream keeps, and events they may see came since:
    they must start again from a fresh cursor (the pages reload)."""


def _keys() -> tuple[bytes, bytes]:
    return _keys_of(current_app.config["SECRET_KEY"])


@functools.lru_cache(maxsize=8)
def _keys_of(secret_key: str) -> tuple[bytes, bytes]:
    root = hmac.new(secret_key.encode(), b"piglist live cursor v1", hashlib.sha256)
    secret = root.digest()
    return (
        hmac.new(secret, b"mac", hashlib.sha256).digest(),
        hmac.new(secret, b"enc", hashlib.sha256).digest(),
    )


def _keystream(key: bytes, tag: bytes) -> bytes:
    blocks = (hmac.new(key, tag + bytes([i]), hashlib.sha256).digest() for i in range(2))
    return b"".join(blocks)[:PLAIN_BYTES]


def seal(group_id: int, position: str) -> str:
    plain = f"{group_id}:{position}".encode().ljust(PLAIN_BYTES, b" ")
    mac_key, enc_key = _keys()
    tag = hmac.new(mac_key, plain, hashlib.sha256).digest()[:TAG_BYTES]
    body = bytes(a ^ b for a, b in zip(plain, _keystream(enc_key, tag), strict=True))
    return base64.urlsafe_b64encode(tag + body).decode().rstrip("=")


def unseal(group_id: int, cursor: str) -> str:
    """The position in ``cursor``; ValueError for anything this server did not hand out for the group."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise ValueError(cursor) from None
    if len(raw) != TAG_BYTES + PLAIN_BYTES:
        raise ValueError(cursor)
    tag, body = raw[:TAG_BYTES], raw[TAG_BYTES:]
    mac_key, enc_key = _keys()
    plain = bytes(a ^ b for a, b in zip(body, _keystream(enc_key, tag), strict=True))
    if not hmac.compare_digest(tag, hmac.new(mac_key, plain, hashlib.sha256).digest()[:TAG_BYTES]):
        raise ValueError(cursor)
    group, _, position = plain.decode().rstrip(" ").partition(":")
    if group != str(group_id):
        raise ValueError(cursor)
    return position


def seen_by(marks: dict[str, str], viewer_id: int) -> tuple[str | None, str | None]:
    """The first and newest event ids ``viewer_id`` may see, from the feed's marks."""
    firsts: list[str] = []
    newests: list[str] = []
    for name, entry_id in marks.items():
        kind, _, receivers = name.partition(":")
        if hidden_from(receivers, viewer_id):
            continue
        (firsts if kind == "first" else newests).append(entry_id)
    return (min(firsts, key=id_key, default=None), max(newests, key=id_key, default=None))


def position_now(feed: RedisFeed | MemoryFeed, group_id: int, viewer_id: int) -> str:
    """Where a new reader starts: after the newest event they may see."""
    return position_from(feed.marks(group_id), viewer_id)


def position_from(marks: dict[str, str], viewer_id: int) -> str:
    """:func:`position_now`, from marks already read."""
    return seen_by(marks, viewer_id)[1] or START


def catch_up(
    feed: RedisFeed | MemoryFeed, group_id: int, viewer_id: int, position: str
) -> tuple[list[dict[str, Any]], str]:
    """The events after ``position`` that ``viewer_id`` may see (as they may see them) and the
    new position: the id of the last of them, or ``position`` unchanged when there are none."""
    first, newest = seen_by(feed.marks(group_id), viewer_id)
    if newest is None or id_key(newest) <= id_key(position):
        return [], position
    oldest_kept = (int((time.time() - RETENTION_SECONDS) * 1000), 0)
    if id_key(position if position != START or first is None else first) < oldest_kept:
        raise Stale()
    found: list[dict[str, Any]] = []
    read_from = position
    while len(found) < MAX_EVENTS:
        page = feed.entries(group_id, read_from, newest, PAGE)
        for entry in page:
            event = visible_event(entry.event, viewer_id)
            if event is not None:
                found.append(event)
                position = entry.id
                if len(found) == MAX_EVENTS:
                    break
        if len(page) < PAGE:
            break
        read_from = page[-1].id
    return found, position


def visible_in(
    entries: Sequence[FeedEntry | Broadcast], viewer_id: int, position: str
) -> tuple[list[dict[str, Any]], str]:
    """The same for entries handed over by the hub: those after ``position`` the viewer may see."""
    found = []
    for entry in entries:
        if id_key(entry.id) <= id_key(position):
            continue
        event = visible_event(entry.event, viewer_id)
        if event is not None:
            found.append(event)
            position = entry.id
    return found, position
