"""Chores that keep live state honest: forget viewers who went silent (and tell the others),
re-queue scrapes that were left pending (a worker died, Redis was down when the gift was added),
queue retries whose delay is over even while RQ's scheduler is down, queue the purchaser
alerts whose time has come, forget idempotency keys older than a day, and (hourly) the occasion
reminders that are due.

They run in the worker process when Redis is used (``python worker.py``), or in a thread of the
single web process otherwise: the presence sweep every second (so a silent viewer's departure
reaches the others about a second after their entry expires), the re-queueing every 10 s.
"""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from piglist.stores import fx, jobs

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1
REQUEUE_SECONDS = 10


def run_once(requeue: bool = True, remind: bool = False) -> None:
    from piglist.gifts.alerts import queue_due_alerts
    from piglist.live.viewing import sweep_presence
    from piglist.occasions.reminders import queue_due_reminders
    from piglist.scraping.gifts import requeue_stale_scrapes
    from piglist.web.idempotency import forget_expired

    sweep_presence()
    if requeue:
        requeued = requeue_stale_scrapes()
        if requeued:
            log.info("re-queued %s stale scrapes", requeued)
        if current_app.config["REDIS_URL"]:
            promoted = jobs.promote_due_retries(jobs.rq_connection())
            if promoted:
                log.info("queued %s due retries", promoted)
        queue_due_alerts()
        forget_expired()
    if remind:
        reminded = queue_due_reminders()
        if reminded:
            log.info("queued %s occasion reminders", reminded)
        rates = fx.refresh_if_due()  # daily, from FX_RATES_URL
        if rates is not None:
            log.info("exchange rates of %s stored", rates.day)


def _loop(app: Flask, stop: threading.Event) -> None:
    from piglist.occasions.reminders import REMIND_SECONDS

    last_requeue = time.monotonic()
    last_remind = None  # at start, then hourly
    while not stop.wait(SWEEP_SECONDS):
        requeue = time.monotonic() - last_requeue >= REQUEUE_SECONDS
        if requeue:
            last_requeue = time.monotonic()
        remind = last_remind is None or time.monotonic() - last_remind >= REMIND_SECONDS
        if remind:
            last_remind = time.monotonic()
        try:
            with app.app_context():
                run_once(requeue, remind)
        except Exception:  # a failed round must not end the chores for good
            log.exception("housekeeping round failed")
            time.sleep(REQUEUE_SECONDS)


def start(app: Flask) -> threading.Event:
    """Run the chores in a daemon thread; set the returned event to stop them."""
    stop = threading.Event()
    threading.Thread(target=_loop, args=(app, stop), name="piglist-housekeeping", daemon=True).start()
    return stop


def init_app(app: Flask) -> None:
    """In single-process mode the web process does the chores, from its first request on (so CLI
    commands, which serve no requests, never start them). ``HOUSEKEEPING=False`` turns them off
    (tests of a production app on a bare in-memory database)."""
    if app.config["REDIS_URL"] or app.testing or not app.config.get("HOUSEKEEPING", True):
        return
    started = threading.Lock()

    @app.before_request
    def start_housekeeping_once() -> None:
        if started.acquire(blocking=False):
            start(app)
