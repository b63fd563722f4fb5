"""Who may still listen to a group, as this web process last read its members.

An open socket makes sure its person is still a member of the group it hears: before each event
it delivers and on each heartbeat (every 25 s per open tab), so someone removed from a group
stops hearing it. One query per socket per check made that about 200 queries a second for 5,000
open tabs, and after a quiet minute every socket of a group queried at once, inside the fan-out
of the next purchase, queueing for the pool's connections (issue 27: one group of 5,000 sockets,
p99 over a second). The members of a group are read once per process and :data:`MAX_AGE` here
instead, and every socket of the group answers from that; a removal reaches the sockets within
:data:`MAX_AGE`, as the per-socket check every minute did before.
"""

from __future__ import annotations

import threading
import time

from cachetools import TTLCache
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import GroupMember

MAX_AGE = 60.0  # seconds a group's members are taken as read
GROUPS_KEPT = 20_000  # groups whose members a process keeps (a frozenset of ids each)

MEMBERS_OF = select(GroupMember.user_id).where(GroupMember.group_id == bindparam("group_id"))


class Listeners:
    """Each group's member ids, read at most once per :data:`MAX_AGE` per process. One lock: while
    a group is read, the sockets of it (and of others) wait for that one query rather than each
    making their own; cachetools' caches are not safe to share across threads without one."""

    def __init__(self, max_age: float = MAX_AGE) -> None:
        self._members: TTLCache[int, frozenset[int]] = TTLCache(GROUPS_KEPT, max_age, timer=time.monotonic)
        self._lock = threading.Lock()

    def may_listen(self, group_id: int, user_id: int) -> bool:
        with self._lock:  # held through a read: a cache hit costs nothing, a read one query a minute
            members = self._members.get(group_id)
            if members is None:
                members = frozenset(db.session.scalars(MEMBERS_OF, {"group_id": group_id}))
                self._members[group_id] = members
        return user_id in members
