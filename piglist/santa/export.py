"""A person's Secret Santa data for their export (piglist.auth.export): the exchanges they take
part in and their two threads, as the secrecy rule lets them read it. Exporting opens nothing:
whom they give to is in it only once they have opened it themselves."""

from __future__ import annotations

from typing import Any

from ..models import User
from . import messages, secrecy
from .exchanges import user_exchanges


def export_for(user: User) -> list[dict[str, Any]]:
    found = []
    for exchange, mine in user_exchanges(user):
        view = secrecy.present_exchange(exchange, user, is_admin=False)
        if mine.opened_at is None:
            view["my_recipient"] = None
        found.append({**view, "messages": messages.thread(exchange, user)})
    return found
