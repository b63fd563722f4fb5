"""Chores that keep live state honest: forget viewers who went silent (and tell the others),
re-queue scrapes that were left pending (a worker died, Redis was down when the gift was added),
and queue retries whose delay is over even while RQ's scheduler is down.

They run every few seconds in the worker process when Redis is used (``python worker.py``), or
in a thread of the single web process otherwise.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from . import jobs

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 10


def run_once() -> None:
    from .gifts.live import sweep_presence
    from .gifts.scraping import requeue_stale_scrapes

    sweep_presence()
    requeued = requeue_stale_scrapes()
    if requeued:
        log.info("re-queued %s stale scrapes", requeued)
    if current_app.config["REDIS_URL"]:
        promoted = jobs.promote_due_retries(jobs.rq_connection())
        if promoted:
            log.info("queued %s due retries", promoted)


def _loop(app: Flask, stop: threading.Event) -> None:
    while not stop.wait(INTERVAL_SECONDS):
        try:
            with app.app_context():
                run_once()
        except Exception:  # a failed round must not end the chores for good
            log.exception("housekeeping round failed")
            time.sleep(INTERVAL_SECONDS)


def start(app: Flask) -> threading.Event:
    """Run the chores in a daemon thread; set the returned event to stop them."""
    stop = threading.Event()
    threading.Thread(target=_loop, args=(app, stop), name="piglist-housekeeping", daemon=True).start()
    return stop


def init_app(app: Flask) -> None:
    """In single-process mode the web process does the chores, from its first request on (so CLI
    commands, which serve no requests, never start them)."""
    if app.config["REDIS_URL"] or app.testing:
        return
    started = threading.Lock()

    @app.before_request
    def start_housekeeping_once() -> None:
        if started.acquire(blocking=False):
            start(app)
