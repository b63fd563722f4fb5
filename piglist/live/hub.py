"""One subscriber per web process: the hub.

Each web process holds ONE Redis subscription (a pattern over the groups' channels) in one
background thread — a greenlet under gunicorn's gevent worker — started on first use after the
process forks, and stopped again after a while with nobody listening. It hands each event to
the long polls and sockets of this process that wait on that group, through an in-process
queue: a waiting long poll or an open socket holds no Redis connection and no database
connection of its own. Each event reaches them as one :class:`Broadcast`, shared by all its
receivers in the process, so work such as loading the gift or rendering a tile happens once
per process and per way of seeing it, not once per receiver.

Pub/sub can drop messages while the subscription is (re)connecting, so every (re)subscription
sends :data:`RESYNC` to all waiters, which then catch up from the stream (piglist.live.feed).
When Redis stops answering — refused, or hung: the subscription is pinged and a silent one is
dropped — waiters get :data:`DOWN` (long polls answer 503, sockets close) and the shared breaker
is tripped so pages stop asking Redis for a few seconds; the hub retries with backoff.

A change of a group's members (piglist.live.feed, ``MEMBERS_CHANGED``) is handled before
anything that follows it on the channel: the hub makes the process forget who may listen to the
group (:meth:`Listeners.forget <piglist.live.listeners.Listeners.forget>`), then sends
:data:`MEMBERS` to the group's waiters, which check their person again at once: a removed member's
socket closes, their long poll answers 404, within moments in every process. Every
(re)subscription forgets every group's members too (a change may have gone unheard meanwhile).

Without Redis there is no thread: the in-memory feed calls :meth:`Hub.dispatch` and
:meth:`Hub.members_changed` directly.

When the process is told to stop (a deploy, a restart), :meth:`Hub.leave` sends :data:`LEAVING`
to every waiter: sockets close with 1012 "service restart" and long polls answer 503 with
``Retry-After: 1`` at once (the page's poll backs off a moment rather than asking again), so the
process stops in a moment instead of waiting gunicorn's graceful timeout out for connections that
never end by themselves; the pages reconnect (poll first, socket after its backoff) to a process
that stays.

The hub's loop also publishes this process's count of open sockets (piglist.live.socketcount),
and an open socket keeps the thread alive.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.client import PubSub
from redis.exceptions import RedisError
from redis.retry import Retry

from piglist.stores import metrics
from piglist.stores.redis_store import QUICK_TIMEOUT, Breaker

from .feed import MEMBERS_CHANGED, FeedEntry, id_key
from .listeners import Listeners
from .socketcount import SocketCount

RESYNC = "resync"  # the subscription was (re)made: catch up from the stream
DOWN = "down"  # Redis is unreachable: give up waiting
LEAVING = "leaving"  # this process is stopping: end now, and come back (to another process)
MEMBERS = "members"  # the group's members changed: check your person may still listen

PING_SECONDS = 5.0  # a silent subscription is pinged this often ...
# ... and dropped when even the ping gets no answer this long. Generous: a process busy with a
# thousand sockets may not run this greenlet for seconds, and a false alarm closes every socket.
DEAD_SECONDS = 10.0
IDLE_SECONDS = 30.0  # nobody listening this long: the thread and its connection go


@dataclass(eq=False)
class Broadcast:
    """One event as every receiver in this process gets it. ``shared`` holds what receivers
    compute from it once for all (under ``lock``): the gift as loaded, rendered tiles."""

    group_id: int
    id: str
    event: dict[str, Any]
    shared: dict[Hashable, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def once(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """``make()``'s value, made by the first receiver that asks for ``key``."""
        with self.lock:
            if key not in self.shared:
                self.shared[key] = make()
            return self.shared[key]


class Subscription:
    """A waiter's inbox: Broadcasts of its group, RESYNC, DOWN, LEAVING, MEMBERS, and whatever its
    owner puts in."""

    def __init__(self, hub: Hub, group_id: int) -> None:
        self.hub = hub
        self.group_id = group_id
        self.inbox: queue.Queue = queue.Queue()

    def get(self, timeout: float | None) -> Any:
        """The next item, or None when ``timeout`` runs out."""
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None

    def put(self, item: Any) -> None:
        self.inbox.put(item)

    def close(self) -> None:
        self.hub.unsubscribe(self)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Hub:
    def __init__(
        self,
        url: str | None = None,
        quick: Redis | None = None,
        breaker: Breaker | None = None,
        prefix: str = "",
        listeners: Listeners | None = None,
    ) -> None:
        self.url = url
        self.quick = quick
        self.breaker = breaker
        self.prefix = prefix
        self.lock = threading.Lock()
        self.waiting: dict[int, set[Subscription]] = {}
        self.thread: threading.Thread | None = None
        self.pid = os.getpid()
        self.up = url is None  # without Redis, always up
        self.idle_since = time.monotonic()
        self.sockets = SocketCount(quick)
        self.leaving = False
        # Who may still hear each group, as this process read them (its sockets and polls ask).
        self.listeners = listeners if listeners is not None else Listeners()

    # --- waiters --------------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """False while Redis is known to be unreachable (the breaker is open)."""
        return self.breaker is None or not self.breaker.is_open

    def subscribe(self, group_id: int) -> Subscription:
        subscription = Subscription(self, group_id)
        with self.lock:
            self._forget_parent()
            self.waiting.setdefault(group_id, set()).add(subscription)
            if self.leaving:
                subscription.put(LEAVING)
            if self.url is not None and (self.thread is None or not self.thread.is_alive()):
                self.up = False
                self.thread = threading.Thread(target=self._run, name="piglist-live-hub", daemon=True)
                self.thread.start()
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        with self.lock:
            group = self.waiting.get(subscription.group_id, set())
            group.discard(subscription)
            if not group:
                self.waiting.pop(subscription.group_id, None)
            if not self.waiting:
                self.idle_since = time.monotonic()

    def _forget_parent(self) -> None:
        """A process forked from one that used the hub inherits its state but not its thread."""
        if self.pid != os.getpid():
            self.pid = os.getpid()
            self.waiting.clear()
            self.thread = None
            self.sockets.reset()
            self.up = self.url is None

    def dispatch(self, group_id: int, entry: FeedEntry) -> None:
        if self._tell_group(group_id, Broadcast(group_id, entry.id, entry.event)):
            published_ms, _ = id_key(entry.id)
            metrics.LIVE_DELIVERY_SECONDS.observe(max(time.time() - published_ms / 1000, 0.0))

    def members_changed(self, group_id: int) -> None:
        """The group's members changed (committed): forgotten here before anything more of the group
        is handed on, then its waiters check their person again."""
        self.listeners.forget(group_id)
        self._tell_group(group_id, MEMBERS)

    def leave(self) -> None:
        """This process is stopping: every waiter ends now, and any that comes later at once."""
        with self.lock:
            self.leaving = True
        self._tell_everyone(LEAVING)

    def _tell_group(self, group_id: int, item: Any) -> int:
        """``item`` to each of the group's waiters; how many there were."""
        with self.lock:
            receivers = list(self.waiting.get(group_id, ()))
        for subscription in receivers:
            subscription.put(item)
        return len(receivers)

    def _tell_everyone(self, item: str) -> None:
        with self.lock:
            receivers = [s for group in self.waiting.values() for s in group]
        for subscription in receivers:
            subscription.put(item)

    # --- the subscription (Redis only) ----------------------------------------------------------

    def _client(self) -> Redis:
        assert self.url is not None  # only the Redis hub subscribes
        return Redis.from_url(
            self.url,
            socket_connect_timeout=QUICK_TIMEOUT,
            socket_timeout=QUICK_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
            decode_responses=True,
        )

    def _run(self) -> None:
        backoff = 0.5
        client = self._client()
        try:
            while not self._idle():
                try:
                    self._listen(client)
                    backoff = 0.5
                except (RedisError, OSError) as exc:
                    self.up = False
                    if self.breaker is not None:
                        self.breaker.trip(exc)
                    self._tell_everyone(DOWN)
                    time.sleep(backoff)
                    backoff = min(backoff * 2, 5.0)
        finally:
            self.up = False
            client.close()
            self.sockets.publish(stopping=True)

    def _idle(self) -> bool:
        with self.lock:
            if self.waiting or self.sockets.open or time.monotonic() - self.idle_since < IDLE_SECONDS:
                return False
            self.thread = None
            return True

    def _listen(self, client: Redis) -> None:
        """Subscribe and hand out messages until Redis fails (raises) or nobody listens (returns)."""
        pubsub = client.pubsub()
        try:
            pubsub.psubscribe(f"{self.prefix}*")
            self.sockets.publish_soon()  # Redis may have lost the count while it was away
            watch = _Watch(time.monotonic())
            while not self._idle():
                self._tick(pubsub, watch)
        finally:
            pubsub.close()

    def _tick(self, pubsub: PubSub, watch: _Watch) -> None:
        """One second of the subscription: a message handed out, or silence checked."""
        message = pubsub.get_message(timeout=1.0)
        now = time.monotonic()
        if message is not None:
            watch.heard, watch.pinged = now, False
            self._handle(message)
        else:
            self._check_silence(pubsub, watch, now)
        if self.up:
            self.sockets.publish_if_due(now)

    def _check_silence(self, pubsub: PubSub, watch: _Watch, now: float) -> None:
        """A silent subscription is pinged; one that stays silent raises."""
        if not self.up and now - watch.started > DEAD_SECONDS:
            raise TimeoutError("no answer to the subscription")
        if now - watch.heard > PING_SECONDS + DEAD_SECONDS:
            raise TimeoutError("no answer to a ping")
        if now - watch.heard > PING_SECONDS and not watch.pinged:
            pubsub.ping()
            watch.pinged = True

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "psubscribe":
            self.up = True
            self.listeners.forget_all()  # changes of members may have gone unheard meanwhile
            self._tell_everyone(RESYNC)
        elif kind == "pmessage":
            group_id = int(message["channel"][len(self.prefix) :])
            if message["data"] == MEMBERS_CHANGED:
                self.members_changed(group_id)
                return
            entry_id, _, data = message["data"].partition(" ")
            self.dispatch(group_id, FeedEntry(entry_id, json.loads(data)))

    # --- open sockets ---------------------------------------------------------------------------

    def socket_opened(self) -> None:
        """Counted here; the hub's loop publishes the count within a second of a change (and with
        its heartbeat), and keeps running while a socket is open."""
        with self.lock:
            self._forget_parent()
            self.sockets.opened()

    def socket_closed(self) -> None:
        with self.lock:
            if not self.sockets.closed() and not self.waiting:
                self.idle_since = time.monotonic()

    def socket_count(self) -> int:
        """Open sockets across every live web process (this one only, without Redis)."""
        return self.sockets.total()


@dataclass
class _Watch:
    """When the subscription was made and last heard from, and whether it was pinged since."""

    started: float
    heard: float = field(init=False)
    pinged: bool = False

    def __post_init__(self) -> None:
        self.heard = self.started


def process_hub() -> Hub:
    return current_app.extensions["piglist_live"].hub
