"""A real RQ worker in a process of its own, as ``python worker.py`` runs it (PiglistWorker,
forking a work horse per job), on a test's database and Redis, for tests that kill its horse:
``python -m tests.support.rq_worker DATABASE_URL REDIS_URL ALLOWED_HOST``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

ROOT = Path(__file__).resolve().parents[2]


def start(app, allowed_host: str) -> subprocess.Popen:
    """The worker for ``app``'s database and Redis, fetching from ``allowed_host`` only."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.rq_worker",
            app.config["SQLALCHEMY_DATABASE_URI"],
            app.config["REDIS_URL"],
            allowed_host,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def work_horses(worker: subprocess.Popen) -> list[int]:
    """The worker's children that lead a process group of their own: RQ's work horses."""
    try:
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()
    except FileNotFoundError:
        return []
    horses = []
    for child in map(int, children):
        try:
            if os.getpgid(child) == child:
                horses.append(child)
        except ProcessLookupError:
            continue
    return horses


def wait_for_horse(worker: subprocess.Popen, seconds: float = 20) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        horses = work_horses(worker)
        if horses:
            return horses[0]
        assert worker.poll() is None, worker.stdout.read().decode() if worker.stdout else ""
        time.sleep(0.05)
    raise AssertionError("the worker forked no work horse")


def stop(worker: subprocess.Popen) -> str:
    """Stop the worker (and a horse it still has) and return what it logged."""
    for horse in work_horses(worker):
        os.kill(horse, 9)
    worker.terminate()
    try:
        output, _ = worker.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
    return output.decode(errors="replace") if output else ""


def main() -> None:
    from config import TestingConfig
    from piglist import create_app
    from piglist.stores import jobs

    database, redis_url, allowed = sys.argv[1:4]
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=database,
        REDIS_URL=redis_url,
        SCRAPER_ALLOW_HOSTS=frozenset({allowed}),
    )
    jobs.serve_jobs_with(app)
    # No scheduler process: the tests' retries have no delay (queued again at once), and the
    # worker's only child is then its work horse.
    worker = jobs.PiglistWorker(jobs.QUEUE_NAMES, connection=Redis.from_url(redis_url))
    worker.work(with_scheduler=False, dequeue_strategy=jobs.DEQUEUE_STRATEGY)


if __name__ == "__main__":
    main()
