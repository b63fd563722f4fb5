"""Who is looking at which gift right now: the store.

A viewer is one connection (a socket, or a tab's fallback heartbeat) of one user on one gift.
Each connection refreshes its entry at least every 30 s; an entry not refreshed for the TTL
(``PRESENCE_TTL_SECONDS``, 60 s) is gone. With Redis the entries of a group live in ONE sorted
set (member ``<gift_id>:<user_id>:<connection>``, score the expiry time), so a whole list's
viewers are read in one round trip and every web process sees the same; without Redis a dict
in this process does the same. Two tabs of one person are two entries but one viewer.

This module only stores; who may *see* viewers is the surprise rule's decision
(piglist.rules.surprise), and announcing changes is piglist.live.viewing's.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app

GROUPS_KEY = "piglist:presence:groups"  # groups that may have viewers, for the sweeper


def group_key(group_id: int) -> str:
    return f"piglist:presence:{group_id}"


def member(gift_id: int, user_id: int, connection: str) -> str:
    return f"{gift_id}:{user_id}:{connection}"


def users_by_gift(members: Iterable[str]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for item in members:
        gift_id, user_id, _ = item.split(":", 2)
        found[int(gift_id)].add(int(user_id))
    return found


@dataclass
class Swept:
    """What a sweep did: entries removed, and the gifts whose set of viewers changed."""

    removed: int
    changed: list[tuple[int, int]]  # (group_id, gift_id)


def _changed(group_id: int, gone: Iterable[str], live: Iterable[str]) -> list[tuple[int, int]]:
    still = users_by_gift(live)
    return sorted(
        {
            (group_id, gift_id)
            for gift_id, users in users_by_gift(gone).items()
            if not users <= still.get(gift_id, set())
        }
    )


# Atomic, so a view arriving meanwhile is never lost from the groups set. KEYS: group, groups.
_SWEEP = """
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
if #live == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
return {gone, live}
"""


class RedisPresence:
    def __init__(self, client, ttl: float) -> None:
        self.client = client
        self.ttl = ttl
        self.sweep_script = client.register_script(_SWEEP)

    def view(self, group_id: int, gift_id: int, user_id: int, connection: str) -> bool:
        """Record or refresh the entry; True when the user was not already looking at the gift."""
        now = time.time()
        key = group_key(group_id)
        pipe = self.client.pipeline()
        pipe.zrangebyscore(key, now, "+inf")
        pipe.zadd(key, {member(gift_id, user_id, connection): now + self.ttl})
        pipe.expire(key, int(self.ttl * 2) + 1)
        pipe.sadd(GROUPS_KEY, group_id)
        before = pipe.execute()[0]
        return user_id not in users_by_gift(before).get(gift_id, set())

    def leave(self, group_id: int, gift_id: int, user_id: int, connection: str) -> bool:
        """Drop the entry; True when the user is no longer looking at the gift because of it."""
        key = group_key(group_id)
        pipe = self.client.pipeline()
        pipe.zscore(key, member(gift_id, user_id, connection))
        pipe.zrem(key, member(gift_id, user_id, connection))
        pipe.zrangebyscore(key, time.time(), "+inf")
        expiry, _, after = pipe.execute()
        was_live = expiry is not None and float(expiry) > time.time()
        return was_live and user_id not in users_by_gift(after).get(gift_id, set())

    def viewers(self, group_id: int, gift_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
        """Who looks at each gift of the group (or of ``gift_ids``): one round trip."""
        found = users_by_gift(self.client.zrangebyscore(group_key(group_id), time.time(), "+inf"))
        wanted = None if gift_ids is None else set(gift_ids)
        return {gid: users for gid, users in found.items() if wanted is None or gid in wanted}

    def queue_viewers(self, pipe, group_id: int) -> None:
        """:meth:`viewers` of the whole group on a pipeline; its answer goes to :func:`users_by_gift`."""
        pipe.zrangebyscore(group_key(group_id), time.time(), "+inf")

    def sweep(self) -> Swept:
        removed, changed = 0, []
        now = time.time()
        for raw in self.client.smembers(GROUPS_KEY):
            group_id = int(raw)
            gone, live = self.sweep_script(keys=[group_key(group_id), GROUPS_KEY], args=[now, group_id])
            removed += len(gone)
            changed += _changed(group_id, gone, live)
        return Swept(removed, changed)


class MemoryPresence:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.groups: dict[int, dict[str, float]] = {}
        self.lock = threading.Lock()

    def _live(self, group_id: int, now: float) -> list[str]:
        return [m for m, expiry in self.groups.get(group_id, {}).items() if expiry > now]

    def view(self, group_id: int, gift_id: int, user_id: int, connection: str) -> bool:
        now = time.time()
        with self.lock:
            before = self._live(group_id, now)
            self.groups.setdefault(group_id, {})[member(gift_id, user_id, connection)] = now + self.ttl
        return user_id not in users_by_gift(before).get(gift_id, set())

    def leave(self, group_id: int, gift_id: int, user_id: int, connection: str) -> bool:
        now = time.time()
        with self.lock:
            expiry = self.groups.get(group_id, {}).pop(member(gift_id, user_id, connection), None)
            after = self._live(group_id, now)
        was_live = expiry is not None and expiry > now
        return was_live and user_id not in users_by_gift(after).get(gift_id, set())

    def viewers(self, group_id: int, gift_ids: Iterable[int] | None = None) -> dict[int, set[int]]:
        with self.lock:
            found = users_by_gift(self._live(group_id, time.time()))
        wanted = None if gift_ids is None else set(gift_ids)
        return {gid: users for gid, users in found.items() if wanted is None or gid in wanted}

    def sweep(self) -> Swept:
        now = time.time()
        removed, changed = 0, []
        with self.lock:
            for group_id, entries in list(self.groups.items()):
                gone = [m for m, expiry in entries.items() if expiry <= now]
                for item in gone:
                    del entries[item]
                removed += len(gone)
                changed += _changed(group_id, gone, entries)
                if not entries:
                    del self.groups[group_id]
        return Swept(removed, changed)


def presence_store() -> RedisPresence | MemoryPresence:
    return current_app.extensions["piglist_live"].presence
