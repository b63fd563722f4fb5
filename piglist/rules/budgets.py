"""Budgets: how many of a costly thing one person may start in a minute (fetching a link,
decoding an uploaded picture). Each is spent where the work is asked for, in the domain, so the
page and the API share one counter and switching door buys nothing; a refusal is RateLimited
(429, with how long to wait). With Redis unreachable the work is allowed: a budget protects the
workers, it must not take the feature down with Redis."""

from __future__ import annotations

import logging
import time

from limits import RateLimitItem
from redis.exceptions import RedisError

from ..errors import RateLimited
from ..extensions import limiter
from ..models import User

log = logging.getLogger(__name__)


def spend(item: RateLimitItem, scope: str, user: User, refusal: str) -> None:
    """Count one against ``user``'s ``item`` in ``scope``; past it, RateLimited with ``refusal``
    (``{wait}`` in it becomes the seconds to wait)."""
    strategy = limiter.limiter
    try:
        if strategy.hit(item, scope, str(user.id)):
            return
        reset = strategy.get_window_stats(item, scope, str(user.id)).reset_time
    except RedisError as exc:
        log.warning("%s budget unavailable, allowing: %s", scope, exc)
        return
    wait = max(1, int(reset - time.time()))
    raise RateLimited(refusal.format(wait=wait), retry_after=wait)
