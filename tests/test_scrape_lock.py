"""Issue 22, finding 8: the scrape lock is redis-py's ``Lock`` (let go atomically, never a later
holder's), and a work horse killed mid-scrape doesn't hold up its own retry: the lock's token is
the job's id, so the retry takes over the lock its dead attempt left. Before, the gift stayed
pending ~129 s (the dead run's 60 s lock, then housekeeping)."""

from __future__ import annotations

import os
import signal
import time

import pytest
from redis import Redis

from piglist.extensions import db
from piglist.models import Gift
from piglist.scraping.service import exclusive

from . import factories
from .support import rq_worker
from .support.jobs import run_jobs

PAGE = '<!doctype html><html><head><meta property="og:title" content="Rainbow Kite"></head></html>'


def lock_key(name: str) -> str:
    return f"piglist:exclusive:{name}"


def raw_redis(app) -> Redis:
    return Redis.from_url(app.config["REDIS_URL"], decode_responses=True)


def test_a_holder_whose_lock_lapsed_never_lets_go_of_the_next_holders(app):
    with exclusive("kite", 1) as first:
        assert first
        time.sleep(1.1)  # ours lapsed: someone else takes it
        with exclusive("kite", 60) as second:
            assert second
            token = raw_redis(app).get(lock_key("kite"))
        raw_redis(app).set(lock_key("kite"), token, ex=60)  # still the second holder's, as if it ran on
    assert raw_redis(app).get(lock_key("kite")) == token


def test_the_same_owner_takes_its_lock_over_and_anyone_else_steps_aside(app):
    raw_redis(app).set(lock_key("kite"), "job-1", ex=60)  # an attempt of job-1 that died holding it
    with exclusive("kite", 60, owner="job-2") as other:
        assert not other
    with exclusive("kite", 60, owner="job-1") as retry:
        assert retry
        assert raw_redis(app).ttl(lock_key("kite")) > 55  # renewed for the full time
    assert raw_redis(app).get(lock_key("kite")) is None
    with exclusive("kite", 60) as anyone:
        assert anyone


def test_without_redis_the_same_owner_takes_its_lock_over_in_process(sqlite_app):
    with sqlite_app.app_context(), exclusive("kite", 60, owner="job-1") as held:
        assert held
        with exclusive("kite", 60, owner="job-2") as other:
            assert not other
        with exclusive("kite", 60, owner="job-1") as again:
            assert again


@pytest.fixture
def sqlite_app(tmp_path):
    from config import TestingConfig
    from piglist import create_app

    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db", REDIS_URL=None)


def test_a_scrape_whose_work_horse_is_killed_finishes_within_30_seconds(app, api, family, shop):
    if app.config["TEST_BACKEND"] != "postgresql":
        pytest.fail("a real worker needs PostgreSQL and Redis")
    url = shop.page("/kite", (200, "text/html", PAGE))
    shop.delays["/kite"] = 30  # the first attempt hangs at the shop
    response = api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"url": url})
    assert response.status_code == 201
    gift_id = response.get_json()["id"]
    worker = rq_worker.start(app, shop.host)
    try:
        horse = rq_worker.wait_for_horse(worker)
        deadline = time.monotonic() + 20
        while shop.hits["/kite"] == 0:
            assert time.monotonic() < deadline, "the scrape never reached the shop"
            time.sleep(0.05)
        shop.delays["/kite"] = 0  # the retry is answered at once
        os.kill(horse, signal.SIGKILL)
        killed_at = time.monotonic()
        status = "pending"
        while time.monotonic() - killed_at < 30:
            db.session.expire_all()
            status = db.session.get(Gift, gift_id).scrape_status
            if status != "pending":
                break
            time.sleep(0.2)
    finally:
        log = rq_worker.stop(worker)
    assert status == "success", log
    assert shop.hits["/kite"] == 2
    assert db.session.get(Gift, gift_id).title == "Rainbow Kite"


def test_a_scrape_in_the_thread_pool_holds_and_lets_go_of_its_lock(app, family, shop):
    gift = factories.make_gift(
        family.owner, family.group, url=shop.page("/kite", (200, "text/html", PAGE)), title=None
    )
    gift.scrape_status = "pending"
    db.session.commit()
    from piglist.scraping.gifts import enqueue_gift_scrape

    enqueue_gift_scrape(gift.id, family.owner.id)
    run_jobs(app)
    db.session.expire_all()
    assert db.session.get(Gift, gift.id).scrape_status == "success"
    assert raw_redis(app).get(lock_key(f"scrape-gift:{gift.id}")) is None
