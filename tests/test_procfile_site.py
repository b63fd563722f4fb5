"""The site as the Procfile runs it: migrations by the release line, gunicorn with gevent workers
by the web line, and scraping done by the separate worker process (tests/conftest.ProcfileSite)."""

from __future__ import annotations

import time

import requests

KITE_PAGE = """<!doctype html><html lang="en"><head><title>Kite – Toy Shop</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Rainbow Kite",
 "offers": {"@type": "Offer", "price": "19.99", "priceCurrency": "USD"}}
</script></head><body><h1>Rainbow Kite</h1></body></html>"""


def test_the_web_line_serves_health_on_postgresql_and_redis(procfile_site):
    response = requests.get(f"{procfile_site.url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_a_gift_added_by_link_is_filled_in_by_the_worker_process(procfile_site, site_shop):
    api = f"{procfile_site.url}/api/v1"
    registered = requests.post(
        f"{api}/auth/register",
        json={"email": "procfile@example.org", "password": "Correct-Horse-9", "display_name": "Pat"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['token']}"}
    group = requests.post(f"{api}/groups", json={"name": "Procfile Family"}, headers=headers, timeout=10)
    assert group.status_code == 201, group.text
    link = site_shop.page("/kite", (200, "text/html", KITE_PAGE))
    added = requests.post(
        f"{api}/groups/{group.json()['id']}/gifts", json={"url": link}, headers=headers, timeout=10
    )
    assert added.status_code == 201, added.text
    assert added.json()["scrape_status"] == "pending"

    # Only the worker process runs jobs; a deadline, not a timing claim.
    deadline = time.monotonic() + 30
    while True:
        gift = requests.get(f"{api}/gifts/{added.json()['id']}", headers=headers, timeout=10).json()
        if gift["scrape_status"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert gift["scrape_status"] == "success", (gift, procfile_site.tail("worker"))
    assert gift["title"] == "Rainbow Kite"
    assert site_shop.hits["/kite"] == 1
