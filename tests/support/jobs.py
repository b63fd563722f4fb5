"""Working the job queue in a test: RQ's SimpleWorker with Redis, the thread pool without."""

from __future__ import annotations

import contextvars
import time

from rq import Queue, SimpleWorker
from rq.utils import now as rq_now

from piglist.stores import jobs


def run_jobs(app, seconds: float = 15) -> None:
    """Work the queue until it is empty: RQ's SimpleWorker with Redis, the thread pool without.

    The worker skips RQ's start-up maintenance round (for each of the 17 queues: a lock, then
    sweeping its registries of entries that expired minutes or hours ago, of dead workers, of jobs
    a dead worker left half-taken), ~250 Redis commands and most of a call's CPU. Nothing in a
    test's own Redis database is ever that old; test_scraping_jobs checks what that round would do
    to an abandoned job (``registry.cleanup``)."""
    if app.config["REDIS_URL"]:

        def work() -> None:
            with app.app_context():
                connection = jobs.rq_connection(app)
                queues = [Queue(name, connection=connection) for name in jobs.ALL_QUEUE_NAMES]
                worker = SimpleWorker(queues, connection=connection)
                worker.last_cleaned_at = rq_now()
                worker.work(burst=True)

        contextvars.Context().run(work)
        return
    runner = app.extensions["piglist_jobs"]
    deadline = time.monotonic() + seconds
    while any(info["status"] in ("queued", "started") for info in runner.jobs.values()):
        assert time.monotonic() < deadline, "jobs did not finish"
        time.sleep(0.05)


def queued_jobs(app) -> int:
    """Jobs waiting in the queue (RQ) or not yet finished (the thread pool)."""
    if app.config["REDIS_URL"]:
        connection = jobs.rq_connection(app)
        return sum(Queue(name, connection=connection).count for name in jobs.ALL_QUEUE_NAMES)
    runner = app.extensions["piglist_jobs"]
    return sum(info["status"] in ("queued", "started") for info in runner.jobs.values())
