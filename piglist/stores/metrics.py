"""The figures an operator alerts on, counted where things happen (requests, jobs, scrapes, mails,
caches, live deliveries) and read by ``GET /metrics`` (piglist.ops.metrics).

prometheus-client keeps them. gunicorn runs several web processes and the worker runs jobs in
others, so when ``METRICS_DIR`` is set every process writes its counters to files there (the
library's multi-process mode) and whichever web process answers ``/metrics`` adds them all up:
the worker's figures reach the same endpoint. Without it (``flask run``, the tests, the
embedded mode) they live in the process's memory, which is all there is.

RQ runs each job in a short-lived "work horse" forked from the worker; one set of files per job
would pile up, so a horse writes to its worker's files (one job runs at a time per worker). Files
of processes that are gone are removed when a process starts: their counts go with them, which
Prometheus reads as a counter reset (``rate()`` copes).

Labels never carry ids or raw paths: routes are Flask's rules (``/gifts/<int:gift_id>``), jobs
their function's name, scrape failures the error's class.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

_DIRECTORY = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("METRICS_DIR") or ""
if _DIRECTORY:
    # Read by prometheus_client when it is imported: it must be set before the import below.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _DIRECTORY
    Path(_DIRECTORY).mkdir(parents=True, exist_ok=True)

from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

MULTIPROCESS = bool(_DIRECTORY)
_FILE_PID = re.compile(r"_(\d+)\.db$")
_identity = {"pid": 0}  # a work horse's stand-in: its worker's pid


def _process_identifier() -> int:
    return _identity["pid"] or os.getpid()


def write_as_parent() -> None:
    """Called in an RQ work horse: count into the worker's files, not a new set per job."""
    if MULTIPROCESS:
        _identity["pid"] = os.getppid()


def _remove_files_of_gone_processes(directory: str) -> None:
    for path in Path(directory).glob("*.db"):
        match = _FILE_PID.search(path.name)
        if not match:
            continue
        pid = int(match.group(1))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        except PermissionError:
            pass  # alive, someone else's


if MULTIPROCESS:
    _remove_files_of_gone_processes(_DIRECTORY)
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identifier)

# Latency buckets for pages and API answers: a page over 100 ms is slow here; over 2.5 s, broken.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "piglist_http_requests",
    "Answers given, by Flask route rule, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "piglist_http_request_duration_seconds",
    "Time to answer, by Flask route rule and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
LIVE_DELIVERY_SECONDS = Histogram(
    "piglist_live_delivery_seconds",
    "From an event's publication to its hand-over to a waiting socket or long poll in this process.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
JOBS = Counter(
    "piglist_jobs",
    "Job runs by kind (the job's function) and outcome (ok, retried, failed).",
    ["kind", "outcome"],
)
SCRAPES = Counter(
    "piglist_scrapes",
    "Scrapes finished, by outcome (success, failed, retried) and reason (the error's class).",
    ["outcome", "reason"],
)
MAILS = Counter(
    "piglist_mails", "Mails by outcome: sent, logged (no SMTP_URL), retried, failed.", ["outcome"]
)
CACHE = Counter(
    "piglist_cache_lookups",
    "Cache lookups by cache (lists, credentials) and result (hit, miss).",
    ["cache", "result"],
)

# Gauges every process adds to while it lives (summed over the live processes).
LONG_POLLS = Gauge(
    "piglist_live_long_polls",
    "Long polls waiting now, across the web processes.",
    multiprocess_mode="livesum",
)
LIVE_REFUSED = Counter(
    "piglist_live_refused",
    "Sockets and long polls refused because the process held LIVE_CONNECTIONS already.",
)
DB_CONNECTIONS_IN_USE = Gauge(
    "piglist_db_pool_connections_in_use",
    "Database connections checked out of the pools now, across every process.",
    multiprocess_mode="livesum",
)


def count_cache(cache: str, hit: bool) -> None:
    CACHE.labels(cache, "hit" if hit else "miss").inc()


def exposition(*collectors: object) -> tuple[bytes, str]:
    """Prometheus' text format of every process's figures, plus ``collectors`` (figures read at
    scrape time from shared state: sockets, queues, the database pool, the Redis breaker)."""
    if MULTIPROCESS:
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted, path=_DIRECTORY)
    else:
        counted = REGISTRY
    read_now = CollectorRegistry(auto_describe=True)
    for collector in collectors:
        read_now.register(collector)  # type: ignore[arg-type]
    return generate_latest(counted) + generate_latest(read_now), CONTENT_TYPE_LATEST
