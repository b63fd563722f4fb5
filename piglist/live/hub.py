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

Without Redis there is no thread: the in-memory feed calls :meth:`Hub.dispatch` directly.

The hub also keeps this process's count of open sockets in Redis (``piglist:live:sockets``,
field ``<host>:<pid>``, with a heartbeat key per process that expires when the process dies), so
:func:`piglist.live.socket_count` adds up every live process.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, cast

from flask import current_app
from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from piglist.stores import metrics
from piglist.stores.redis_store import QUICK_TIMEOUT, Breaker

from .feed import FeedEntry, id_key

log = logging.getLogger(__name__)

RESYNC = "resync"  # the subscription was (re)made: catch up from the stream
DOWN = "down"  # Redis is unreachable: give up waiting

PING_SECONDS = 5.0  # a silent subscription is pinged this often ...
# ... and dropped when even the ping gets no answer this long. Generous: a process busy with a
# thousand sockets may not run this greenlet for seconds, and a false alarm closes every socket.
DEAD_SECONDS = 10.0
IDLE_SECONDS = 30.0  # nobody listening this long: the thread and its connection go
HEARTBEAT_SECONDS = 10.0
SOCKETS_KEY = "piglist:live:sockets"


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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
    """A waiter's inbox: Broadcasts of its group, RESYNC, DOWN, and whatever its owner puts in."""

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
        self.sockets = 0

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
            self.sockets = 0
            self.up = self.url is None

    def dispatch(self, group_id: int, entry: FeedEntry) -> None:
        broadcast = Broadcast(group_id, entry.id, entry.event)
        with self.lock:
            receivers = list(self.waiting.get(group_id, ()))
        for subscription in receivers:
            subscription.put(broadcast)
        if receivers:
            published_ms, _ = id_key(entry.id)
            metrics.LIVE_DELIVERY_SECONDS.observe(max(time.time() - published_ms / 1000, 0.0))

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
            self._publish_socket_count(stopping=True)

    def _idle(self) -> bool:
        with self.lock:
            if self.waiting or self.sockets or time.monotonic() - self.idle_since < IDLE_SECONDS:
                return False
            self.thread = None
            return True

    def _listen(self, client: Redis) -> None:
        """Subscribe and hand out messages until Redis fails (raises) or nobody listens (returns)."""
        pubsub = client.pubsub()
        try:
            pubsub.psubscribe(f"{self.prefix}*")
            heard = started = time.monotonic()
            pinged = False
            heartbeat = 0.0
            published = None
            while True:
                message = pubsub.get_message(timeout=1.0)
                now = time.monotonic()
                if message is not None:
                    heard, pinged = now, False
                    self._handle(message)
                elif not self.up and now - started > DEAD_SECONDS:
                    raise TimeoutError("no answer to the subscription")
                elif now - heard > PING_SECONDS + DEAD_SECONDS:
                    raise TimeoutError("no answer to a ping")
                elif now - heard > PING_SECONDS and not pinged:
                    pubsub.ping()
                    pinged = True
                # The count goes out when it changed (at most once a tick) and with every heartbeat.
                if self.up and (now - heartbeat > HEARTBEAT_SECONDS or self.sockets != published):
                    heartbeat, published = now, self.sockets
                    self._publish_socket_count()
                if self._idle():
                    return
        finally:
            pubsub.close()

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "psubscribe":
            self.up = True
            self._tell_everyone(RESYNC)
        elif kind == "pmessage":
            group_id = int(message["channel"][len(self.prefix) :])
            entry_id, _, data = message["data"].partition(" ")
            self.dispatch(group_id, FeedEntry(entry_id, json.loads(data)))

    # --- open sockets ---------------------------------------------------------------------------

    def socket_opened(self) -> None:
        """Counted here; the hub's loop publishes the count within a second of a change (and with
        its 10 s heartbeat), so opening a socket costs no Redis call of its own."""
        with self.lock:
            self._forget_parent()
            self.sockets += 1

    def socket_closed(self) -> None:
        with self.lock:
            self.sockets -= 1
            if not self.sockets and not self.waiting:
                self.idle_since = time.monotonic()

    def _publish_socket_count(self, stopping: bool = False) -> None:
        if self.quick is None:
            return
        name = process_name()
        try:
            pipe = self.quick.pipeline(transaction=False)
            if stopping and not self.sockets:
                pipe.hdel(SOCKETS_KEY, name)
                pipe.delete(f"{SOCKETS_KEY}:alive:{name}")
            else:
                pipe.hset(SOCKETS_KEY, name, self.sockets)
                pipe.set(f"{SOCKETS_KEY}:alive:{name}", 1, ex=int(HEARTBEAT_SECONDS * 3))
            pipe.execute()
        except RedisError as exc:
            log.info("socket count not published: %s", exc)

    def socket_count(self) -> int:
        """Open sockets across every live web process (this one only, without Redis)."""
        if self.quick is None:
            return self.sockets
        counts = cast(dict[str, str], self.quick.hgetall(SOCKETS_KEY))  # the client decodes replies
        names = list(counts)
        pipe = self.quick.pipeline(transaction=False)
        for name in names:
            pipe.exists(f"{SOCKETS_KEY}:alive:{name}")
        alive = pipe.execute() if names else []
        dead = [name for name, up in zip(names, alive, strict=True) if not up]
        if dead:
            self.quick.hdel(SOCKETS_KEY, *dead)  # processes that died without saying goodbye
        return sum(int(counts[name]) for name, up in zip(names, alive, strict=True) if up)


def process_hub() -> Hub:
    return current_app.extensions["piglist_live"].hub
