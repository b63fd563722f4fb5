"""Real concurrent requests: calls started at the same moment, each in a thread of its own."""

from __future__ import annotations

import threading
from collections import Counter


def run_together(calls):
    """Start every call at the same moment, each in its own thread; their responses' statuses."""
    barrier = threading.Barrier(len(calls))
    statuses = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
        statuses[index] = call().status_code

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)
