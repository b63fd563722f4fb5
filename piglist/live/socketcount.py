"""Counting open sockets across web processes.

Each web process keeps its own count of open sockets and publishes it in Redis
(``piglist:live:sockets``, field ``<host>:<pid>``), with a heartbeat key per process that expires
when the process dies, so :meth:`SocketCount.total` adds up every live process and forgets the
dead ones. Publishing is the hub's loop's job (piglist.live.hub): it already wakes every second,
so opening a socket costs no Redis call of its own. Without Redis the count is this process's.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import cast

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
SOCKETS_KEY = "piglist:live:sockets"


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive_key(name: str) -> str:
    return f"{SOCKETS_KEY}:alive:{name}"


class SocketCount:
    def __init__(self, quick: Redis | None = None) -> None:
        self.quick = quick
        self.lock = threading.Lock()
        self.open = 0
        self._published: int | None = None
        self._heartbeat = 0.0

    def opened(self) -> None:
        with self.lock:
            self.open += 1

    def closed(self) -> int:
        """Returns how many are still open."""
        with self.lock:
            self.open -= 1
            return self.open

    def reset(self) -> None:
        """For a forked process, which inherits the count but none of the sockets."""
        self.open = 0
        self.publish_soon()

    def publish_soon(self) -> None:
        """The next :meth:`publish_if_due` publishes, changed or not."""
        self._published, self._heartbeat = None, 0.0

    def publish_if_due(self, now: float) -> None:
        """The count goes out when it changed (at most once a call) and with every heartbeat."""
        if now - self._heartbeat > HEARTBEAT_SECONDS or self.open != self._published:
            self._heartbeat, self._published = now, self.open
            self.publish()

    def publish(self, stopping: bool = False) -> None:
        if self.quick is None:
            return
        name = process_name()
        try:
            pipe = self.quick.pipeline(transaction=False)
            if stopping and not self.open:
                pipe.hdel(SOCKETS_KEY, name)
                pipe.delete(_alive_key(name))
            else:
                pipe.hset(SOCKETS_KEY, name, self.open)
                pipe.set(_alive_key(name), 1, ex=int(HEARTBEAT_SECONDS * 3))
            pipe.execute()
        except RedisError as exc:
            log.info("socket count not published: %s", exc)

    def total(self) -> int:
        """Open sockets across every live web process (this one only, without Redis)."""
        if self.quick is None:
            return self.open
        counts = cast(dict[str, str], self.quick.hgetall(SOCKETS_KEY))  # the client decodes replies
        names = list(counts)
        pipe = self.quick.pipeline(transaction=False)
        for name in names:
            pipe.exists(_alive_key(name))
        alive = pipe.execute() if names else []
        dead = [name for name, up in zip(names, alive, strict=True) if not up]
        if dead:
            self.quick.hdel(SOCKETS_KEY, *dead)  # processes that died without saying goodbye
        return sum(int(counts[name]) for name, up in zip(names, alive, strict=True) if up)
