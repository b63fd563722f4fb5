"""Every absolute link Piglist hands out is built from PUBLIC_URL, never from the request's Host
or X-Forwarded-Host (issue 22, findings 1 and 2): an attacker who asks for someone else's reset
mail, or an owner who edits a bought gift, with a Host of their choosing, gets the real site's
links in the mail, through a real SMTP server."""

from __future__ import annotations

import re

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from . import factories
from .support.alerts import time_passes
from .support.clients import CSRF_META, member_client
from .support.jobs import run_jobs

PUBLIC = "https://piglist.example/family"
HOSTILE = {"Host": "attacker.example", "X-Forwarded-Host": "gift-was-bought.tracker.example"}
# A logged-in browser keeps its cookies for the site's own name: the proxy's header is the lever.
FORWARDED = {"X-Forwarded-Host": "gift-was-bought.tracker.example"}
FOREIGN = re.compile(r"attacker\.example|tracker\.example|localhost")


@pytest.fixture
def behind_a_proxy(app):
    """The site as production runs it: one proxy hop believed, PUBLIC_URL set."""
    app.config["PUBLIC_URL"] = PUBLIC
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1)
    return app


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text)


def assert_only_public_links(mailbox, message) -> None:
    for part in (mailbox.text(message), mailbox.html(message)):
        found = links_in(part)
        assert found, part
        assert all(link.startswith(PUBLIC + "/") for link in found), found
        assert not FOREIGN.search(part)


def test_a_reset_mail_asked_for_with_a_hostile_host_links_only_to_public_url(
    behind_a_proxy, client, user, mailbox
):
    page = client.get("/password/forgot", headers=HOSTILE).get_data(as_text=True)
    token = CSRF_META.search(page).group(1)
    response = client.post(
        "/password/forgot", data={"email": user.email, "csrf_token": token}, headers=HOSTILE
    )
    assert response.status_code == 302
    run_jobs(behind_a_proxy)
    [message] = mailbox.to(user.email)
    assert_only_public_links(mailbox, message)
    assert re.search(rf"{re.escape(PUBLIC)}/password/reset/[A-Za-z0-9._-]+", mailbox.text(message))


def test_an_owner_editing_a_bought_gift_with_a_hostile_host_cannot_steer_the_buyers_alert(
    behind_a_proxy, api, family, mailbox
):
    kite = factories.make_gift(family.owner, family.group, title="Kite", price="20.00")
    assert api(family.giver).post(f"/gifts/{kite.id}/purchase").status_code == 200
    edited = api(family.owner).patch(f"/gifts/{kite.id}", json={"price": "25.00"}, headers=HOSTILE)
    assert edited.status_code == 200
    time_passes(behind_a_proxy)
    [message] = mailbox.to(family.giver.email)
    assert_only_public_links(mailbox, message)
    assert f"{PUBLIC}/groups/{family.group.id}/gifts/{kite.id}" in mailbox.text(message)


def test_an_invitation_mail_sent_with_a_hostile_host_links_only_to_public_url(
    behind_a_proxy, api, family, mailbox
):
    answer = api(family.admin).post(
        f"/groups/{family.group.id}/invitations", json={"emails": ["gran@example.org"]}, headers=HOSTILE
    )
    assert answer.status_code in (200, 201, 202), answer.get_json()
    run_jobs(behind_a_proxy)
    [message] = mailbox.to("gran@example.org")
    assert_only_public_links(mailbox, message)


def test_the_pages_absolute_links_ignore_a_hostile_host(behind_a_proxy, family):
    browser = member_client(behind_a_proxy, family.admin)
    group_page = browser.get(f"/groups/{family.group.id}", headers=FORWARDED).get_data(as_text=True)
    invite = re.search(r'id="invite-url" [^>]*value="([^"]+)"', group_page)
    assert invite, "no invite link on the group page"
    assert invite.group(1).startswith(f"{PUBLIC}/join/{family.group.invite_code}?from=")
    profile = browser.get("/profile", headers=FORWARDED).get_data(as_text=True)
    bookmarklet = re.search(r'class="[^"]*bookmarklet" href="([^"]+)"', profile).group(1)
    assert f"{PUBLIC}/share?url=" in bookmarklet and not FOREIGN.search(bookmarklet)
    manifest = browser.get("/manifest.webmanifest", headers=FORWARDED).get_data(as_text=True)
    assert not FOREIGN.search(manifest) and "://" not in manifest  # paths only
