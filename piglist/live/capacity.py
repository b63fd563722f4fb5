"""How many live connections — sockets and waiting long polls together — one web process holds.

A gevent worker serves ``WEB_CONNECTIONS`` connections at once (the Procfile passes it to
gunicorn as ``--worker-connections``). Sockets and long polls last minutes, so without a cap
they took every slot and a purchase, a page or ``/api/v1/me`` waited for one. Here they may take
``LIVE_CONNECTIONS`` (80 % of it by default); past that, the next is refused at once with 503 and
``Retry-After`` (the page's live script retries with backoff, the page itself keeps working), so
pages and the API always keep room.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app

from ..errors import Unavailable
from ..stores import metrics

FULL = "Piglist is busy with live updates right now; the page still works and will catch up."


class Capacity:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self.lock = threading.Lock()

    def take(self) -> None:
        """One slot, or Unavailable (503) with a Retry-After spread over a few seconds, so refused
        pages don't all come back at once."""
        with self.lock:
            if self.held >= self.limit:
                metrics.LIVE_REFUSED.inc()
                raise Unavailable(FULL, retry_after=random.randint(2, 10))
            self.held += 1

    def give_back(self) -> None:
        with self.lock:
            self.held = max(self.held - 1, 0)

    @contextmanager
    def holding(self) -> Iterator[None]:
        self.take()
        try:
            yield
        finally:
            self.give_back()


def process_capacity() -> Capacity:
    return current_app.extensions["piglist_live_capacity"]


def init_app(app: Flask) -> None:
    web = app.config["WEB_CONNECTIONS"]
    limit = app.config.get("LIVE_CONNECTIONS") or int(web * 0.8)
    app.extensions["piglist_live_capacity"] = Capacity(
        max(min(limit, web), 1)
    )  # config.py checks the setting
