"""Adding a gift from its URL, end to end: the API queues a job, the worker fetches a page from
a local shop through the real (hardened) fetcher, and the gift is filled in — or fails clearly."""

from __future__ import annotations

import contextvars
import threading
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from rq import Queue, SimpleWorker
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Gift
from piglist.scraping.gifts import apply_scrape, requeue_stale_scrapes, scrape_gift
from piglist.scraping.service import exclusive, normalise_url, preview_scrape
from piglist.stores import fx, jobs
from piglist.stores.jobs import PiglistWorker

from . import factories
from .support.apps import both_backends
from .support.clients import member_client
from .support.jobs import run_jobs
from .support.pictures import jpeg_bytes
from .support.rows import fresh
from .support.shop import Shop, sale_page

PRODUCT_PAGE = """<!doctype html><html lang="en"><head><title>Kite – Toy Shop</title>
<meta property="og:title" content="Rainbow Kite">
<meta property="og:image" content="/img/kite.jpg">
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Rainbow Kite",
 "description": "A kite in every colour.", "offers": {"@type": "Offer", "price": "19.99", "priceCurrency": "USD"}}
</script></head><body><h1>Rainbow Kite</h1></body></html>"""


def add(api, family, url, **fields):
    response = api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"url": url, **fields})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@both_backends
def test_a_link_alone_is_filled_in_by_the_worker(app, api, family, shop):
    url = shop.page("/kite", (200, "text/html; charset=utf-8", PRODUCT_PAGE))
    shop.page("/img/kite.jpg", (200, "image/jpeg", jpeg_bytes()))
    # Taken first: without Redis the job thread may finish before add() even returns.
    cursor = api(family.giver).get(f"/groups/{family.group.id}/changes").get_json()["cursor"]
    created = add(api, family, url)
    assert created["scrape_status"] == "pending" and created["title"] is None
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.scrape_status == "success"
    assert (gift.title, gift.price, gift.currency) == ("Rainbow Kite", Decimal("19.99"), "USD")
    # The shop's picture is fetched once and served by Piglist; the shop's link is never shown.
    assert gift.image_url.startswith("/images/") and gift.image_source is None
    assert shop.hits["/img/kite.jpg"] == 1
    assert gift.description == "A kite in every colour."
    feed = (
        api(family.giver).get(f"/groups/{family.group.id}/changes", query_string={"since": cursor}).get_json()
    )
    assert [(e["type"], e["gift_id"]) for e in feed["events"]] == [
        ("gift_created", created["id"]),
        ("gift_updated", created["id"]),
        ("gift_updated", created["id"]),
    ]


def test_what_the_owner_typed_meanwhile_wins(app, api, family, shop):
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    created = add(api, family, url)
    api(family.owner).patch(f"/gifts/{created['id']}", json={"title": "The kite Tom saw", "price": "15"})
    run_jobs(app)
    gift = fresh(created["id"])
    assert (gift.title, gift.price, gift.description) == (
        "The kite Tom saw",
        Decimal("15.00"),
        "A kite in every colour.",
    )


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((404, "text/html", "gone"), "doesn't exist"),
        ((200, "application/pdf", "%PDF-1.4"), "isn't a web page"),
    ],
)
def test_a_permanent_failure_fails_at_once_with_a_reason(app, api, family, shop, answer, reason):
    url = shop.page("/broken", answer)
    created = add(api, family, url)
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.scrape_status == "failed"
    assert reason in gift.scrape_error
    assert shop.hits["/broken"] == 1  # not retried


@both_backends
def test_a_page_too_large_fails_at_once(app, api, family, shop):
    url = shop.page("/huge", (200, "text/html", "<p>" + "x" * (12 * 1024 * 1024)))
    created = add(api, family, url)
    started = time.monotonic()
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.scrape_status == "failed" and "too large" in gift.scrape_error.lower()
    assert shop.hits["/huge"] == 1 and time.monotonic() - started < 10


def test_a_slow_page_times_out_and_ends_failed(app, api, family, shop):
    app.config["SCRAPER_TIMEOUT"] = 0.3
    url = shop.page("/slow", (200, "text/html", PRODUCT_PAGE))
    shop.delays["/slow"] = 2
    created = add(api, family, url)
    started = time.monotonic()
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.scrape_status == "failed" and "too long" in gift.scrape_error
    assert shop.hits["/slow"] == 4  # a timeout is worth retrying, three times
    assert time.monotonic() - started < 10


def test_a_transient_failure_is_retried_and_then_succeeds(app, api, family, shop):
    url = shop.page("/flaky", (503, "text/html", "busy"), (200, "text/html", PRODUCT_PAGE))
    created = add(api, family, url)
    run_jobs(app)
    assert fresh(created["id"]).scrape_status == "success"
    assert shop.hits["/flaky"] == 2


def test_a_failure_that_stays_transient_ends_failed_after_three_retries(app, api, family, shop):
    url = shop.page("/down", (503, "text/html", "busy"))
    created = add(api, family, url)
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.scrape_status == "failed" and gift.scrape_error
    assert shop.hits["/down"] == 4


def test_the_cache_saves_a_second_request_for_the_same_page(app, api, family, shop):
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    add(api, family, url)
    run_jobs(app)
    other = api(family.giver).post(
        f"/groups/{family.group.id}/gifts", json={"url": url + "?utm_source=mail&fbclid=x"}
    )
    run_jobs(app)
    assert fresh(other.get_json()["id"]).title == "Rainbow Kite"
    assert shop.hits["/kite"] == 1


def test_normalised_urls_drop_tracking_and_fragments():
    assert (
        normalise_url("HTTPS://Shop.Example/a?b=2&utm_medium=x&a=1&gclid=9#top")
        == "https://shop.example/a?a=1&b=2"
    )
    assert normalise_url("https://shop.example/p?ref=home&id=5") == "https://shop.example/p?id=5"


def test_a_local_address_is_refused_and_the_server_there_gets_nothing(app, api, family, shop):
    canary = Shop()
    try:
        url = canary.page("/secret", (200, "text/html", PRODUCT_PAGE))
        created = add(api, family, url)
        run_jobs(app)
        gift = fresh(created["id"])
        assert gift.scrape_status == "failed"
        assert "private or local network" in gift.scrape_error
        assert canary.hits["/secret"] == 0
    finally:
        canary.close()


def test_a_shop_price_over_the_category_limit_is_left_for_the_owner(app, api, family, shop):
    category = factories.make_category(family.group, max_item_price=Decimal("10"))
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    created = add(api, family, url, category_id=category.id)
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.scrape_status == "success" and gift.title == "Rainbow Kite"
    assert gift.price is None
    assert "wasn't filled in" in gift.scrape_error


def test_a_shop_price_in_another_currency_counts_at_the_rate_or_is_left(app, api, family, shop):
    # The product is $19.99; the group keeps euros, with a €30 limit on the category.
    family.group.currency = "EUR"
    db.session.commit()
    category = factories.make_category(family.group, spending_limit=Decimal("30"))
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    created = add(api, family, url, category_id=category.id)
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.price is None and "no exchange rate from USD is known yet" in gift.scrape_error
    # With a rate ($1.25 a euro: $19.99 is €15.99), two kites fit (€31.98 doesn't): quantity counts.
    fx.store(fx.Rates(date(2026, 12, 4), {"USD": Decimal("1.25")}))
    for quantity, filled in ((2, False), (1, True)):
        made = add(
            api,
            family,
            shop.page(f"/kite{quantity}", (200, "text/html", PRODUCT_PAGE)),
            category_id=category.id,
            quantity=quantity,
        )
        run_jobs(app)
        gift = fresh(made["id"])
        assert (gift.price == Decimal("19.99")) is filled, gift.scrape_error
        assert gift.currency == "USD" if filled else "wasn't filled in" in gift.scrape_error


def test_ten_scrapes_a_minute_per_person(app, api, family, shop):
    owner = api(family.owner)
    for n in range(10):
        url = shop.page(f"/p{n}", (200, "text/html", PRODUCT_PAGE))
        assert owner.post(f"/groups/{family.group.id}/gifts", json={"url": url}).status_code == 201
    response = owner.post(
        f"/groups/{family.group.id}/gifts", json={"url": shop.page("/p11", (200, "text/html", ""))}
    )
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0
    assert len(db.session.scalars(select(Gift)).all()) == 10
    # Typing the details by hand is never limited.
    assert owner.post(f"/groups/{family.group.id}/gifts", json={"title": "By hand"}).status_code == 201


def test_a_gift_left_pending_is_queued_again(app, api, family, shop):
    from datetime import timedelta

    from piglist.models import utcnow

    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    gift = factories.make_gift(family.owner, family.group, url=url, title=None, scrape_status="pending")
    gift.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert requeue_stale_scrapes() == 1
    run_jobs(app)
    assert fresh(gift.id).scrape_status == "success"


# --- the preview behind "Fetch details" ---------------------------------------------------------


def test_scrape_preview_answers_the_product(app, api, family, shop):
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    caller = api(family.owner)
    started = caller.post("/scrape", json={"url": url})
    assert started.status_code == 202
    job_id = started.get_json()["job_id"]
    run_jobs(app)
    answer = caller.get(f"/scrape/{job_id}", query_string={"wait": 5}).get_json()
    assert answer["status"] == "finished"
    assert answer["result"]["ok"] is True
    assert answer["result"]["product"]["title"] == "Rainbow Kite"
    assert answer["result"]["product"]["price"] == "19.99"


def test_scrape_preview_failure_says_why(app, api, family, shop):
    caller = api(family.owner)
    job_id = caller.post("/scrape", json={"url": shop.page("/gone", (404, "text/html", ""))}).get_json()[
        "job_id"
    ]
    run_jobs(app)
    answer = caller.get(f"/scrape/{job_id}").get_json()
    assert answer["status"] == "finished"
    assert answer["result"]["ok"] is False and "doesn't exist" in answer["result"]["error"]


def test_a_scrape_job_is_only_readable_by_who_started_it(app, api, family, shop):
    job_id = (
        api(family.owner)
        .post("/scrape", json={"url": shop.page("/kite", (200, "text/html", PRODUCT_PAGE))})
        .get_json()["job_id"]
    )
    assert api(family.giver).get(f"/scrape/{job_id}").status_code == 404
    assert api(family.owner).get("/scrape/not-a-job").status_code == 404


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "", None, 42])
def test_scrape_preview_refuses_bad_urls(api, family, url):
    response = api(family.owner).post("/scrape", json={"url": url})
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == "url"


def test_a_page_that_breaks_the_extractor_ends_failed_and_is_not_requeued(
    app, api, family, shop, monkeypatch
):
    from piglist.scraping import service as scraping

    def explode(html, url):
        raise ValueError("unexpected markup")

    monkeypatch.setattr(scraping, "extract", explode)
    url = shop.page("/odd", (200, "text/html", PRODUCT_PAGE))
    created = add(api, family, url)
    run_jobs(app)
    gift = fresh(created["id"])
    assert gift.scrape_status == "failed" and "couldn't read that page" in gift.scrape_error
    assert requeue_stale_scrapes() == 0


def test_a_stale_gift_is_requeued_once_per_window(app, family, shop):
    from datetime import timedelta

    from piglist.models import utcnow

    gift = factories.make_gift(
        family.owner,
        family.group,
        url=shop.page("/x", (503, "text/html", "")),
        title=None,
        scrape_status="pending",
    )
    gift.updated_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    seen = gift.updated_at
    assert requeue_stale_scrapes() == 1
    assert requeue_stale_scrapes() == 0
    # Re-queueing doesn't touch the gift: the owner's open edit form must not hit a conflict.
    assert fresh(gift.id).updated_at == seen


# --- one scrape per gift, updated_at, and a worker that dies ------------------------------------


def pending_gift(family, url, **fields):
    return factories.make_gift(family.owner, family.group, url=url, scrape_status="pending", **fields)


def test_a_gifts_scrape_steps_aside_while_another_runs(app, family, shop):
    gift = pending_gift(family, shop.page("/kite", (200, "text/html", PRODUCT_PAGE)), title=None)
    with exclusive(f"scrape-gift:{gift.id}", 60) as held:
        assert held
        assert scrape_gift(gift.id) == "skipped"
    assert shop.hits["/kite"] == 0
    assert fresh(gift.id).scrape_status == "pending"
    assert scrape_gift(gift.id) == "success"


def test_two_scrapes_of_one_gift_at_once_fetch_it_once(app, family, shop):
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    shop.delays["/kite"] = 0.5
    gift_id = pending_gift(family, url, title=None).id  # the threads must not touch this session
    results: list[str] = []
    start = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            start.wait()
            try:
                results.append(scrape_gift(gift_id))
            except Exception as exc:  # shown in the assertion below
                results.append(repr(exc))
            db.session.remove()

    threads = [threading.Thread(target=contextvars.Context().run, args=(run,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["skipped", "success"]
    assert shop.hits["/kite"] == 1


def test_a_scrape_that_changes_nothing_leaves_updated_at_alone(app, family, shop):
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    gift = pending_gift(
        family, url, title="Kite", description="Mine", image_url="https://img.example/k.jpg", price=5
    )
    seen = gift.updated_at
    assert scrape_gift(gift.id) == "success"
    assert fresh(gift.id).updated_at == seen


def test_a_failed_scrape_leaves_updated_at_alone(app, family, shop):
    gift = pending_gift(family, shop.page("/gone", (404, "text/html", "")), title="Kite")
    seen = gift.updated_at
    assert scrape_gift(gift.id) == "failed"
    assert fresh(gift.id).updated_at == seen


def test_a_scrape_that_fills_something_moves_updated_at(app, family, shop):
    gift = pending_gift(family, shop.page("/kite", (200, "text/html", PRODUCT_PAGE)), title=None)
    seen = gift.updated_at
    scrape_gift(gift.id)
    assert fresh(gift.id).updated_at > seen


def test_a_job_whose_worker_was_killed_is_run_again_within_seconds(app, api, family, shop):
    """RQ counts a started job abandoned 60 s after its last heartbeat and looks every 10
    minutes; Piglist's worker lets it lapse after 15 s and looks every 10 s."""
    created = add(api, family, shop.page("/kite", (200, "text/html", PRODUCT_PAGE)))
    connection = jobs.rq_connection(app)
    queue = Queue(jobs.queue_for(family.owner.id), connection=connection)
    worker = PiglistWorker(jobs.QUEUE_NAMES, connection=connection)
    assert worker.maintenance_interval <= 10
    job = queue.dequeue_any([queue], None, connection=connection)[0]
    worker.prepare_execution(job)  # the worker takes the job ...
    job.set_status(JobStatus.STARTED)  # ... starts it, and is killed: no more heartbeats
    registry = StartedJobRegistry(queue=queue)
    lapse = time.time() + worker.job_monitoring_interval + PiglistWorker.HEARTBEAT_GRACE + 1
    assert job.id in registry.get_expired_job_ids(lapse)
    registry.cleanup(lapse)  # what the next maintenance round does
    jobs.promote_due_retries(connection)
    run_jobs(app)
    assert fresh(created["id"]).scrape_status == "success"


def test_due_retries_are_queued_even_while_rqs_scheduler_is_away(app, api, family, shop):
    add(api, family, shop.page("/kite", (200, "text/html", PRODUCT_PAGE)))
    connection = jobs.rq_connection(app)
    queue = Queue(jobs.queue_for(family.owner.id), connection=connection)
    job = queue.dequeue_any([queue], None, connection=connection)[0]
    queue.schedule_job(job, datetime.now(UTC) - timedelta(seconds=1))
    assert queue.count == 0
    assert jobs.promote_due_retries(connection) == 1
    assert queue.job_ids == [job.id]
    assert jobs.promote_due_retries(connection) == 0


def test_one_persons_queue_does_not_hold_up_anothers(app, family, shop):
    """Five links of the owner's, then one of the giver's: the giver's is taken second, not sixth."""
    assert jobs.queue_for(family.owner.id) != jobs.queue_for(family.giver.id)
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    mine = [jobs.enqueue(preview_scrape, f"{url}?n={n}", person_id=family.owner.id) for n in range(5)]
    theirs = jobs.enqueue(preview_scrape, url, person_id=family.giver.id)
    connection = jobs.rq_connection(app)

    def work() -> None:
        with app.app_context():
            queues = [Queue(name, connection=connection) for name in jobs.QUEUE_NAMES]
            SimpleWorker(queues, connection=connection).work(
                burst=True, dequeue_strategy=jobs.DEQUEUE_STRATEGY
            )

    contextvars.Context().run(work)
    order = sorted([*mine, theirs], key=lambda job_id: Job.fetch(job_id, connection=connection).started_at)
    assert order.index(theirs) == 1


@pytest.mark.parametrize("price", ["-5", "-5.00", "１２", "1e3"])
def test_the_gift_side_refuses_a_scraped_price_the_form_would_refuse(app, family, price):
    """Whatever the scraper hands over, a negative (or otherwise unreadable) price is not stored."""
    gift = pending_gift(family, "https://shop.example/kite", title=None)
    found = {"title": "Kite", "price": price, "currency": "USD"}
    assert apply_scrape(gift.id, found, None) == "success"
    stored = fresh(gift.id)
    assert stored.title == "Kite"
    assert stored.price is None and stored.currency is None


SALE_PAGE = sale_page("Rainbow Kite")


def test_a_discounted_shop_price_keeps_its_regular_price_for_everyone(app, api, family, shop):
    url = shop.page("/kite", (200, "text/html", SALE_PAGE))
    created = add(api, family, url)
    run_jobs(app)
    gift = fresh(created["id"])
    assert (gift.price, gift.regular_price) == (Decimal("14.99"), Decimal("19.99"))
    # Shop data, not purchase data: the owner sees it like everyone else.
    for person in (family.owner, family.giver):
        view = api(person).get(f"/gifts/{created['id']}").get_json()
        assert (view["price"], view["regular_price"]) == ("14.99", "19.99")
    tile = member_client(app, family.giver).get(f"/groups/{family.group.id}/gifts/{created['id']}/tile")
    assert '<del class="gift-regular-price"' in tile.get_data(as_text=True)


def test_a_regular_price_is_never_put_beside_a_price_the_owner_typed(app, api, family, shop):
    url = shop.page("/kite", (200, "text/html", SALE_PAGE))
    created = add(api, family, url, price="12")
    run_jobs(app)
    gift = fresh(created["id"])
    assert (gift.price, gift.regular_price) == (Decimal("12.00"), None)


def test_changing_the_price_drops_the_shops_regular_price(app, api, family, shop):
    url = shop.page("/kite", (200, "text/html", SALE_PAGE))
    created = add(api, family, url)
    run_jobs(app)
    response = api(family.owner).patch(f"/gifts/{created['id']}", json={"price": "13"})
    assert response.status_code == 200
    assert response.get_json()["regular_price"] is None
    assert fresh(created["id"]).regular_price is None


def preview(app, api, family, url):
    """ "Fetch details" as the form's script asks for it: the job runs, its answer is cached."""
    started = api(family.owner).post("/scrape", json={"url": url})
    assert started.status_code == 202
    run_jobs(app)
    return api(family.owner).get(f"/scrape/{started.get_json()['job_id']}", query_string={"wait": 5})


def test_a_gift_saved_from_the_preview_keeps_the_shops_regular_price(app, api, family, shop):
    """Issue 28: the form filled in by "Fetch details" is saved with a title, so it isn't scraped
    again; the shop's regular price comes from the preview's cached answer, as it would from a scrape."""
    url = shop.page("/kite", (200, "text/html", SALE_PAGE))
    assert preview(app, api, family, url).get_json()["result"]["product"]["regular_price"] == "19.99"
    created = add(api, family, url, title="Rainbow Kite", price="14.99", currency="USD")
    assert fresh(created["id"]).regular_price == Decimal("19.99")
    assert created["regular_price"] == "19.99" and created["scrape_status"] == "manual"
    tile = member_client(app, family.giver).get(f"/groups/{family.group.id}/gifts/{created['id']}/tile")
    assert '<del class="gift-regular-price"' in tile.get_data(as_text=True)


def test_someone_elses_preview_of_the_link_gives_no_regular_price(app, api, family, shop):
    """Hostile (review of issue 28): the scrape cache is everyone's. Dad fetched the kite's details
    (to add it as an idea for Tom, say); Tom saving the same link at the sale price must not get the
    struck-through price, which would tell him that somebody on the site looked at it."""
    url = shop.page("/kite", (200, "text/html", SALE_PAGE))
    started = api(family.giver).post("/scrape", json={"url": url})
    assert started.status_code == 202
    run_jobs(app)
    answer = api(family.giver).get(f"/scrape/{started.get_json()['job_id']}", query_string={"wait": 5})
    assert answer.get_json()["result"]["product"]["regular_price"] == "19.99"
    created = add(api, family, url, title="Rainbow Kite", price="14.99", currency="USD")
    assert created["regular_price"] is None and fresh(created["id"]).regular_price is None


@pytest.mark.parametrize(
    "typed",
    [{"price": "12.00", "currency": "USD"}, {"price": "14.99", "currency": "EUR"}, {"price": ""}],
)
def test_a_preview_never_puts_a_regular_price_beside_what_the_owner_typed(app, api, family, shop, typed):
    """Another price, the same figure in another currency, or no price: no discount is announced."""
    url = shop.page("/kite", (200, "text/html", SALE_PAGE))
    preview(app, api, family, url)
    created = add(api, family, url, title="Rainbow Kite", **typed)
    assert created["regular_price"] is None and fresh(created["id"]).regular_price is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("<title>Just a moment...</title><h1>Checking your browser</h1>", "captcha"),
        ("<title>Before you continue</title><button>Accept all cookies</button>", "cookie"),
        ("<title>Page not found</title><h1>Sorry!</h1>", "can't be found"),
    ],
)
def test_a_page_that_is_not_the_product_fails_the_gift_with_a_reason(app, api, family, shop, body, reason):
    url = shop.page("/kite", (200, "text/html", f"<html><body>{body}</body></html>"))
    created = add(api, family, url)
    run_jobs(app)
    gift = fresh(created["id"])
    assert (gift.scrape_status, gift.title) == ("failed", None)
    assert reason in gift.scrape_error
    assert shop.hits["/kite"] == 1  # not retried


def test_a_negative_shop_price_is_no_price(app, api, family, shop):
    page = PRODUCT_PAGE.replace('"price": "19.99"', '"price": "-5"').replace(
        '<meta property="og:title"',
        '<meta property="product:price:amount" content="-5"><meta property="og:title"',
    )
    url = shop.page("/kite", (200, "text/html", page))
    created = add(api, family, url)
    run_jobs(app)
    gift = fresh(created["id"])
    assert (gift.scrape_status, gift.title, gift.price) == ("success", "Rainbow Kite", None)


def test_enqueueing_reuses_one_redis_connection(app, api, family, shop):
    """Each pasted link queues a job; they share the process's client and its pooled connection
    instead of opening one each."""
    if not app.config["REDIS_URL"]:
        pytest.fail("this test needs Redis")
    connection = jobs.rq_connection(app)
    assert jobs.rq_connection(app) is connection
    for n in range(5):
        add(api, family, shop.page(f"/kite-{n}", (200, "text/html", PRODUCT_PAGE)))
    assert jobs.rq_connection(app) is connection
    assert Queue(jobs.queue_for(family.owner.id), connection=connection).count == 5


def test_a_link_added_while_a_busy_process_paused_redis_is_still_queued_within_seconds(
    app, api, family, shop, caplog
):
    """A reply later than the 0.1 s a web process waits on Redis (a loaded machine, not a down
    Redis) opens its breaker for a few seconds; a gift added then used to stay pending until the
    housekeeping re-queued it two minutes later. Its jobs are queued once the breaker closes."""
    from redis import Redis
    from redis.exceptions import TimeoutError as RedisTimeout

    from piglist.stores.redis_store import get_breaker

    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    breaker = get_breaker(app)
    breaker.seconds = 1  # the default pause (5 s) works the same, slower
    breaker.trip(RedisTimeout("Timeout reading from socket"))
    created = add(api, family, url)
    assert created["scrape_status"] == "pending"
    # The request itself could not queue it (the breaker was open)...
    assert f"jobs for gift {created['id']} not queued yet" in caplog.text
    # Watched on a client of the test's own: the app's pauses Redis while its breaker is open.
    watcher = Redis.from_url(app.config["REDIS_URL"])
    queues = [Queue(name, connection=watcher) for name in jobs.QUEUE_NAMES]
    deadline = time.monotonic() + 30  # a deadline, not a measurement
    while sum(queue.count for queue in queues) == 0:
        assert time.monotonic() < deadline, "the scrape was never queued"
        time.sleep(0.05)
    run_jobs(app)  # ...the background did, once the breaker closed
    assert fresh(created["id"]).scrape_status == "success"
    assert shop.hits["/kite"] == 1


def test_a_job_queued_twice_by_a_late_reply_fills_the_gift_in_once(app, api, family, shop):
    """Redis may take an enqueue whose reply came too late; the second try then queues it again.
    The second job finds the gift no longer pending and steps aside."""
    url = shop.page("/kite", (200, "text/html", PRODUCT_PAGE))
    created = add(api, family, url)
    jobs.enqueue(scrape_gift, created["id"], person_id=family.owner.id)
    run_jobs(app)
    gift = fresh(created["id"])
    assert (gift.scrape_status, gift.title) == ("success", "Rainbow Kite")
    assert shop.hits["/kite"] == 1
