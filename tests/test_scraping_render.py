"""The render fallback end to end (issue 30): a gift whose shop builds the product with
JavaScript is filled in by the worker's render job, under the fetcher's address rules; the
setting turns it off; ``flask piglist stats`` counts the renders."""

from __future__ import annotations

import json
import threading
import time
from decimal import Decimal

import pytest
from rq import Queue, SimpleWorker

from config import TestingConfig
from piglist import create_app
from piglist.scraper.render import RenderFailed
from piglist.scraping import rendering
from piglist.scraping.service import render_figures
from piglist.stores import jobs

from .support.apps import both_backends
from .support.jobs import run_jobs
from .support.rows import fresh

# A shop that draws its product with JavaScript from its own API, and also reaches for the cloud
# metadata address on the way.
SHELL = """<!doctype html><html lang="en-GB"><head><title>Kettle Co.</title></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
<script>
fetch("http://169.254.169.254/latest/meta-data/").catch(() => 0);
fetch("/api/kettle").then(r => r.json()).then(p => {
  document.getElementById("root").innerHTML = "<main><h1>" + p.name + "</h1><b class='price'>£" + p.price + "</b></main>";
  const data = document.createElement("script");
  data.type = "application/ld+json";
  data.text = JSON.stringify({"@type": "Product", "name": p.name,
    "offers": {"@type": "Offer", "price": p.price, "priceCurrency": "GBP"}});
  document.head.appendChild(data);
});
</script></body></html>"""


# The worker's 15 s budget is for a shop's page on a worker's machine; the tests' machine runs
# a dozen suites at once, so their renders get more, and run_jobs waits for it.
RENDER_SECONDS = 35
RENDER_WAIT = 120


def script_shop(shop) -> str:
    shop.page(
        "/api/kettle", (200, "application/json", json.dumps({"name": "Copper Kettle", "price": "64.50"}))
    )
    return shop.page("/p/kettle", (200, "text/html; charset=utf-8", SHELL))


def add(api, family, url):
    response = api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"url": url})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@both_backends
def test_a_script_built_product_page_is_rendered_and_fills_the_gift(app, api, family, shop, runner):
    app.config.update(SCRAPER_RENDER="auto", SCRAPER_RENDER_SECONDS=RENDER_SECONDS)
    gift_id = add(api, family, script_shop(shop))
    run_jobs(app, RENDER_WAIT)
    gift = fresh(gift_id)
    assert (gift.scrape_status, gift.title, gift.price, gift.currency) == (
        "success",
        "Copper Kettle",
        Decimal("64.50"),
        "GBP",
    )
    figures = render_figures()
    assert (figures["renders"], figures["failed"], figures["blocked"]) == (1, 0, 1)
    if app.config["REDIS_URL"]:
        line = runner.invoke(args=["piglist", "stats"]).output.splitlines()[-1]
        assert (
            line.startswith("Renders: on (/usr/bin/") and "1 rendered, 0 failed, 1 requests blocked" in line
        )


def test_the_render_runs_on_its_own_queue(app, api, family, shop):
    app.config.update(SCRAPER_RENDER="auto", SCRAPER_RENDER_SECONDS=RENDER_SECONDS)
    add(api, family, script_shop(shop))
    connection = jobs.rq_connection(app)
    # The ordinary queues' worker fetches the page and hands it on; it never renders.
    ordinary = [Queue(name, connection=connection) for name in jobs.QUEUE_NAMES]
    SimpleWorker(ordinary, connection=connection).work(burst=True)
    assert Queue(jobs.RENDER_QUEUE, connection=connection).count == 1
    assert render_figures()["renders"] == 0


def test_with_rendering_off_the_page_is_read_as_fetched(app, api, family, shop):
    gift_id = add(api, family, script_shop(shop))
    run_jobs(app)
    gift = fresh(gift_id)
    assert gift.price is None
    assert shop.hits["/api/kettle"] == 0
    assert render_figures()["renders"] == 0


def test_a_fetch_details_preview_follows_the_render(app, api, family, shop):
    app.config.update(SCRAPER_RENDER="auto", SCRAPER_RENDER_SECONDS=RENDER_SECONDS)
    response = api(family.owner).post("/scrape", json={"url": script_shop(shop)})
    assert response.status_code == 202
    job_id = response.get_json()["job_id"]
    run_jobs(app, RENDER_WAIT)
    answer = api(family.owner).get(f"/scrape/{job_id}", query_string={"wait": 1}).get_json()
    assert answer["status"] == "finished"
    assert answer["result"]["product"]["price"] == "64.50"
    # Someone else can't read it, through the render job's id either.
    other = api(family.giver).get(f"/scrape/{job_id}", query_string={"wait": 0})
    assert other.status_code == 404


@pytest.mark.parametrize("value", ["on", "yes", "1", "chromium"])
def test_a_bad_render_setting_stops_the_app_with_a_clear_message(value):
    with pytest.raises(RuntimeError, match="SCRAPER_RENDER must be auto or off"):
        create_app(TestingConfig, SCRAPER_RENDER=value, REDIS_URL=None)


def _overlapping_sleep(log: list, lock: threading.Lock, running: list) -> None:
    with lock:
        running.append(1)
        log.append(len(running))
    time.sleep(0.2)
    with lock:
        running.pop()


@pytest.mark.parametrize("app", ["sqlite"], indirect=True)
def test_renders_in_one_process_run_one_at_a_time(app):
    log: list[int] = []
    lock, running = threading.Lock(), []
    for _ in range(3):
        jobs.enqueue(_overlapping_sleep, log, lock, running, queue=jobs.RENDER_QUEUE)
    run_jobs(app)
    assert log == [1, 1, 1]


def test_a_failed_render_keeps_what_the_plain_page_gave(app, api, family, shop, monkeypatch):
    def overran(*args, **kwargs):
        raise RenderFailed()

    app.config.update(SCRAPER_RENDER="auto", SCRAPER_RENDER_SECONDS=RENDER_SECONDS)
    monkeypatch.setattr(rendering, "render", overran)
    gift_id = add(api, family, script_shop(shop))
    run_jobs(app)
    gift = fresh(gift_id)
    assert (gift.scrape_status, gift.title, gift.price) == ("success", "Kettle Co.", None)
    figures = render_figures()
    assert (figures["renders"], figures["failed"]) == (0, 1)
