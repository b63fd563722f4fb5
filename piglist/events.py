"""The change feed: every change to a group's gifts is emitted here, and only here.

Services call :func:`emit` inside their transaction; the event is published when the
transaction commits (never for a rolled-back change). With Redis, a group's events
go to a Redis Stream, so long polls (and the WebSocket to come) on any web process read them with
cursors that work everywhere; without Redis, an in-process feed does the same job.

Readers get raw events and must pass each through the surprise rule
(:func:`piglist.rules.surprise.visible_event`) before sending it to anyone.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import Session

from .models import utcnow
from .redis_store import get_redis

log = logging.getLogger(__name__)

EVENT_TYPES = frozenset(
    {"gift_created", "gift_updated", "gift_deleted", "gift_purchased", "gift_unpurchased", "presence"}
)
STREAM_LENGTH = 1000  # per group; a long poll returns at least every 25 s, so this is hours of slack
START = "0-0"
CURSOR = re.compile(r"([0-9]{1,20})-([0-9]{1,20})")
_PENDING = "piglist_pending_events"


def stream_key(group_id: int) -> str:
    return f"piglist:changes:{group_id}"


def emit(group_id: int, type: str, *, gift_id: int, owner_id: int, **data: Any) -> None:
    """Queue an event on the current transaction; it is published if and when it commits."""
    from .extensions import db

    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    payload = {
        "type": type,
        "group_id": group_id,
        "gift_id": gift_id,
        "owner_id": owner_id,
        "at": utcnow(),
        **data,
    }
    db.session().info.setdefault(_PENDING, []).append(payload)


def publish_now(group_id: int, payload: dict[str, Any]) -> None:
    """Publish at once, outside any transaction (presence changes have none)."""
    feed().publish(group_id, json.loads(current_app.json.dumps(payload)))


@event.listens_for(Session, "after_commit")
def _publish_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    for payload in pending:
        try:
            publish_now(payload["group_id"], payload)
        except RedisError as exc:
            # Live updates degrade; the change itself is saved and pages show it on reload.
            log.warning("change event not published: %s", exc)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


@dataclass
class Entry:
    id: str
    event: dict[str, Any]


def parse_cursor(cursor: str) -> tuple[int, int]:
    """Cursors look like Redis stream ids: ``<milliseconds>-<sequence>``."""
    match = CURSOR.fullmatch(cursor)
    if match is None or int(match[1]) >= 2**64 or int(match[2]) >= 2**64:
        raise ValueError(cursor)
    return int(match[1]), int(match[2])


class RedisFeed:
    def __init__(self, quick, blocking) -> None:
        self.quick = quick
        self.blocking = blocking

    def publish(self, group_id: int, payload: dict[str, Any]) -> str:
        return self.quick.xadd(
            stream_key(group_id), {"event": json.dumps(payload)}, maxlen=STREAM_LENGTH, approximate=True
        )

    def latest(self, group_id: int, count: int) -> list[Entry]:
        """The newest entries, newest first."""
        rows = self.quick.xrevrange(stream_key(group_id), count=count)
        return [Entry(entry_id, json.loads(fields["event"])) for entry_id, fields in rows]

    def read(self, group_id: int, after: str, block_ms: int) -> list[Entry]:
        """Entries after ``after``, waiting up to ``block_ms`` for the first one."""
        client = self.blocking if block_ms else self.quick
        answer = client.xread({stream_key(group_id): after}, count=200, block=block_ms or None)
        return [
            Entry(entry_id, json.loads(fields["event"])) for _, rows in answer for entry_id, fields in rows
        ]


class MemoryFeed:
    """The same feed for the single-process mode, with the same cursor format."""

    def __init__(self) -> None:
        self.streams: dict[int, deque[Entry]] = {}
        self.changed = threading.Condition()
        self.last = (0, 0)

    def _next_id(self) -> str:
        ms = int(time.time() * 1000)
        self.last = (ms, 0) if ms > self.last[0] else (self.last[0], self.last[1] + 1)
        return f"{self.last[0]}-{self.last[1]}"

    def publish(self, group_id: int, payload: dict[str, Any]) -> str:
        with self.changed:
            entry = Entry(self._next_id(), payload)
            self.streams.setdefault(group_id, deque(maxlen=STREAM_LENGTH)).append(entry)
            self.changed.notify_all()
            return entry.id

    def latest(self, group_id: int, count: int) -> list[Entry]:
        with self.changed:
            return list(reversed(self.streams.get(group_id, ())))[:count]

    def read(self, group_id: int, after: str, block_ms: int) -> list[Entry]:
        position = parse_cursor(after)
        deadline = time.monotonic() + block_ms / 1000
        with self.changed:
            while True:
                found = [e for e in self.streams.get(group_id, ()) if parse_cursor(e.id) > position]
                remaining = deadline - time.monotonic()
                if found or remaining <= 0:
                    return found[:200]
                self.changed.wait(remaining)


def init_app(app) -> None:
    app.extensions["piglist_memory_feed"] = MemoryFeed()


def feed() -> RedisFeed | MemoryFeed:
    quick = get_redis()
    if quick is None:
        return current_app.extensions["piglist_memory_feed"]
    return RedisFeed(quick, get_redis(blocking=True))
