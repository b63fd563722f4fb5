"""The background worker: ``python worker.py`` runs an RQ worker on Piglist's queues.

Jobs receive ids, never ORM objects, and push their own app context (piglist.jobs.job).
Without REDIS_URL there is nothing to run: the web process runs jobs in a thread.
"""

from __future__ import annotations

import sys

from redis import Redis
from rq import Worker

from piglist import create_app, housekeeping, jobs


def main() -> int:
    app = create_app()
    url = app.config["REDIS_URL"]
    if not url:
        print("REDIS_URL is not set: jobs run inside the web process, no worker is needed.", file=sys.stderr)
        return 2
    jobs.serve_jobs_with(app)
    # Presence sweeps and stale-scrape re-queues run here, once for all web processes.
    housekeeping.start(app)
    worker = Worker(jobs.QUEUE_NAMES, connection=Redis.from_url(url))
    worker.work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
