"""Who may still listen to a group, as this web process last read its members.

An open socket makes sure its person is still a member of the group it hears: before each event
it delivers and on each heartbeat (every 25 s per open tab), so someone removed from a group
stops hearing it. One query per socket per check made that about 200 queries a second for 5,000
open tabs, and after a quiet minute every socket of a group queried at once, inside the fan-out
of the next purchase, queueing for the pool's connections (issue 27). A group's members are read
here once per process and :data:`MAX_AGE` instead, and every socket of the group answers from
that; so a removal reaches the group's sockets within :data:`MAX_AGE` (each socket's heartbeat
did it within 25 s before). Someone not in the members as read is looked for again at once,
unless the group was read within :data:`RECHECK`: a person who has just joined (their socket's
handshake checked the database) is never taken for a person removed.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import GroupMember

MAX_AGE = 20.0  # seconds a group's members are taken as read for those found in them
RECHECK = 2.0  # someone not found is looked for again if the members are older than this
GROUPS_KEPT = 20_000  # groups whose members a process keeps (a frozenset of ids each)

MEMBERS_OF = select(GroupMember.user_id).where(GroupMember.group_id == bindparam("group_id"))

_NEVER = (float("-inf"), frozenset[int]())


class Listeners:
    """Each group's member ids and when they were read. A hit reads a dict (atomic under the GIL
    and between greenlets) and takes no lock; reads take one lock, so while a group is read the
    sockets that need it wait for that one query rather than each making their own."""

    def __init__(self, max_age: float = MAX_AGE, recheck: float = RECHECK) -> None:
        self.max_age = max_age
        self.recheck = recheck
        self._members: dict[int, tuple[float, frozenset[int]]] = {}
        self._reading = threading.Lock()

    def may_listen(self, group_id: int, user_id: int) -> bool:
        read_at, members = self._members.get(group_id, _NEVER)
        age = time.monotonic() - read_at
        if age < (self.max_age if user_id in members else self.recheck):
            return user_id in members
        return user_id in self._read(group_id, read_at)

    def _read(self, group_id: int, seen: float) -> frozenset[int]:
        with self._reading:
            read_at, members = self._members.get(group_id, _NEVER)
            if read_at > seen:  # read by another socket while this one waited
                return members
            members = frozenset(db.session.scalars(MEMBERS_OF, {"group_id": group_id}))
            if len(self._members) >= GROUPS_KEPT:
                self._members.clear()  # a crude bound: they are read again as they are needed
            self._members[group_id] = (time.monotonic(), members)
            return members
