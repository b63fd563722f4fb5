"""Scraping as the product uses it, around the scraper library (piglist.scraper: a URL in, a
product out): the per-person budget, the 24-hour cache per normalised URL, and the
"Fetch details" preview job. The job that writes a scrape onto a gift lives with the gifts
(piglist.scraping.gifts)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app
from limits import RateLimitItemPerMinute
from redis.exceptions import LockError, RedisError
from redis.lock import Lock

from piglist.errors import NotFound, Unavailable
from piglist.extensions import db
from piglist.models import User
from piglist.rules import budgets
from piglist.scraper.extract import extract
from piglist.scraper.fetch import FetchError, fetch
from piglist.scraping import rendering
from piglist.stores import jobs
from piglist.stores.redis_store import get_redis

log = logging.getLogger(__name__)

SCRAPES_PER_MINUTE = RateLimitItemPerMinute(10)
SCRAPE_RETRIES = 3  # transient failures (timeouts, 5xx, resets) are tried three more times
CACHE_SECONDS = 24 * 60 * 60
# A pending gift older than this is queued again (a worker died, Redis was down when it was
# added): a try takes at most 10 s, all four with their delays about a minute.
PENDING_TOO_LONG = timedelta(minutes=2)
# Query parameters that only say where a visitor came from; the page is the same without them.
TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|yclid|mc_cid|mc_eid|_ga|ref|ref_|tag|igshid|spm)$", re.I
)
UNREADABLE = "We couldn't read that page. Please fill in the details by hand."
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def normalise_url(url: str) -> str:
    """The cache key's URL: lower-case scheme and host, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(sorted(query)), "")
    )


# --- the budget ------------------------------------------------------------------------------


def spend_scrape_budget(user: User) -> None:
    """At most 10 scrapes a minute per person; raises RateLimited (429) past that."""
    budgets.spend(
        SCRAPES_PER_MINUTE,
        "scrape",
        user,
        f"You've fetched {SCRAPES_PER_MINUTE.amount} links in the last minute. Wait {{wait}} seconds, "
        "or fill in the details by hand.",
    )


# --- the cache -------------------------------------------------------------------------------


class MemoryStore:
    """The few Redis calls used here (``get``, ``set`` with ``ex``, counters), in memory, for the single
    process mode; expired entries are dropped as new ones come."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[float, str]] = {}
        self.counters: dict[str, dict[str, int]] = {}
        self.lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self.lock:
            found = self.items.get(key)
            return found[1] if found and found[0] > time.time() else None

    def set(self, key: str, value: Any, ex: int, nx: bool = False) -> bool:
        now = time.time()
        with self.lock:
            for stale in [k for k, (expiry, _) in self.items.items() if expiry <= now]:
                del self.items[stale]
            if nx and key in self.items:
                return False
            self.items[key] = (now + ex, str(value))
            return True

    def delete(self, key: str) -> None:
        with self.lock:
            self.items.pop(key, None)

    @contextmanager
    def exclusive(self, key: str, seconds: int, owner: str | None) -> Iterator[bool]:
        """:func:`exclusive` in this process: the same owner may take its own lock over."""
        token = owner or uuid.uuid4().hex
        with self.lock:
            found = self.items.get(key)
            held = found is None or found[0] <= time.time() or found[1] == token
            if held:
                self.items[key] = (time.time() + seconds, token)
        try:
            yield held
        finally:
            if held:
                with self.lock:
                    if self.items.get(key, (0, None))[1] == token:
                        del self.items[key]

    def hincrby(self, key: str, field: str, amount: int) -> int:
        with self.lock:
            counts = self.counters.setdefault(key, {})
            counts[field] = counts.get(field, 0) + amount
            return counts[field]

    def hgetall(self, key: str) -> dict[str, int]:
        with self.lock:
            return dict(self.counters.get(key, {}))


def _cache_key(url: str) -> str:
    return "piglist:scrape:" + hashlib.sha256(normalise_url(url).encode()).hexdigest()


def init_app(app) -> None:
    """Redis, or this process's memory, chosen once: the scrape cache and who asked for which
    preview."""
    rendering.check_setting(app)
    with app.app_context():
        app.extensions["piglist_scrape_store"] = get_redis() or MemoryStore()


def _store():
    return current_app.extensions["piglist_scrape_store"]


@contextmanager
def exclusive(name: str, seconds: int, owner: str | None = None) -> Iterator[bool]:
    """Whether this caller alone holds ``name`` (for at most ``seconds``), until the block ends:
    across every process with Redis (redis-py's ``Lock``: taken with SET NX, let go with a
    compare-and-delete, so a holder never drops a later holder's lock), within this one without.
    ``owner`` names the holder across attempts (a job's id): the lock a killed attempt left is
    its retry's to take over at once, where anyone else waits for it to lapse. With Redis down
    it says yes: a duplicate scrape is better than none."""
    store = _store()
    if isinstance(store, MemoryStore):
        with store.exclusive(f"piglist:exclusive:{name}", seconds, owner) as held:
            yield held
        return
    lock = store.lock(f"piglist:exclusive:{name}", timeout=seconds, blocking=False, thread_local=False)
    try:
        held = lock.acquire(token=owner) if owner else lock.acquire()
        if not held and owner:
            held = _take_over(store, lock, owner)
    except RedisError as exc:
        log.warning("scrape lock unavailable, going ahead: %s", exc)
        yield True
        return
    try:
        yield held
    finally:
        if held:
            with suppress(LockError, RedisError):  # lapsed meanwhile: nothing of ours to let go
                lock.release()


def _take_over(store: Any, lock: Lock, owner: str) -> bool:
    """Whether the lock held is ``owner``'s own (an earlier attempt that died holding it); if so
    it is ours again, for its full time. The check and the renewal are one atomic script; a lock
    that lapsed in between is simply taken."""
    lock.local.token = store.get_encoder().encode(owner)
    try:
        lock.reacquire()
    except LockError:
        lock.local.token = None
        return lock.acquire(token=owner)
    return True


def mark_once(name: str, seconds: int) -> bool:
    """True the first time ``name`` is marked in ``seconds``; Redis down: True."""
    try:
        return bool(_store().set(f"piglist:mark:{name}", 1, ex=seconds, nx=True))
    except RedisError:
        return True


def _previewed_key(user_id: int, url: str) -> str:
    return f"piglist:scrape:previewed:{user_id}:" + hashlib.sha256(normalise_url(url).encode()).hexdigest()


def previewed_product(user_id: int, url: str) -> dict[str, Any] | None:
    """The shop's answer for ``url`` from the shared cache, only when ``user_id`` asked for its
    preview themselves: the cache is everyone's, and reading it for a link someone else fetched
    would tell whoever saves that link that somebody on the site looked at it (a relative
    adding it as an idea, say)."""
    try:
        if not _store().get(_previewed_key(user_id, url)):
            return None
    except RedisError:
        return None
    return cached_product(url)


def cached_product(url: str) -> dict[str, Any] | None:
    try:
        raw = _store().get(_cache_key(url))
    except RedisError:
        return None
    return json.loads(raw) if raw else None


class RenderNeeded(Exception):
    """The page builds its product with JavaScript: the scrape goes on in a render job
    (``scrape_url(url, render=True)`` on the render queue)."""


def scrape_url(url: str, *, render: bool = False) -> dict[str, Any]:
    """Title, price, regular price, currency, image, description and options of the page at
    ``url`` — from the cache when it was fetched in the last 24 hours. Raises FetchError (a
    NotAProductPage for a captcha, consent wall or "not found" page), and RenderNeeded for a
    page worth rendering unless ``render`` (the render job) says to render it here."""
    hit = cached_product(url)
    if hit is not None:
        return hit
    # SPEC: 10 s connect+read per try, all hops together; a drip-feeding shop is cut off there.
    seconds = current_app.config["SCRAPER_TIMEOUT"]
    page = fetch(url, allow_hosts=current_app.config["SCRAPER_ALLOW_HOSTS"], timeout=seconds, budget=seconds)
    product = extract(page.text, page.url)
    if rendering.worth_rendering(page, product):
        if not render:
            raise RenderNeeded(url)
        product = rendering.rendered_product(page, product, _store())
    found = {
        "title": product.title,
        "price": f"{product.price:.2f}" if product.price is not None else None,
        "regular_price": f"{product.regular_price:.2f}" if product.regular_price is not None else None,
        "currency": product.currency,
        "image_url": product.image_url,
        "description": product.description,
        "options": product.options or {},
    }
    try:
        _store().set(_cache_key(url), json.dumps(found), ex=CACHE_SECONDS)
    except RedisError as exc:
        log.warning("scrape cache unavailable: %s", exc)
    return found


# --- "Fetch details" previews ------------------------------------------------------------------


def _owner_key(job_id: str) -> str:
    return f"piglist:scrape-job:{job_id}"


def start_preview(user: User, url: str) -> str:
    spend_scrape_budget(user)
    try:
        job_id = jobs.enqueue(preview_scrape, url, retries=SCRAPE_RETRIES, person_id=user.id)
        # Only the person who asked may read the answer.
        _store().set(_owner_key(job_id), user.id, ex=jobs.RESULT_TTL)
        _store().set(_previewed_key(user.id, url), 1, ex=jobs.RESULT_TTL)
    except RedisError as exc:
        log.warning("scrape preview not queued: %s", exc)
        raise Unavailable(
            "Fetching details is unavailable for a moment; please fill the form in by hand."
        ) from None
    return job_id


def render_figures() -> dict[str, Any]:
    """What ``flask piglist stats`` shows of the render fallback. Raises RedisError."""
    return rendering.figures(_store())


@jobs.job
def preview_scrape(url: str, render: bool = False) -> dict[str, Any]:
    try:
        return {"ok": True, "product": scrape_url(url, render=render)}
    except RenderNeeded:
        # Answered by the render job; whoever polls this job is sent on to it.
        then = jobs.enqueue(preview_scrape, url, True, retries=SCRAPE_RETRIES, queue=jobs.RENDER_QUEUE)
        return {"ok": None, "then": then}
    except FetchError as exc:
        if exc.transient and jobs.retries_left() > 0:
            raise jobs.Retry(exc.reason) from exc
        return {"ok": False, "error": exc.reason}
    except Exception:
        log.exception("scrape preview of %s failed", url)
        return {"ok": False, "error": UNREADABLE}


def preview_status(user: User, job_id: str, wait: int) -> dict[str, Any]:
    """``{status, result?}``; waits up to ``wait`` seconds for the job to end (long poll)."""
    if not _JOB_ID.match(job_id or ""):
        raise NotFound("No such scrape job.")
    db.session.close()  # nothing more to read; don't hold a connection while waiting
    try:
        owner = _store().get(_owner_key(job_id))
        if owner is None or int(owner) != user.id:
            raise NotFound("No such scrape job.")
        deadline = time.monotonic() + wait
        while True:
            state = jobs.status(job_id) or {"status": "failed", "result": None}
            then = (state["result"] or {}).get("then") if state["status"] == "finished" else None
            if then and _JOB_ID.match(str(then)):
                # The page is being rendered: the render job's answer is this job's.
                job_id, state = then, {"status": "started", "result": None}
            elif state["status"] in ("finished", "failed"):
                break
            if time.monotonic() >= deadline:
                break
            time.sleep(0.25)
    except RedisError as exc:
        log.warning("scrape preview unavailable: %s", exc)
        raise Unavailable(
            "Fetching details is unavailable for a moment; please fill the form in by hand."
        ) from None
    answer: dict[str, Any] = {"status": state["status"]}
    if state["status"] == "finished":
        answer["result"] = state["result"]
    elif state["status"] == "failed":
        answer["result"] = {
            "ok": False,
            "error": "We couldn't read that page. Please fill in the details by hand.",
        }
    return answer
