"""GET /metrics: Prometheus' text format behind METRICS_TOKEN (a 404 without it), each figure moved
by the door that should move it — pages, the API, a mail, a scrape, the lists' cache — and, on the
site served the Procfile's way, a socket and the worker process's jobs adding up in the web's
answer (prometheus-client's multi-process mode). No label carries an id."""

from __future__ import annotations

import re

import requests
from prometheus_client.parser import text_string_to_metric_families

from . import factories
from .support.clients import post
from .support.jobs import run_jobs
from .support.sites import (
    SITE_METRICS_TOKEN,
    add_by_link,
    live_socket,
    receive_until,
    site_family,
    when_scraped,
)

TOKEN = SITE_METRICS_TOKEN
PRODUCT = """<html><head><title>Kite</title><script type="application/ld+json">
{"@type": "Product", "name": "Blue Kite", "offers": {"price": "12.50", "priceCurrency": "EUR"}}
</script></head><body><h1>Blue Kite</h1></body></html>"""
# Labels whose values are numbers by nature, not ids.
NUMERIC_LABELS = {"le", "status"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(figures: dict, name: str, **labels: str) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def read(client) -> dict:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    return samples(response.get_data(as_text=True))


def test_metrics_do_not_exist_without_the_setting(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


def test_metrics_answer_only_the_token(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    for offered in ("", "Bearer", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN} "):
        assert client.get("/metrics", headers={"Authorization": offered}).status_code == 404, offered
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_each_figure_moves_with_what_happens(app, client, shop, mailbox):
    app.config["METRICS_TOKEN"] = TOKEN
    family = factories.make_family()
    before = read(client)

    assert client.get("/login").status_code == 200
    token = factories.token_for(family.giver)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer pgl_wrong"}).status_code == 401
    post(client, "/password/forgot", email=family.giver.email)
    owner = factories.token_for(family.owner)
    added = client.post(
        f"/api/v1/groups/{family.group.id}/gifts",
        json={"url": shop.page("/kite", (200, "text/html", PRODUCT))},
        headers={"Authorization": f"Bearer {owner}"},
    )
    assert added.status_code == 201
    run_jobs(app)
    lists = f"/api/v1/groups/{family.group.id}/piglists"
    for _ in range(2):
        assert client.get(lists, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    after = read(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("piglist_http_requests_total", route="/login", method="GET", status="200") == 1
    assert moved("piglist_http_requests_total", route="/api/v1/me", method="GET", status="200") == 1
    assert moved("piglist_http_requests_total", route="/api/v1/me", method="GET", status="401") == 1
    assert moved("piglist_http_request_duration_seconds_count", route="/api/v1/me", method="GET") == 2
    assert moved("piglist_mails_total", outcome="sent") == 1
    assert moved("piglist_scrapes_total", outcome="success", reason="") == 1
    assert moved("piglist_jobs_total", kind="scrape_gift", outcome="ok") == 1
    assert moved("piglist_cache_lookups_total", cache="lists", result="miss") >= 1
    assert moved("piglist_cache_lookups_total", cache="lists", result="hit") >= 1
    assert moved("piglist_cache_lookups_total", cache="credentials", result="hit") >= 1
    assert value(after, "piglist_redis_breaker_open") == 0
    assert value(after, "piglist_live_connection_limit") == app.extensions["piglist_live_capacity"].limit
    assert ("piglist_jobs_queued", (("queue", "piglist"),)) in after
    assert value(after, "piglist_db_pool_connections_in_use") >= 1  # this request's own


def test_a_failed_scrape_is_counted_by_its_reason(app, client, shop):
    app.config["METRICS_TOKEN"] = TOKEN
    family = factories.make_family()
    before = read(client)
    owner = factories.token_for(family.owner)
    client.post(
        f"/api/v1/groups/{family.group.id}/gifts",
        json={"url": shop.page("/gone", (404, "text/html", "<h1>Gone</h1>"))},
        headers={"Authorization": f"Bearer {owner}"},
    )
    run_jobs(app)
    after = read(client)
    key = ("piglist_scrapes_total", (("outcome", "failed"), ("reason", "HttpStatusError")))
    assert after.get(key, 0) - before.get(key, 0) == 1


def test_no_label_holds_an_id_or_a_path(app, client, api, family):
    app.config["METRICS_TOKEN"] = TOKEN
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    api(family.giver).get(f"/gifts/{gift.id}")
    api(family.giver).get(f"/groups/{family.group.id}/piglists")
    client.get(f"/groups/{family.group.id}/gifts/{gift.id}")
    client.get("/no/such/page/123456")
    for name, labels in read(client):
        if not name.startswith("piglist_"):
            continue  # the library's own (python_info's version numbers, say)
        for label, text in labels:
            if label in NUMERIC_LABELS:
                continue
            assert not re.search(r"(^|/)\d+(/|$)", text), (label, text)
            assert "@" not in text and "no/such" not in text, (label, text)


def test_the_procfile_site_adds_up_web_and_worker_figures(procfile_site, site_shop):
    """gunicorn's processes and the worker's write to METRICS_DIR; whichever web process answers
    adds them all up, a socket opened on any of them included."""
    url = f"{procfile_site.url}/metrics"
    assert requests.get(url, timeout=10).status_code == 404
    headers, added = add_by_link(procfile_site, site_shop, "metrics@example.org", "/metrics-kite")
    assert when_scraped(procfile_site, headers, added["id"])["scrape_status"] == "success"
    family = site_family(procfile_site)
    ws = live_socket(procfile_site, family.group_id, family.tokens["other"], format="json")
    try:
        edited = requests.patch(
            f"{procfile_site.url}/api/v1/gifts/{family.gift_id}",
            json={"title": "Red kite"},
            headers={"Authorization": f"Bearer {family.tokens['owner']}"},
            timeout=10,
        )
        assert edited.status_code == 200
        receive_until(ws, lambda message: f'"gift_id":{family.gift_id}' in message.replace(" ", ""))
        answers = [
            samples(requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text)
            for _ in range(4)  # whichever web process answers, the sums are the same
        ]
    finally:
        ws.close()
    for figures in answers:
        assert value(figures, "piglist_jobs_total", kind="scrape_gift", outcome="ok") >= 1
        assert value(figures, "piglist_scrapes_total", outcome="success", reason="") >= 1
        assert (
            value(
                figures,
                "piglist_http_requests_total",
                route="/api/v1/auth/register",
                method="POST",
                status="201",
            )
            >= 1
        )
        assert value(figures, "piglist_live_sockets") >= 1
    # The edit was handed to the open socket by one of the web processes: its delivery was timed.
    assert max(value(figures, "piglist_live_delivery_seconds_count") for figures in answers) >= 1
