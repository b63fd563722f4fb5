"""The background worker: ``python worker.py`` runs ``WORKER_PROCESSES`` RQ workers (default 4)
on Piglist's queues, so one slow shop holds up one process, not every scrape; and, when the
render fallback is on (SCRAPER_RENDER), one more on the render queue, so at most one headless
Chromium runs per worker.

RQ's worker pool (``rq.worker_pool.WorkerPool``) forks the workers, starts a new one when one
dies, and on SIGTERM or SIGINT lets each finish its current job. Beside its workers it keeps two
more processes alive, started and stopped with them: the render queue's own pool of one, and the
housekeeping (presence sweeps, stale-scrape re-queues, due retries), run once for all.

Jobs receive ids, never ORM objects, and push their own app context (piglist.stores.jobs.job).
Every process makes its own app after the fork, as a fresh ``python worker.py`` would: nothing
but imported code is shared. Without REDIS_URL there is nothing to run: the web process runs jobs
in a thread.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from redis import Redis
from rq.worker_pool import WorkerPool

from config import ConfigError, refuse_to_start
from piglist import create_app
from piglist.ops import errortracking, housekeeping
from piglist.scraping import rendering
from piglist.stores import jobs


def process_app():
    """This process's app, its errors reported, serving the jobs it runs."""
    app = create_app()
    errortracking.init_app(app, "worker")
    jobs.serve_jobs_with(app)
    return app


class Worker(jobs.PiglistWorker):
    """A pool's worker: its app made in its own process, and taking the queues in turn (the
    pool starts ``work()`` without a dequeue strategy)."""

    def work(self, *args: Any, **kwargs: Any) -> bool:
        process_app()
        kwargs.setdefault("dequeue_strategy", jobs.DEQUEUE_STRATEGY)
        return super().work(*args, **kwargs)


def render_pool_main() -> None:
    """The render queue's one worker, in a pool of its own: one headless Chromium at a time."""
    url = create_app().config["REDIS_URL"]  # the worker makes its own: this process forks it
    WorkerPool(
        [jobs.RENDER_QUEUE], connection=Redis.from_url(url), num_workers=1, worker_class=Worker
    ).start()


def housekeeping_main() -> None:
    """The chores, until SIGTERM or SIGINT."""
    stop = housekeeping.start(process_app())

    def finish(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    while not stop.wait(1):  # a plain wait() would not wake for the signal handler
        pass


class Pool(WorkerPool):
    """RQ's pool, keeping ``companions`` (name → function) alive beside its workers: each in a
    process forked before the pool has anything but its main thread, started again if it dies,
    and told to stop (SIGINT) with the workers."""

    def __init__(self, *args: Any, companions: dict[str, Callable[[], None]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.companions = companions
        self.companion_processes: dict[str, Any] = {}

    def check_workers(self, respawn: bool = True) -> None:
        super().check_workers(respawn)
        if not respawn or self.status == self.Status.STOPPED:
            return
        for name, target in self.companions.items():
            process = self.companion_processes.get(name)
            if process is None or not process.is_alive():
                if process is not None:
                    self.log.info("%s (pid %s) is dead: starting it again", name, process.pid)
                    process.join()
                process = multiprocessing.get_context("fork").Process(target=target, name=name)
                process.start()
                self.companion_processes[name] = process

    def stop_workers(self) -> None:
        super().stop_workers()
        for process in self.companion_processes.values():
            if process.is_alive():
                os.kill(process.pid, signal.SIGINT)

    def all_workers_have_stopped(self) -> bool:
        companions_alive = any(process.is_alive() for process in self.companion_processes.values())
        return super().all_workers_have_stopped() and not companions_alive


def worker_count() -> int:
    value = os.environ.get("WORKER_PROCESSES", "4")
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise SystemExit(f"WORKER_PROCESSES must be a whole number of processes (1 or more), not {value!r}.")
    return int(value)


def main() -> int:
    try:
        app = create_app()
    except ConfigError as problem:
        refuse_to_start(problem)
    if not app.config["REDIS_URL"]:
        print("REDIS_URL is not set: jobs run inside the web process, no worker is needed.", file=sys.stderr)
        return 2
    count = worker_count()
    companions: dict[str, Callable[[], None]] = {"piglist-housekeeping": housekeeping_main}
    with app.app_context():
        if rendering.enabled():
            companions["piglist-render"] = render_pool_main
    if threading.active_count() != 1:  # a fork copies no thread but may copy a lock one held
        raise RuntimeError("worker.py forks its processes, and must have no thread of its own")
    pool = Pool(
        jobs.QUEUE_NAMES,
        connection=Redis.from_url(app.config["REDIS_URL"]),
        num_workers=count,
        worker_class=Worker,
        companions=companions,
    )
    pool.start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
