"""The installable app in a real browser (SPEC §10.7): Chromium finds the manifest and the service
worker and could install the site; with the network gone a page shows the offline page; a link
shared to Piglist while logged out ends, after the login, in a filled-in gift on the chosen list."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from piglist.extensions import db
from piglist.models import User

from .. import factories
from ..support.sites import ProcfileSite
from .support import KITE_PAGE, PASSWORD, WORKER_DEADLINE_MS, Person, tile

WORKER_READY = "navigator.serviceWorker.ready.then((r) => r.active && r.active.state)"
# What the service worker has kept: every cached request's path.
CACHED = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) paths.push(new URL(request.url).pathname);
  }
  return paths.sort();
}"""


def test_chromium_finds_the_manifest_and_worker_and_could_install_the_site(people, family):
    tom = people().login(family.emails["tom"])
    page = tom.goto(family.list_of("dad"))
    assert page.evaluate(WORKER_READY) == "activated"
    cdp = tom.context.new_cdp_session(page)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest") and manifest["errors"] == []
    page.reload()
    # The pages visited are never kept: only static files and the offline page.
    kept = page.evaluate(CACHED)
    assert "/offline" in kept
    assert all(path == "/offline" or path.startswith("/static/") for path in kept), kept


def test_with_the_network_gone_a_visited_page_shows_the_offline_page(browser, tmp_path):
    """A site of its own, stopped mid-test: the network really is gone, for the page and the
    worker alike (Chromium's offline emulation doesn't reach a service worker)."""
    site = ProcfileSite(tmp_path / "site").migrate().start(worker=False, release=False)
    try:
        app = site.app()
        with app.app_context():
            family = factories.make_family()
            email, name, group_id = family.owner.email, family.owner.display_name, family.group.id
            db.session.remove()
            db.engine.dispose()
        tom = Person(browser, site.url, {"width": 390, "height": 844})
        tom.login(email, PASSWORD)
        page = tom.page
        page.goto(f"/groups/{group_id}/my-piglist")
        assert page.evaluate(WORKER_READY) == "activated"
        page.reload()  # now under the worker's control
    finally:
        site.stop()
    page.goto(f"/groups/{group_id}/piglists")
    expect(page.get_by_role("heading", name="You're offline")).to_be_visible()
    # Styled: the worker kept the fingerprinted stylesheet the offline page names (its script is
    # served with those addresses, piglist/webapp/routes.py).
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 250, 245)"
    assert name not in page.content() and email not in page.content()
    tom.close()


def test_a_link_shared_while_logged_out_becomes_a_gift_on_the_chosen_list(people, family, site, site_shop):
    app = site.app()
    with app.app_context():
        tom = db.session.get(User, family.ids["tom"])
        second = factories.make_group(tom, name="Book Club").id
        db.session.remove()
        db.engine.dispose()
    link = site_shop.page("/shared-kite", (200, "text/html", KITE_PAGE))

    person = people()
    page = person.goto(f"/share?text=Look+at+this+{link}")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill(family.emails["tom"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", name="Add to Piglist")).to_be_visible()
    expect(page.get_by_role("link", name="My list · Book Club")).to_be_visible()
    page.get_by_role("link", name="My list · Smith Family").click()

    expect(page.get_by_label("Link", exact=True)).to_have_value(link)
    expect(page.locator("[data-preview-title]")).to_have_text("Stunt Kite", timeout=WORKER_DEADLINE_MS)
    expect(page.get_by_label("Title")).to_have_value("Stunt Kite")
    page.get_by_role("button", name="Save gift").click()
    expect(page).to_have_url(re.compile(rf"/groups/{family.group}/my-piglist"))
    expect(tile(page, "Stunt Kite")).to_contain_text("$34.50")
    assert f"/groups/{second}/" not in page.url
