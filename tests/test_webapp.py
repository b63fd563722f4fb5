"""The installable app (SPEC §10.7): the manifest, the service worker and its offline page, and the
share target that turns a shop's link into a gift on the list a person chooses."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from . import factories
from .support.clients import AuthActions, member_client, page_text

SHOP = "https://shop.example/kites/stunt-kite?colour=red"


def test_the_manifest_makes_the_site_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json()
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/dashboard"
    assert {(i["sizes"], i["purpose"]) for i in manifest["icons"]} == {
        ("192x192", "any"),
        ("512x512", "any"),
        ("512x512", "maskable"),
    }
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200
    assert manifest["share_target"] == {
        "action": "/share",
        "method": "GET",
        "enctype": "application/x-www-form-urlencoded",
        "params": {"title": "title", "text": "text", "url": "url"},
    }


def test_no_link_in_the_manifest_comes_from_the_requests_host(client):
    """Every address in it is a path, which the browser resolves against the manifest's own."""
    body = client.get("/manifest.webmanifest", headers={"Host": "attacker.example"}).get_data(as_text=True)
    assert "attacker.example" not in body and "http" not in body


def test_every_page_links_the_manifest(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_the_service_worker_is_served_from_the_root_with_a_policy_of_its_own(client):
    response = client.get("/service-worker.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    # A worker's policy is its script's answer's: this site, nothing else (not the "nothing at all"
    # that other non-page answers get, which would stop it fetching the offline page).
    assert response.headers["Content-Security-Policy"] == "default-src 'self'"
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_offline_page_carries_nothing_personal(app, family):
    member = member_client(app, family.owner)
    page = member.get("/offline")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    for personal in (family.owner.display_name, family.owner.email, family.group.name, "csrf"):
        assert personal not in body
    assert "You're offline" in page_text(page)


def test_a_visitor_sharing_a_link_logs_in_and_comes_back_to_it(app, client, family):
    response = client.get("/share", query_string={"url": SHOP})
    assert response.status_code == 302
    login = urlsplit(response.location)
    assert login.path == "/login"
    back = parse_qs(login.query)["next"][0]
    assert urlsplit(back).path == "/share" and parse_qs(urlsplit(back).query) == {"url": [SHOP]}
    AuthActions(client).login_as(family.owner)
    shared = client.get(back)
    assert shared.status_code == 303
    assert_add_form_for(shared.location, family.group.id, SHOP)


def assert_add_form_for(location: str, group_id: int, link: str) -> None:
    parts = urlsplit(location)
    assert parts.path == f"/groups/{group_id}/gifts/add"
    assert parse_qs(parts.query) == {"url": [link], "fetch": ["1"]}


def test_the_add_form_opens_with_the_shared_link_and_fetches_its_details(app, family):
    member = member_client(app, family.owner)
    page = member.get(f"/groups/{family.group.id}/gifts/add", query_string={"url": SHOP, "fetch": "1"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'value="https://shop.example/kites/stunt-kite?colour=red"' in body
    assert "data-autofetch" in body
    plain = member.get(f"/groups/{family.group.id}/gifts/add").get_data(as_text=True)
    assert "data-autofetch" not in plain


@pytest.mark.parametrize(
    "shared",
    [
        {"url": SHOP},
        {"text": f"Look at this kite! {SHOP}"},
        {"title": "Stunt kite", "text": f"{SHOP}."},
        {"url": "", "text": f"({SHOP})"},
    ],
)
def test_the_link_is_found_wherever_the_sharing_app_put_it(app, family, shared):
    response = member_client(app, family.owner).get("/share", query_string=shared)
    assert_add_form_for(response.location, family.group.id, SHOP)


def test_a_member_of_several_groups_chooses_where_it_goes(app, family):
    second = factories.make_group(family.owner, name="Book Club")
    locked = factories.make_group(family.owner, name="Old Group", is_locked=True)
    page = member_client(app, family.owner).get("/share", query_string={"url": SHOP})
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    text = page_text(page)
    for group in (family.group, second):
        assert f"/groups/{group.id}/gifts/add?url=" in body
    assert f"/groups/{locked.id}/gifts/add" not in body
    assert "The lists of Old Group are locked." in text
    assert "shop.example" in text


def test_someone_in_no_group_is_shown_where_to_start(app):
    loner = factories.make_user(email="loner@example.org", display_name="Lone")
    page = member_client(app, loner).get("/share", query_string={"url": SHOP})
    assert page.status_code == 200
    assert "join your family's group" in page_text(page)


@pytest.mark.parametrize(
    "shared",
    [
        {},
        {"url": "   "},
        {"url": "javascript:alert(1)"},
        {"url": "file:///etc/passwd"},
        {"text": "no link in here"},
        {"url": "https://shop.example/" + "a" * 3000},
        {"url": "http://[x"},
    ],
)
def test_a_share_without_a_usable_link_asks_for_one_and_changes_nothing(app, family, shared):
    page = member_client(app, family.owner).get("/share", query_string=shared)
    assert page.status_code == 422
    body = page.get_data(as_text=True)
    assert 'role="alert"' in body and 'aria-invalid="true"' in body
    assert "/gifts/add" not in body


def test_the_profile_offers_a_bookmarklet_to_this_sites_share_page(app, family):
    app.config["PUBLIC_URL"] = "https://piglist.example/"
    page = member_client(app, family.owner).get("/profile")
    body = page.get_data(as_text=True)
    assert page.status_code == 200, body[:300]
    found = re.search(r'class="button button-small button-secondary bookmarklet" href="([^"]+)"', body)
    assert found, "no bookmarklet"
    assert found.group(1).startswith("javascript:void(window.open(&#39;https://piglist.example/share?url=")
    assert "localhost" not in found.group(1)  # the request's Host
