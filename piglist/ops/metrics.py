"""``GET /metrics``: the site's figures in Prometheus' text format, for an operator's scraper
and alerts (docs/operations.md lists the alerts worth setting).

Answered only with ``Authorization: Bearer $METRICS_TOKEN``; when the setting is unset the route
is a 404, as if it didn't exist. The counters are kept where things happen
(piglist.stores.metrics); this module times every request by its route rule and reads, at
scrape time, what other stores already know: open sockets across the web processes, the job
queues and their failures by kind, and this process's Redis breaker.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import event
from sqlalchemy.pool import ConnectionPoolEntry

from piglist.extensions import db
from piglist.live import socket_count
from piglist.stores import jobs, metrics
from piglist.stores.redis_store import get_breaker

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def exposition() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    offered = request.headers.get("Authorization", "")
    if not token or not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        abort(404)
    body, content_type = metrics.exposition(ReadAtScrape(current_app._get_current_object()))  # type: ignore[attr-defined]
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


class ReadAtScrape(Collector):
    """Figures other stores keep, read when Prometheus asks."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[GaugeMetricFamily]:
        sockets = GaugeMetricFamily("piglist_live_sockets", "Open live sockets across the web processes.")
        breaker = GaugeMetricFamily(
            "piglist_redis_breaker_open",
            "1 while this web process's Redis breaker is open (Redis unreachable).",
        )
        breaker.add_metric([], 1 if get_breaker(self.app).is_open else 0)
        yield breaker
        limit = GaugeMetricFamily(
            "piglist_live_connection_limit",
            "Sockets and long polls one web process holds at most together (LIVE_CONNECTIONS).",
        )
        limit.add_metric([], self.app.extensions["piglist_live_capacity"].limit)
        yield limit
        try:
            sockets.add_metric([], socket_count())
            yield sockets
            yield from self._queues()
        except RedisError:
            return  # the breaker says why; the rest of the figures still answer

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        if self.app.extensions.get("piglist_jobs") is not None:
            return  # the embedded mode: jobs run in this process's threads, no shared queue
        depth = GaugeMetricFamily("piglist_jobs_queued", "Jobs waiting, by queue.", labels=["queue"])
        failed = GaugeMetricFamily(
            "piglist_jobs_failed_kept", "Failed jobs RQ still keeps (an hour), by kind.", labels=["kind"]
        )
        oldest = GaugeMetricFamily(
            "piglist_jobs_oldest_queued_seconds", "Age of the oldest waiting job across the queues."
        )
        connection = jobs.rq_connection(self.app)
        kinds: dict[str, int] = {}
        age = 0.0
        for name in jobs.ALL_QUEUE_NAMES:
            queue = Queue(name, connection=connection)
            depth.add_metric([name], queue.count)
            first = queue.get_job_ids(0, 0)
            if first:
                found = Job.fetch(first[0], connection=connection)
                if found.enqueued_at is not None:
                    age = max(age, time.time() - found.enqueued_at.timestamp())
            for job in Job.fetch_many(FailedJobRegistry(queue=queue).get_job_ids(), connection=connection):
                if job is not None:
                    kind = (job.func_name or "").rsplit(".", 1)[-1]
                    kinds[kind] = kinds.get(kind, 0) + 1
        for kind, count in sorted(kinds.items()):
            failed.add_metric([kind], count)
        oldest.add_metric([], age)
        yield from (depth, failed, oldest)


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        metrics.REQUEST_SECONDS.labels(route, request.method).observe(time.perf_counter() - started)
    return response


_COUNTED = "piglist_counted_checkout"


def _count_pool(app: Flask) -> None:
    """Connections in use, counted once per engine, however many apps share it."""
    with app.app_context():
        engine = db.engine
    if event.contains(engine, "checkout", _checked_out):
        return
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)


def _checked_out(_dbapi_connection: object, record: ConnectionPoolEntry, *_: object) -> None:
    metrics.DB_CONNECTIONS_IN_USE.inc()
    kept = record.record_info  # outlives an invalidated connection, unlike ``info``
    if kept is not None:
        kept[_COUNTED] = True


def _checked_in(_dbapi_connection: object, record: ConnectionPoolEntry | None) -> None:
    # Only a checkout this listener counted: a connection taken before the engine got its listeners
    # (an app made while another held it) would otherwise leave the gauge below zero for good.
    kept = record.record_info if record is not None else None
    if kept is None or kept.pop(_COUNTED, False):
        metrics.DB_CONNECTIONS_IN_USE.dec()


def init_app(app: Flask) -> None:
    app.before_request(_started)
    app.after_request(_answered)
    _count_pool(app)
    app.register_blueprint(bp)
