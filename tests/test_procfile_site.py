"""The site as a new operator runs it: a fresh clone, the Procfile's release line on an empty
database, gunicorn with gevent workers by the web line, scraping done by the separate worker
process, and the operators' commands run beside them (tests/conftest.ProcfileSite)."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from .support.sites import KITE_PAGE, add_by_link, when_scraped


def test_the_web_line_serves_health_on_postgresql_and_redis(procfile_site):
    response = requests.get(f"{procfile_site.url}/health", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_a_gift_added_by_link_is_filled_in_by_the_worker_process(procfile_site, site_shop):
    headers, added = add_by_link(procfile_site, site_shop, "procfile@example.org", "/kite")
    assert added["scrape_status"] == "pending"
    gift = when_scraped(procfile_site, headers, added["id"])
    assert gift["scrape_status"] == "success", (gift, procfile_site.tail("worker"))
    assert gift["title"] == "Rainbow Kite"
    assert site_shop.hits["/kite"] == 1


def family_member(api: str, email: str, group_id: int | None = None, invite: str | None = None):
    """Register someone through the API; with ``invite`` they join that group. Returns their headers
    and the group's id and invite code."""
    registered = requests.post(
        f"{api}/auth/register",
        json={"email": email, "password": "Correct-Horse-9", "display_name": email.split("@")[0]},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text
    headers = {"Authorization": f"Bearer {registered.json()['token']}"}
    if invite is None:
        group = requests.post(
            f"{api}/groups", json={"name": "Busy Family"}, headers=headers, timeout=10
        ).json()
        return headers, group["id"], group["invite_code"]
    joined = requests.post(f"{api}/groups/join", json={"invite_code": invite}, headers=headers, timeout=10)
    assert joined.status_code in (200, 201), joined.text
    return headers, group_id, invite


def test_a_slow_shop_does_not_hold_up_another_persons_scrape(procfile_site, site_shop):
    """The worker line runs several scrapes at once: while one person's link to a slow shop is
    still loading, another person's link is filled in."""
    api = f"{procfile_site.url}/api/v1"
    slow_headers, group_id, invite = family_member(api, "slow@example.org")
    fast_headers, _, _ = family_member(api, "fast@example.org", group_id, invite)
    site_shop.delays["/slow-kite"] = 6  # inside the 10 s budget: it will succeed, late
    slow_link = site_shop.page("/slow-kite", (200, "text/html", KITE_PAGE))
    fast_link = site_shop.page("/fast-kite", (200, "text/html", KITE_PAGE))

    slow = requests.post(
        f"{api}/groups/{group_id}/gifts", json={"url": slow_link}, headers=slow_headers, timeout=10
    )
    deadline = time.monotonic() + 120  # generous: the machine may be busy
    while site_shop.hits["/slow-kite"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # a worker process is now busy with the slow shop
    fast = requests.post(
        f"{api}/groups/{group_id}/gifts", json={"url": fast_link}, headers=fast_headers, timeout=10
    )

    while True:
        fast_gift = requests.get(f"{api}/gifts/{fast.json()['id']}", headers=fast_headers, timeout=10).json()
        if fast_gift["scrape_status"] != "pending" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    slow_gift = requests.get(f"{api}/gifts/{slow.json()['id']}", headers=slow_headers, timeout=10).json()
    assert fast_gift["scrape_status"] == "success", procfile_site.tail("worker")
    assert slow_gift["scrape_status"] == "pending"  # still loading when the other was done


def test_the_release_line_runs_again_on_a_migrated_database(procfile_site):
    """Every deploy runs it; on a database already up to date it changes nothing and succeeds."""
    procfile_site.run("release")
    assert procfile_site.healthy()


def test_the_operators_commands_run_beside_the_site(procfile_site, site_shop):
    """export-user, rescrape (through the shared queue to the worker process) and stats, run the
    way an operator runs them on the platform."""
    headers, added = add_by_link(procfile_site, site_shop, "operator@example.org", "/drum")
    assert when_scraped(procfile_site, headers, added["id"])["scrape_status"] == "success"

    rescrape = procfile_site.cli("piglist", "rescrape", "--group", str(added["group_id"]))
    assert "Queued 1 of 1 gift(s) for scraping." in rescrape
    gift = when_scraped(procfile_site, headers, added["id"])
    assert gift["scrape_status"] == "success", (gift, procfile_site.tail("worker"))

    exported = procfile_site.cli("piglist", "export-user", "operator@example.org")
    assert json.loads(exported)["groups"][0]["piglist"]["gifts"][0]["title"] == "Rainbow Kite"

    stats = procfile_site.cli("piglist", "stats")
    # Other tests share the site: the figures are checked for their shape and this gift's mark.
    assert re.search(r"^Gifts: \d+ \(\d+ pending, [1-9]\d* success", stats, re.M), stats
    assert re.search(r"^Job queue: \d+ waiting, \d+ failed in the last hour$", stats, re.M), stats

    with pytest.raises(
        RuntimeError, match=r"\(1\):\nError: No account has the email address 'nobody@example.org'.\n$"
    ):
        procfile_site.cli("piglist", "export-user", "nobody@example.org")
