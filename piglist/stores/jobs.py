"""Background jobs: an RQ queue when ``REDIS_URL`` is set (run by ``python worker.py``), a
thread pool inside the web process otherwise.

Jobs are plain functions taking ids, never ORM objects; :func:`job` gives each run an
app context of its own. Retries with exponential backoff are the same in both modes: a
job that raises runs again, up to its retries. Jobs raise :class:`Retry` for a transient
failure, settle permanent ones themselves, and ask :func:`retries_left` whether this is
their last chance.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq import Retry as RQRetry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from rq.worker import DequeueStrategy

from piglist.stores import metrics
from piglist.stores.redis_store import get_breaker, guarded_client

log = logging.getLogger(__name__)

QUEUE = "piglist"
# Fairness: a person's jobs go to one of these queues (by user id) and the worker takes from
# them in turn, so one person's ten slow links never hold up another's one.
FAIR_SHARDS = 16
QUEUE_NAMES = [QUEUE] + [f"{QUEUE}:{shard}" for shard in range(FAIR_SHARDS)]
# Rendering a page in a browser (piglist.scraping.rendering) costs a Chromium: those jobs have a
# queue of their own, which one process per worker takes, one render at a time.
RENDER_QUEUE = f"{QUEUE}:render"
ALL_QUEUE_NAMES = [*QUEUE_NAMES, RENDER_QUEUE]
RESULT_TTL = 60 * 60
# A try that runs past this is killed by RQ (and retried): the fetch itself stops at the
# scraper's 10 s budget, so only a wedged extraction ever gets here.
JOB_TIMEOUT = 60


class Retry(Exception):
    """Raised by a job for a transient failure it wants retried."""


_local = threading.local()
_jobs_app: Flask | None = None


def retries_left() -> int:
    from rq import get_current_job

    current = get_current_job()
    if current is not None:
        return current.retries_left if current.retries_left is not None else 0
    return getattr(_local, "retries_left", 0)


def current_job_id() -> str | None:
    """The id of the job this code runs in (the same on each of its retries), or None outside one."""
    from rq import get_current_job

    current = get_current_job()
    if current is not None:
        return current.id
    return getattr(_local, "job_id", None)


def job(func: Callable) -> Callable:
    """Run the job inside an app context: the web app's in thread mode, the worker's own in RQ."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            return _counted(func, args, kwargs)
        if _jobs_app is None:
            raise RuntimeError("no app for jobs: the worker calls piglist.stores.jobs.serve_jobs_with(app)")
        metrics.write_as_parent()  # an RQ work horse: count into its worker's figures
        with _jobs_app.app_context():
            return _counted(func, args, kwargs)

    return wrapper


def _counted(func: Callable, args: tuple, kwargs: dict[str, Any]) -> Any:
    """Runs the job, counting its outcome by kind for /metrics."""
    try:
        result = func(*args, **kwargs)
    except Retry:
        metrics.JOBS.labels(func.__name__, "retried").inc()
        raise
    except Exception:
        metrics.JOBS.labels(func.__name__, "failed").inc()
        raise
    metrics.JOBS.labels(func.__name__, "ok").inc()
    return result


def serve_jobs_with(app: Flask) -> None:
    """The worker's app, which RQ jobs (run in the worker's forked work horses) push a context of."""
    global _jobs_app
    _jobs_app = app


def rq_connection(app: Flask | None = None) -> Redis:
    """Fails fast, through the process's Redis breaker (piglist.stores.redis_store). RQ stores pickled
    bytes, so this connection must not decode responses. One client (and connection pool) per
    app and process, made on first use: a client per call opened a connection per enqueue."""
    app = app or current_app
    client = app.extensions.get("piglist_rq_redis")
    if client is None:
        client = app.extensions.setdefault(
            "piglist_rq_redis",
            guarded_client(app.config["REDIS_URL"], get_breaker(app), decode_responses=False),
        )
    return client


class ThreadRunner:
    """The embedded mode's queue: same retries, statuses kept in memory for an hour."""

    def __init__(self, app: Flask, workers: int = 4) -> None:
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="piglist-job")
        # The render queue's one lane: one render at a time in this process.
        self.render_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="piglist-render")
        self.jobs: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def submit(
        self, func: Callable, args: tuple, job_id: str, delays: list[float], queue: str | None = None
    ) -> str:
        with self.lock:
            self._forget_old()
            self.jobs[job_id] = {"status": "queued", "result": None, "at": time.time()}
        pool = self.render_pool if queue == RENDER_QUEUE else self.pool
        pool.submit(self._run, func, args, job_id, delays, pool)
        return job_id

    def _run(
        self, func: Callable, args: tuple, job_id: str, delays: list[float], pool: ThreadPoolExecutor
    ) -> None:
        """One attempt; a failure with retries left comes back after its delay on a timer, so a
        job waiting minutes to retry (mail) holds no thread of the pool meanwhile."""
        self._set(job_id, status="started")
        _local.retries_left = len(delays)
        _local.job_id = job_id
        try:
            with self.app.app_context():
                result = func(*args)
        except Exception as exc:
            if not isinstance(exc, Retry):
                log.exception("job %s failed", job_id)
            if delays:
                self._set(job_id, status="queued")
                again = threading.Timer(
                    delays[0], pool.submit, (self._run, func, args, job_id, delays[1:], pool)
                )
                again.daemon = True
                again.start()
            else:
                self._set(job_id, status="failed")
            return
        self._set(job_id, status="finished", result=result)

    def _set(self, job_id: str, **values: Any) -> None:
        with self.lock:
            self.jobs.setdefault(job_id, {"at": time.time()}).update(values)

    def _forget_old(self) -> None:
        cutoff = time.time() - RESULT_TTL
        for job_id in [j for j, info in self.jobs.items() if info["at"] < cutoff]:
            del self.jobs[job_id]

    def status(self, job_id: str) -> dict[str, Any] | None:
        with self.lock:
            info = self.jobs.get(job_id)
            return None if info is None else {"status": info["status"], "result": info.get("result")}


def init_app(app: Flask) -> None:
    if not app.config["REDIS_URL"]:
        app.extensions["piglist_jobs"] = ThreadRunner(app)


def queue_for(person_id: int | None) -> str:
    return QUEUE if person_id is None else f"{QUEUE}:{person_id % FAIR_SHARDS}"


def enqueue(
    func: Callable,
    *args: Any,
    retries: int = 0,
    job_id: str | None = None,
    person_id: int | None = None,
    delays: Sequence[float] = (),
    queue: str | None = None,
) -> str:
    """Queue ``func(*args)`` on behalf of ``person_id`` (see FAIR_SHARDS), or on ``queue``
    (RENDER_QUEUE); a job raising Retry runs again up to ``retries`` times, after ``delays`` (by
    default ``JOB_RETRY_DELAYS``, exponential: 2, 4, 8 s; the last one repeats)."""
    job_id = job_id or uuid.uuid4().hex
    delays = list(delays or current_app.config["JOB_RETRY_DELAYS"])
    delays = [delays[min(n, len(delays) - 1)] for n in range(retries)]
    runner = current_app.extensions.get("piglist_jobs")
    if runner is not None:
        return runner.submit(func, args, job_id, delays, queue)
    retry = RQRetry(max=retries, interval=delays) if retries else None  # type: ignore[arg-type]  # RQ waits fractions too
    Queue(queue or queue_for(person_id), connection=rq_connection()).enqueue(
        func,
        *args,
        job_id=job_id,
        retry=retry,
        job_timeout=JOB_TIMEOUT,
        result_ttl=RESULT_TTL,
        failure_ttl=RESULT_TTL,
    )
    return job_id


# Queueing again in the background (queue_when_redis_answers): how many tries, and the pause
# after the breaker closes before each, so a busy process's hiccup costs seconds, not the
# housekeeping's two-minute re-queue; a Redis that stays down is left to that re-queue.
LATER_TRIES = 8
LATER_PAUSE = 0.5


def queue_when_redis_answers(queue: Callable[[], object], what: str) -> None:
    """Run ``queue`` (some :func:`enqueue` calls) now, or, when Redis didn't take them, again in
    the background once this process's Redis breaker lets calls through.

    The web process's Redis calls give up after 0.1 s and then pause Redis for a few seconds
    (piglist.stores.redis_store): that keeps pages quick when Redis hangs, but a process merely busy
    for a moment (a loaded machine) trips it too, and a job queued then was lost until the
    housekeeping re-queued the gift two minutes later. ``queue`` must be safe to run twice (a
    reply that came too late may still have queued it): the jobs queued this way step aside when
    there is nothing left to do."""
    try:
        queue()
    except RedisError as exc:
        log.warning("%s not queued yet (%s): trying again in the background", what, exc)
        app = current_app._get_current_object()  # type: ignore[attr-defined]  # the real app, for the thread
        threading.Thread(
            target=_queue_later, args=(app, queue, what), daemon=True, name="piglist-queue-later"
        ).start()


def _queue_later(app: Flask, queue: Callable[[], object], what: str) -> None:
    breaker = get_breaker(app)
    for _ in range(LATER_TRIES):
        time.sleep(max(breaker.open_until - time.monotonic(), 0) + LATER_PAUSE)
        with app.app_context():
            try:
                queue()
            except RedisError:
                continue
        log.info("%s queued after all", what)
        return
    log.warning("%s still not queued: the housekeeping's re-queue will", what)


STATUS_NAMES = {
    JobStatus.QUEUED: "queued",
    JobStatus.DEFERRED: "queued",
    JobStatus.SCHEDULED: "queued",
    JobStatus.STARTED: "started",
    JobStatus.FINISHED: "finished",
    JobStatus.FAILED: "failed",
    JobStatus.STOPPED: "failed",
    JobStatus.CANCELED: "failed",
}


def status(job_id: str) -> dict[str, Any] | None:
    """``{"status": queued|started|finished|failed, "result": …}`` or None for an unknown id."""
    runner = current_app.extensions.get("piglist_jobs")
    if runner is not None:
        return runner.status(job_id)
    try:
        found = Job.fetch(job_id, connection=rq_connection())
    except NoSuchJobError:
        return None
    state = STATUS_NAMES.get(found.get_status(refresh=False), "queued")
    return {"status": state, "result": found.return_value() if state == "finished" else None}


# --- the RQ worker ----------------------------------------------------------------------------


class PiglistWorker(Worker):
    """RQ's worker, quick to notice a dead colleague. RQ keeps a started job's entry alive for
    60 s past each heartbeat and cleans up every 10 minutes, so a job whose worker was killed
    sat "started" for up to ~12 minutes; here the entry lapses 15 s after the last heartbeat
    and the clean-up runs every 10 s, which sends the job back (it still has its retries)."""

    HEARTBEAT_GRACE = 10  # seconds past the heartbeat interval before a job counts as abandoned

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("job_monitoring_interval", 5)
        kwargs.setdefault("maintenance_interval", 10)
        super().__init__(*args, **kwargs)

    def get_heartbeat_ttl(self, job: Job, working_time: float = 0.0) -> int:
        return self.job_monitoring_interval + self.HEARTBEAT_GRACE


# Every queue taken in turn, not the first non-empty one: the fairness of FAIR_SHARDS.
DEQUEUE_STRATEGY = DequeueStrategy.ROUND_ROBIN


def work(url: str, queues: Sequence[str] = QUEUE_NAMES) -> None:
    """One worker process, on every queue but the render queue (or on ``queues``)."""
    connection = Redis.from_url(url)
    worker = PiglistWorker(list(queues), connection=connection)
    worker.work(with_scheduler=True, dequeue_strategy=DEQUEUE_STRATEGY)


def promote_due_retries(connection: Redis) -> int:
    """Queue the retries whose delay is over. RQ's scheduler does this, but a killed scheduler's
    lock keeps the others from taking over for a minute; this runs with the housekeeping in
    the worker, so retries go on meanwhile. Whoever removes a retry from the schedule queues it."""
    promoted = 0
    for name in ALL_QUEUE_NAMES:
        queue = Queue(name, connection=connection)
        registry = ScheduledJobRegistry(queue=queue)
        for job_id in registry.get_jobs_to_schedule(int(time.time())):
            if not connection.zrem(registry.key, job_id):
                continue  # the scheduler was quicker
            try:
                queue.enqueue_job(Job.fetch(job_id, connection=connection))
            except NoSuchJobError:
                continue
            promoted += 1
    return promoted


def queue_counts() -> dict[str, int] | None:
    """``{"queued": …, "failed": …}`` over the shared RQ queues (failed: kept an hour, then
    dropped), or None in single-process mode, where each process has a queue of its own. Raises
    RedisError."""
    if current_app.extensions.get("piglist_jobs") is not None:
        return None
    queues = [Queue(name, connection=rq_connection()) for name in ALL_QUEUE_NAMES]
    return {
        "queued": sum(queue.count for queue in queues),
        "failed": sum(FailedJobRegistry(queue=queue).count for queue in queues),
    }
