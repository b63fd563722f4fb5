"""Site-wide figures for operators (``flask piglist stats``): accounts, groups, gifts by scrape
status, open group gifts, the job queue, the live connections and the pages rendered in a browser. Members' own figures, which the surprise rule
shapes, are per group (piglist.gifts.reading.group_stats)."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.lists.service import list_counts
from piglist.live import socket_count
from piglist.models import EXCHANGE_STATUSES, SCRAPE_STATUSES, Exchange, Gift, Group, GroupGift, User
from piglist.occasions.service import occasion_counts
from piglist.scraping.service import render_figures
from piglist.stores import jobs
from piglist.stores.redis_store import redis_status

log = logging.getLogger(__name__)


def site_stats() -> dict[str, Any]:
    """The figures; those Redis holds are None when it is down ("redis" says which: "ok",
    "absent" — single-process mode, where the queue is each process's own — or "down")."""
    by_status = dict(
        db.session.execute(
            select(Gift.scrape_status, func.count())
            .where(Gift.deleted_at.is_(None))
            .group_by(Gift.scrape_status)
        ).all()
    )
    # Counts only: never who drew whom (piglist.santa.secrecy).
    exchanges = dict(
        db.session.execute(select(Exchange.status, func.count()).group_by(Exchange.status)).all()
    )
    figures: dict[str, Any] = {
        "users": db.session.scalar(select(func.count()).select_from(User)),
        "groups": db.session.scalar(select(func.count()).select_from(Group)),
        "gifts": {status: by_status.get(status, 0) for status in SCRAPE_STATUSES},
        **list_counts(),
        "occasions": occasion_counts(),
        "exchanges": {status: exchanges.get(status, 0) for status in EXCHANGE_STATUSES},
        # Counts only: who pledged what is members' business (SPEC §10.11).
        "open_group_gifts": db.session.scalar(
            select(func.count())
            .select_from(GroupGift)
            .join(Gift, Gift.id == GroupGift.gift_id)
            .where(GroupGift.status == "open", Gift.deleted_at.is_(None))
        ),
        "redis": redis_status(),
        "queue": None,
        "live_sockets": None,
        "renders": None,
    }
    if figures["redis"] == "down":
        return figures
    try:
        figures["queue"] = jobs.queue_counts()
        figures["live_sockets"] = socket_count()
        figures["renders"] = render_figures()
    except RedisError as exc:
        log.warning("redis unreachable for stats: %s", exc)
        figures["redis"] = "down"
    return figures
