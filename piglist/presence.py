"""Who is looking at which gift right now.

A viewer is one connection (a tab) of one user on one gift. Each connection refreshes
its entry at least every 30 s; an entry not refreshed for 60 s is gone. With Redis the
entries live in one sorted set per gift (member ``<user_id>:<connection>``, score the
expiry time), so every web process sees the same viewers; without Redis, a dict in
this process does the same.

This module only stores; who may *see* viewers is the surprise rule's decision
(piglist.rules.surprise), and announcing changes is piglist.gifts.live's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from flask import current_app

from .redis_store import get_redis

TTL_SECONDS = 60


def gift_key(gift_id: int) -> str:
    return f"piglist:presence:gift:{gift_id}"


ACTIVE_KEY = "piglist:presence:active"  # gift ids that may have viewers, for the sweeper


class RedisPresence:
    def __init__(self, client) -> None:
        self.client = client

    def touch(self, gift_id: int, user_id: int, connection: str) -> None:
        now = time.time()
        pipe = self.client.pipeline()
        pipe.zadd(gift_key(gift_id), {f"{user_id}:{connection}": now + TTL_SECONDS})
        pipe.expire(gift_key(gift_id), TTL_SECONDS * 2)
        pipe.sadd(ACTIVE_KEY, gift_id)
        pipe.execute()

    def leave(self, gift_id: int, user_id: int, connection: str) -> None:
        self.client.zrem(gift_key(gift_id), f"{user_id}:{connection}")

    def viewers(self, gift_ids: Iterable[int]) -> dict[int, set[int]]:
        ids = list(gift_ids)
        if not ids:
            return {}
        now = time.time()
        pipe = self.client.pipeline()
        for gift_id in ids:
            pipe.zrangebyscore(gift_key(gift_id), now, "+inf")
        return {
            gift_id: {int(member.split(":", 1)[0]) for member in members}
            for gift_id, members in zip(ids, pipe.execute(), strict=True)
            if members
        }

    def sweep(self) -> list[int]:
        """Drop expired entries; the gifts whose entries expired."""
        now = time.time()
        changed = []
        for raw in self.client.smembers(ACTIVE_KEY):
            gift_id = int(raw)
            if self.client.zremrangebyscore(gift_key(gift_id), "-inf", now):
                changed.append(gift_id)
            if not self.client.zcard(gift_key(gift_id)):
                self.client.srem(ACTIVE_KEY, gift_id)
        return changed


class MemoryPresence:
    def __init__(self) -> None:
        self.entries: dict[int, dict[str, float]] = {}
        self.lock = threading.Lock()

    def touch(self, gift_id: int, user_id: int, connection: str) -> None:
        with self.lock:
            self.entries.setdefault(gift_id, {})[f"{user_id}:{connection}"] = time.time() + TTL_SECONDS

    def leave(self, gift_id: int, user_id: int, connection: str) -> None:
        with self.lock:
            self.entries.get(gift_id, {}).pop(f"{user_id}:{connection}", None)

    def viewers(self, gift_ids: Iterable[int]) -> dict[int, set[int]]:
        now = time.time()
        with self.lock:
            found = {
                gift_id: {
                    int(m.split(":", 1)[0])
                    for m, expiry in self.entries.get(gift_id, {}).items()
                    if expiry > now
                }
                for gift_id in gift_ids
            }
        return {gift_id: users for gift_id, users in found.items() if users}

    def sweep(self) -> list[int]:
        now = time.time()
        changed = []
        with self.lock:
            for gift_id, members in list(self.entries.items()):
                expired = [m for m, expiry in members.items() if expiry <= now]
                for member in expired:
                    del members[member]
                if expired:
                    changed.append(gift_id)
                if not members:
                    del self.entries[gift_id]
        return changed


def init_app(app) -> None:
    app.extensions["piglist_memory_presence"] = MemoryPresence()


def store() -> RedisPresence | MemoryPresence:
    client = get_redis()
    if client is None:
        return current_app.extensions["piglist_memory_presence"]
    return RedisPresence(client)
