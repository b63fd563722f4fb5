"""Background jobs: an RQ queue when REDIS_URL is set (run by ``python worker.py``)."""

QUEUE_NAMES = ["piglist"]
