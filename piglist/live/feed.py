"""The change feed: every change to a group's gifts is emitted here, and only here.

Writers call :func:`emit` inside their transaction; the event is published when the
transaction commits (never for a rolled-back change). Publishing does three things at once:
it appends the event to the group's stream (what readers catch up from, kept for
``RETENTION_SECONDS``), records the event's id as the newest for its *receivers* (everyone, or
everyone but the gift's owner, as the surprise rule decides), and wakes the hub of every web
process. These newest ids let a reader learn whether anything new *for them* exists
in one round trip, however many events hidden from them came after (piglist.live.cursors).

Trimming is by age only, never by count: how far back a reader can catch up depends on the
clock, never on how many events they were not allowed to see.

The backend (a Redis stream and pub/sub, or this process's memory without ``REDIS_URL``) is
chosen once when the app starts (piglist.live.init_app). Readers get raw events and must pass
each through the surprise rule (:func:`piglist.rules.surprise.visible_event`) before sending.
This module imports only models, extensions and stores, so the gifts code can emit without
importing the rest of the live layer.

A commit that adds or removes a group's members (a join, a removal, someone leaving, an erased
account, a deleted group: whatever code writes it, the session's flushes are watched) also wakes
every web process's hub with :data:`MEMBERS_CHANGED` on the group's channel, before the commit's
events: the hubs forget who may listen to that group (piglist.live.listeners) before they hand on
anything more of it. That message is no event: it names nothing and no person, is never kept in
the stream, and no reader receives it (the hub tells the group's sockets and polls to check their
person again).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import ADMIN, Gift, Group, GroupMember, utcnow
from ..rules.surprise import event_subject, visible_event
from ..stores.transactions import CommitNotes

log = logging.getLogger(__name__)

EVENT_TYPES = frozenset(
    {
        "gift_created",
        "gift_updated",
        "gift_deleted",
        "gift_purchased",
        "gift_unpurchased",
        "presence",
        "group_gift_changed",
    }
)
# A personal event: a Secret Santa message for its reader; the Members page's "Purchases by people
# who have left" changed, for each admin (each re-renders it as the surprise rule counts it for them).
PERSONAL_EVENT_TYPES = frozenset({"exchange_message", "former_buyers_changed"})
# A tab away for an afternoon (a phone in a pocket, a laptop closed over lunch) catches up without
# reloading; one away longer than a day reloads its page (cursors.Stale). A family group writes a few
# hundred events a day, so a day of them costs Redis kilobytes per group.
RETENTION_SECONDS = 24 * 3600
MARKS_SECONDS = 30 * 24 * 3600  # how long a quiet group's newest ids are kept
START = "0-0"
EVERYONE = "everyone"
# What wakes the hubs when a group's members changed: a message alone on the group's channel, where
# an event is "<stream id> <json>" (never a bare word).
MEMBERS_CHANGED = "members"


@dataclass(frozen=True)
class FeedEntry:
    """An event as the feed holds it, with its stream id."""

    id: str
    event: dict[str, Any]


def id_key(entry_id: str) -> tuple[int, int]:
    """Stream ids (``<milliseconds>-<sequence>``) in their order."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def receivers(payload: dict[str, Any]) -> str:
    """Who may receive the event: everyone, or everyone but some of its list's recipients
    (``not:<id>,<id>``; not the surprise rule's ``audience``, which groups viewers who see one
    event alike). The surprise rule decides, so a new event type is hidden from recipients
    unless the rule allows it. A personal event (``to_user_id``) has one receiver."""
    if "to_user_id" in payload:
        return f"to:{payload['to_user_id']}"
    recipients = payload.get("recipients", [payload["owner_id"]])
    hidden = sorted(uid for uid in recipients if visible_event(payload, uid) is None)
    return f"not:{','.join(map(str, hidden))}" if hidden else EVERYONE


def hidden_from(receivers_name: str, viewer_id: int) -> bool:
    """Whether the receivers named by :func:`receivers` leave ``viewer_id`` out: one of the
    recipients kept out, or a personal event for someone else."""
    kind, _, ids = receivers_name.partition(":")
    if kind == "to":
        return ids != str(viewer_id)
    return kind == "not" and str(viewer_id) in ids.split(",")


def emit(type: str, gift: Gift, **data: Any) -> None:
    """Queue an event about ``gift`` on the current transaction; it is published if and when it
    commits. It names the gift's list and recipients (the surprise rule reads them)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    subject = event_subject(gift)
    payload = {
        "type": type,
        "group_id": gift.piglist.group_id,
        "gift_id": subject.pop("gift_id"),
        "owner_id": subject.pop("owner_id"),
        "at": utcnow(),
        **subject,
        **data,
    }
    _pending.of(db.session()).events.append(payload)


def emit_personal(group_id: int, type: str, *, to_user_id: int, **data: Any) -> None:
    """Queue an event for one member of the group alone (the surprise rule lets it reach nobody
    else); published if and when the transaction commits."""
    if type not in PERSONAL_EVENT_TYPES:
        raise ValueError(f"unknown personal event type {type!r}")
    payload = {"type": type, "group_id": group_id, "to_user_id": to_user_id, "at": utcnow(), **data}
    _pending.of(db.session()).events.append(payload)


def emit_to_admins(
    group_id: int, type: str, *, leaving_id: int | None = None, admin_ids: Iterable[int] | None = None
) -> None:
    """Queue a personal event for each admin of the group (``leaving_id`` left out: they are on
    their way out in this transaction; ``admin_ids`` when the caller has read them already),
    published if and when the transaction commits. One event per admin, never one for "the
    admins": each receives it alone, and a member receives nothing."""
    if admin_ids is None:
        admin_ids = db.session.scalars(
            select(GroupMember.user_id).where(GroupMember.group_id == group_id, GroupMember.role == ADMIN)
        ).all()
    for admin_id in sorted(set(admin_ids) - {leaving_id}):
        emit_personal(group_id, type, to_user_id=admin_id)


def publish_now(group_id: int, payload: dict[str, Any]) -> None:
    """Publish at once, outside any transaction (presence changes have none)."""
    change_feed().publish(group_id, json.loads(current_app.json.dumps(payload)))


@dataclass
class _Pending:
    """What a transaction will publish once it commits: the groups whose members it added or
    removed (or that it deleted), and its events."""

    memberships: set[int] = field(default_factory=set)
    events: list[dict[str, Any]] = field(default_factory=list)


def _publish(pending: _Pending) -> None:
    # Membership first: every hub forgets the group's listeners before this commit's events reach
    # any socket (the removed member's own gifts' "gift_deleted" among them).
    for group_id in sorted(pending.memberships):
        try:
            change_feed().members_changed(group_id)
        except RedisError as exc:
            # Each hub notices within listeners.MAX_AGE, or forgets everything when it resubscribes.
            log.warning("membership change not published: %s", exc)
    for payload in pending.events:
        try:
            publish_now(payload["group_id"], payload)
        except RedisError as exc:
            # Live updates degrade; the change itself is saved and pages show it on reload.
            log.warning("change event not published: %s", exc)


_pending = CommitNotes("piglist_pending_events", _Pending, _publish)


@event.listens_for(Session, "after_flush")
def _note_membership_changes(session: Session, _context: object) -> None:
    """The groups whose members a flush added or removed (or that it deleted), whatever code wrote
    them; their hubs are told when the transaction commits."""
    changed = {item.group_id for item in (*session.new, *session.deleted) if isinstance(item, GroupMember)}
    changed.update(item.id for item in session.deleted if isinstance(item, Group))
    if changed:
        _pending.of(session).memberships.update(changed)


# One round trip, atomic: append (trimming by age), note the receivers' newest and first ids,
# and wake every process's hub. KEYS: stream, marks, channel. ARGV: min id, event, receivers, ttls.
_PUBLISH = """
local id = redis.call('XADD', KEYS[1], 'MINID', '~', ARGV[1], '*', 'event', ARGV[2])
redis.call('HSET', KEYS[2], 'newest:' .. ARGV[3], id)
redis.call('HSETNX', KEYS[2], 'first:' .. ARGV[3], id)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[5])
redis.call('PUBLISH', KEYS[3], id .. ' ' .. ARGV[2])
return id
"""


class RedisFeed:
    """Streams ``piglist:changes:<gid>``, marks ``piglist:changes:<gid>:marks``, and one pub/sub
    channel per group under ``channel_prefix`` (pub/sub ignores database numbers, so the prefix
    names the database)."""

    def __init__(self, client, channel_prefix: str) -> None:
        self.client = client
        self.channel_prefix = channel_prefix
        self.script = client.register_script(_PUBLISH)

    @staticmethod
    def stream_key(group_id: int) -> str:
        return f"piglist:changes:{group_id}"

    def publish(self, group_id: int, payload: dict[str, Any]) -> str:
        min_id = f"{int((time.time() - RETENTION_SECONDS) * 1000)}-0"
        key = self.stream_key(group_id)
        return self.script(
            keys=[key, f"{key}:marks", f"{self.channel_prefix}{group_id}"],
            args=[min_id, json.dumps(payload), receivers(payload), RETENTION_SECONDS * 2000, MARKS_SECONDS],
        )

    def members_changed(self, group_id: int) -> None:
        """Wake every process's hub: the group's members changed (no stream entry, no marks)."""
        self.client.publish(f"{self.channel_prefix}{group_id}", MEMBERS_CHANGED)

    def marks(self, group_id: int) -> dict[str, str]:
        return self.client.hgetall(f"{self.stream_key(group_id)}:marks")

    def queue_marks(self, pipe, group_id: int) -> None:
        """:meth:`marks` on a pipeline, to share its round trip (its answer is the marks)."""
        pipe.hgetall(f"{self.stream_key(group_id)}:marks")

    def entries(self, group_id: int, after: str, upto: str = "+", count: int = 500) -> list[FeedEntry]:
        rows = self.client.xrange(self.stream_key(group_id), f"({after}", upto, count=count)
        return [FeedEntry(entry_id, json.loads(fields["event"])) for entry_id, fields in rows]


class MemoryFeed:
    """The same feed for the single-process mode: same ids, same marks, same trimming by age;
    ``deliver`` is the hub's, called for each new entry, and ``members_changed`` too, for each
    change of a group's members (there is no other process to wake)."""

    def __init__(
        self, deliver: Callable[[int, FeedEntry], None], members_changed: Callable[[int], None]
    ) -> None:
        self.deliver = deliver
        self.members_changed = members_changed
        self.streams: dict[int, deque[FeedEntry]] = {}
        self.group_marks: dict[int, dict[str, str]] = {}
        self.lock = threading.Lock()
        self.last = (0, 0)

    def _next_id(self) -> str:
        ms = int(time.time() * 1000)
        self.last = (ms, 0) if ms > self.last[0] else (self.last[0], self.last[1] + 1)
        return f"{self.last[0]}-{self.last[1]}"

    def publish(self, group_id: int, payload: dict[str, Any]) -> str:
        with self.lock:
            entry = FeedEntry(self._next_id(), payload)
            stream = self.streams.setdefault(group_id, deque())
            oldest = int((time.time() - RETENTION_SECONDS) * 1000)
            while stream and id_key(stream[0].id)[0] < oldest:
                stream.popleft()
            stream.append(entry)
            marks = self.group_marks.setdefault(group_id, {})
            marks[f"newest:{receivers(payload)}"] = entry.id
            marks.setdefault(f"first:{receivers(payload)}", entry.id)
        self.deliver(group_id, entry)
        return entry.id

    def marks(self, group_id: int) -> dict[str, str]:
        with self.lock:
            return dict(self.group_marks.get(group_id, {}))

    def entries(self, group_id: int, after: str, upto: str = "+", count: int = 500) -> list[FeedEntry]:
        low = id_key(after)
        high = None if upto == "+" else id_key(upto)
        with self.lock:
            found = [
                e
                for e in self.streams.get(group_id, ())
                if id_key(e.id) > low and (high is None or id_key(e.id) <= high)
            ]
        return found[:count]


def change_feed() -> RedisFeed | MemoryFeed:
    return current_app.extensions["piglist_live"].feed
