"""The background worker: ``python worker.py`` runs ``WORKER_PROCESSES`` RQ workers (default 4)
on Piglist's queues, so one slow shop holds up one process, not every scrape; and, when the
render fallback is on (SCRAPER_RENDER), one more on the render queue, so at most one headless
Chromium runs per worker.

Jobs receive ids, never ORM objects, and push their own app context (piglist.stores.jobs.job).
This process supervises: it restarts a worker that dies, and runs the housekeeping (presence
sweeps, stale-scrape re-queues, due retries) once for all. Without REDIS_URL there is nothing
to run: the web process runs jobs in a thread.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time

from config import ConfigError, refuse_to_start
from piglist import create_app
from piglist.ops import errortracking, housekeeping
from piglist.scraping import rendering
from piglist.stores import jobs


def worker_main(queues: list[str] = jobs.QUEUE_NAMES) -> None:
    app = create_app()
    errortracking.init_app(app, "worker")
    jobs.serve_jobs_with(app)
    jobs.work(app.config["REDIS_URL"], queues)


def render_worker_main() -> None:
    """The render queue's one process: one headless Chromium at a time per worker."""
    worker_main([jobs.RENDER_QUEUE])


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
    errortracking.init_app(app, "worker")
    if not app.config["REDIS_URL"]:
        print("REDIS_URL is not set: jobs run inside the web process, no worker is needed.", file=sys.stderr)
        return 2
    count = worker_count()
    housekeeping.start(app)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or sockets
    targets = {f"piglist-worker-{n}": worker_main for n in range(count)}
    with app.app_context():
        if rendering.enabled():
            targets["piglist-render"] = render_worker_main
    processes = [context.Process(target=target, name=name) for name, target in targets.items()]
    for process in processes:
        process.start()

    def stop(signum: int, _frame: object) -> None:
        for process in processes:
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)  # RQ's warm shutdown: the current job finishes
        for process in processes:
            process.join(timeout=30)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        for n, process in enumerate(processes):
            if not process.is_alive():
                processes[n] = context.Process(target=targets[process.name], name=process.name)
                processes[n].start()
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
