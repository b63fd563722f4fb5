"""The background worker: ``python worker.py`` runs ``WORKER_PROCESSES`` RQ workers (default 4)
on Piglist's queues, so one slow shop holds up one process, not every scrape.

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
from piglist.ops import housekeeping
from piglist.stores import jobs


def worker_main() -> None:
    app = create_app()
    jobs.serve_jobs_with(app)
    jobs.work(app.config["REDIS_URL"])


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
    housekeeping.start(app)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or sockets
    processes = [context.Process(target=worker_main, name=f"piglist-worker-{n}") for n in range(count)]
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
                processes[n] = context.Process(target=worker_main, name=process.name)
                processes[n].start()
        time.sleep(1)


if __name__ == "__main__":
    sys.exit(main())
