"""Who may still listen to a group, as this web process last read its members.

An open socket makes sure its person is still a member of the group it hears: before each event
it delivers and on each heartbeat (every 25 s per open tab), so someone removed from a group
stops hearing it. One query per socket per check made that about 200 queries a second for 5,000
open tabs, and after a quiet minute every socket of a group queried at once, inside the fan-out
of the next purchase, queueing for the pool's connections (issue 27). A group's members are read
here once per process and kept for :data:`MAX_AGE` instead, and every socket of the group answers
from that.

What is kept is forgotten as soon as the group's members change: every commit that adds or
removes a member (someone joins, is removed, leaves, is erased, or the group is deleted) wakes
each web process's hub (piglist.live.feed, ``members_changed``), which calls :meth:`forget` before
it hands on anything more of that group, then tells the group's sockets to ask again. So a
removal reaches the group's sockets at once, in every process (the removed person's socket
closes), not within :data:`MAX_AGE`; a hub that (re)subscribes forgets every group
(:meth:`forget_all`), since it may have missed a change while it was away. :data:`MAX_AGE` is what
is left for a change the hubs never heard (Redis lost the message): it is then noticed within it.
Someone not in the members as read is looked for again at once, unless the group was read within
:data:`RECHECK`: a person who has just joined (their socket's handshake checked the database) is
never taken for a person removed.

A read that overlaps a :meth:`forget` of its group (or a :meth:`forget_all`) answers its caller
but is not kept: it may have been made before the change was committed.
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
    sockets that need it wait for that one query rather than each making their own. Forgetting
    takes a second, brief lock (never held across a query), so the hub never waits on a read."""

    def __init__(self, max_age: float = MAX_AGE, recheck: float = RECHECK) -> None:
        self.max_age = max_age
        self.recheck = recheck
        self._members: dict[int, tuple[float, frozenset[int]]] = {}
        self._reading = threading.Lock()
        self._keeping = threading.Lock()  # storing a read, or forgetting: no query under it
        # Forgets are numbered: a read begun before its group's last forget (or the last
        # forget_all) is not kept. A forget of one group leaves the reads of the others alone.
        self._forgets = 0
        self._forgotten: dict[int, int] = {}  # group id -> the number of its last forget
        self._all_forgotten = 0

    def may_listen(self, group_id: int, user_id: int, fresh: bool = False) -> bool:
        """``fresh``: as read by a query begun after this call (kept for the others), for a socket
        or poll about to hand on what it caught up with once subscribed: a removal committed
        between its own check and its subscription may not have reached this process's hub yet."""
        now = time.monotonic()
        read_at, members = self._members.get(group_id, _NEVER)
        if fresh:
            return user_id in self._read(group_id, now)
        if now - read_at < (self.max_age if user_id in members else self.recheck):
            return user_id in members
        return user_id in self._read(group_id, read_at)

    def forget(self, group_id: int) -> None:
        """The group's members changed (a commit has them): its next check reads them again."""
        with self._keeping:
            self._forgets += 1
            self._members.pop(group_id, None)
            if len(self._forgotten) >= GROUPS_KEPT:
                self._forgotten.clear()
                self._all_forgotten = self._forgets  # as good as forgetting every group's reads
            self._forgotten[group_id] = self._forgets

    def forget_all(self) -> None:
        """Changes may have gone unheard (the hub was away): every group is read again."""
        with self._keeping:
            self._forgets += 1
            self._members.clear()
            self._forgotten.clear()
            self._all_forgotten = self._forgets

    def _read(self, group_id: int, seen: float) -> frozenset[int]:
        """The members as read by a query begun after ``seen``: another socket's, made while this
        one waited for the lock, or this one's own. A read is kept with the time it began."""
        with self._reading:
            read_at, members = self._members.get(group_id, _NEVER)
            if read_at > seen:  # read by another socket while this one waited
                return members
            forgets = self._forgets
            began = time.monotonic()
            members = frozenset(db.session.scalars(MEMBERS_OF, {"group_id": group_id}))
            with self._keeping:
                if max(self._forgotten.get(group_id, 0), self._all_forgotten) > forgets:
                    return members  # a change came while reading: the next check reads again
                if len(self._members) >= GROUPS_KEPT:
                    self._members.clear()  # a crude bound: they are read again as they are needed
                self._members[group_id] = (began, members)
            return members
