"""The lock: when a group's lists freeze, and what a frozen list refuses.

A group is frozen when an admin locked it by hand (``is_locked``) or its lock date has passed
(the lock date itself is the last day to edit, in UTC). Frozen, owners can't add, edit or
delete gifts and admins can't change categories; buying and undoing still work, and so
does a background scrape finishing a gift that was added before the lock (the owner asked
for it while the list was open; it changes nothing the owner chose and no limit can be
passed by it, since a price over a limit is never filled in).
"""

from __future__ import annotations

from ..errors import GroupLocked
from ..models import Group, today


def is_frozen(group: Group) -> bool:
    return group.is_locked or (group.lock_date is not None and today() > group.lock_date)


def ensure_unlocked(group: Group, what: str = "The lists") -> None:
    """Raises GroupLocked when ``group`` is frozen; ``what`` names what the change touches."""
    if is_frozen(group):
        raise GroupLocked(f"{what} of {group.name} are locked; an admin can unlock them.")
