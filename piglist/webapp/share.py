"""What a shared link is, and where a person may put it.

A phone's share sheet fills the share target's ``url``, ``text`` and ``title`` as each app sees
fit: many shop apps leave ``url`` empty and put "Look at this! https://…" in ``text``. So the link
is the first web address found in any of them, checked by the same rule as a gift's link.

Where it may go: the person's own list in each of their groups (today's lists). Each destination is
the add form of that list, which fetches the link's details as "Fetch details" does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flask import url_for

from piglist.stores.mail import link as absolute_link
from piglist.stores.mail import site_url

from ..errors import ValidationFailed
from ..groups import access
from ..models import User
from ..rules.lock import is_frozen
from ..rules.values import parse_web_url

# A web address inside shared text: up to the first space or a closing bracket/quote around it.
_LINK_IN_TEXT = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_FIELDS = ("url", "text", "title")


def shared_link(values: Mapping[str, str]) -> str:
    """The link a share carries, or :class:`ValidationFailed` (field ``url``) when it carries none
    that a gift could have."""
    candidates = [values.get(name, "") or "" for name in _FIELDS]
    if not any(candidate.strip() for candidate in candidates):
        raise ValidationFailed("Paste the link to the shop's page.", "url")
    for candidate in candidates:
        found = _LINK_IN_TEXT.search(candidate)
        if found:
            # Sentences end with a full stop or comma that is not part of the link.
            return parse_web_url(found.group(0).rstrip(".,;:!?"), required=True) or ""
    return parse_web_url(candidates[0].strip() or candidates[1].strip(), required=True) or ""


@dataclass(frozen=True)
class Destination:
    """Somewhere a shared link can become a gift: a label a person reads and the add form's link."""

    label: str
    group_name: str
    add_url: str
    frozen: bool


def destinations(user: User, link: str) -> list[Destination]:
    """Every list the user keeps, in the order of their groups; a frozen one is listed (so nobody
    wonders where their group went) but can't be chosen."""
    return [
        Destination(
            label="My list",
            group_name=group.name,
            add_url=url_for("gifts.add", group_id=group.id, url=link, fetch=1),
            frozen=is_frozen(group),
        )
        for group, _membership, _count in access.user_groups(user)
    ]


def bookmarklet() -> str:
    """A bookmark that opens /share in a new tab with the page being looked at. It runs on the
    shop's site, so its link to Piglist is absolute: the site's configured address, never the
    request's ``Host``."""
    share_url = absolute_link(site_url(), "webapp.share_link")
    return f"javascript:void(window.open('{share_url}?url='+encodeURIComponent(location.href),'_blank'))"
