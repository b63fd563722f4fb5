"""Invitations by e-mail, through a real SMTP server: an admin types addresses, each gets a mail
naming the group and who invites, and the link lands a logged-out person on sign-up first."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Group, GroupMember, User

from . import factories
from .support.apps import both_backends
from .support.clients import page_text as text
from .support.clients import post, sign_up
from .support.jobs import queued_jobs, run_jobs

JOIN_LINK = re.compile(r"http://localhost/join/[A-Za-z0-9_-]+\?from=[0-9]+&email=[^\s\"<]+")


def invite(client, group: Group, addresses: str):
    return post(client, f"/groups/{group.id}/invitations", addresses=addresses)


def join_link(mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    return JOIN_LINK.search(mailbox.text(message)).group(0).removeprefix("http://localhost")


def has_joined(group: Group, email: str) -> bool:
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    return user is not None and db.session.get(GroupMember, (group.id, user.id)) is not None


def test_the_group_page_offers_admins_to_invite_by_email(client, auth, family):
    auth.login_as(family.admin)
    assert 'action="/groups/1/invitations"' in text(client.get(f"/groups/{family.group.id}"))
    auth.logout()
    auth.login_as(family.giver)
    assert "/invitations" not in text(client.get(f"/groups/{family.group.id}"))


@both_backends
def test_each_address_gets_a_mail_naming_the_group_and_who_invites(app, client, auth, family, mailbox):
    auth.login_as(family.admin)
    response = invite(client, family.group, "gran@example.org,\n  Uncle.Joe@Example.org ; gran@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/groups/{family.group.id}#invite"
    assert "on their way to gran@example.org, Uncle.Joe@example.org" in text(client.get("/groups/1"))
    run_jobs(app)
    assert sorted(recipients for recipients, _ in mailbox.messages) == [
        ["Uncle.Joe@example.org"],
        ["gran@example.org"],
    ]
    for _, message in mailbox.messages:
        assert message["Subject"] == "Mum invites you to Smith Family on Piglist"
        body = mailbox.text(message)
        assert "Mum invites you to join Smith Family" in body
        link = JOIN_LINK.search(body).group(0)
        assert link.startswith(
            f"http://localhost/join/{family.group.invite_code}?from={family.admin.id}&email="
        )
        assert html.escape(link) in mailbox.html(message)
        assert "http://localhost/profile#email" in body


def test_the_mailed_link_says_who_invited_signs_up_with_the_address_filled_in_and_joins(
    app, client, auth, family, mailbox
):
    auth.login_as(family.admin)
    invite(client, family.group, "gran@example.org")
    run_jobs(app)
    visitor = app.test_client()
    landing = text(visitor.get(join_link(mailbox, "gran@example.org")))
    assert "Mum invited you" in landing and "Join Smith Family on Piglist" in landing
    register_link = re.search(r'href="(/register\?[^"]+)"', landing).group(1)
    assert 'value="gran@example.org"' in text(visitor.get(register_link))
    path = f"/join/{family.group.invite_code}"
    next_path = parse_qs(urlsplit(html.unescape(register_link)).query)["next"][0]
    signed_up = sign_up(app, visitor, "Gran", "gran@example.org", next_path=next_path, mailbox=mailbox)
    assert signed_up.headers["Location"] == path
    joined = visitor.get(path)  # joined right after signing up, no question asked
    assert joined.headers["Location"] == f"/groups/{family.group.id}"
    assert has_joined(family.group, "gran@example.org")


def test_an_address_in_a_link_from_nobody_in_the_group_is_not_filled_in(client, family, user):
    page = text(client.get(f"/join/{family.group.invite_code}?from={user.id}&email=x@example.org"))
    assert "x@example.org" not in page


def test_a_mailed_link_dies_with_a_new_invite_code(app, client, auth, family, mailbox):
    auth.login_as(family.admin)
    invite(client, family.group, "gran@example.org")
    run_jobs(app)
    family.group.invite_code = Group.new_invite_code()
    db.session.commit()
    response = app.test_client().get(join_link(mailbox, "gran@example.org"))
    assert response.status_code == 404


def test_members_already_in_the_group_are_not_mailed(app, client, auth, family, mailbox):
    auth.login_as(family.admin)
    invite(client, family.group, f"{family.giver.email.upper()}, new@example.org")
    as_typed = family.giver.email.split("@")[0].upper() + "@example.org"  # domains are lower-cased
    assert f"Already in Smith Family: {as_typed}" in text(client.get("/groups/1"))
    run_jobs(app)
    assert [recipients for recipients, _ in mailbox.messages] == [["new@example.org"]]


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        ("", "Please fill in the addresses."),
        ("gran@example.org, not-an-address", "“not-an-address” doesn't look like an email address."),
        (", ".join(f"p{n}@example.org" for n in range(21)), "At most 20 addresses at a time, please."),
        ("a\x00b@example.org", "addresses"),
    ],
)
def test_bad_addresses_are_a_form_error_and_nobody_is_mailed(app, client, auth, family, addresses, message):
    auth.login_as(family.admin)
    before = queued_jobs(app)
    response = invite(client, family.group, addresses)
    assert response.status_code == 422
    assert message in text(response)
    assert queued_jobs(app) == before


def test_twenty_addresses_are_fine(app, client, auth, family, mailbox):
    auth.login_as(family.admin)
    assert invite(client, family.group, " ".join(f"p{n}@example.org" for n in range(20))).status_code == 302
    run_jobs(app)
    assert len(mailbox.messages) == 20


def test_only_admins_can_invite_by_email(app, client, auth, family):
    auth.login_as(family.giver)
    before = queued_jobs(app)
    assert invite(client, family.group, "x@example.org").status_code == 403
    assert queued_jobs(app) == before


def test_outsiders_cannot_invite_to_a_group(app, client, auth, family, user):
    auth.login_as(user)
    assert invite(client, family.group, "x@example.org").status_code == 404


def test_names_in_the_mail_are_escaped_in_html_and_kept_on_one_subject_line(app, client, auth, mailbox):
    admin = factories.make_user(display_name="<b>Mum</b>")
    group = factories.make_group(admin, name="Smith & <i>Co</i>")
    auth.login_as(admin)
    invite(client, group, "gran@example.org")
    run_jobs(app)
    [message] = mailbox.to("gran@example.org")
    assert message["Subject"] == "<b>Mum</b> invites you to Smith & <i>Co</i> on Piglist"
    assert "&lt;b&gt;Mum&lt;/b&gt;" in mailbox.html(message)
    assert "<i>" not in mailbox.html(message)
