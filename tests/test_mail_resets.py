"""Password reset by e-mail, through a real SMTP server: the link, its hour, its single use, and
an answer that never tells whether an address has an account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from piglist.auth import resets
from piglist.extensions import db
from piglist.models import ApiToken, utcnow

from . import factories
from .support.apps import both_backends
from .support.clients import PASSWORD, ask_for_link, csrf_token, post, without_per_load
from .support.jobs import queued_jobs, run_jobs

NEW_PASSWORD = "Brand-New-Pass-7"
LINK = re.compile(r"http://localhost/password/reset/[A-Za-z0-9._-]+")


def reset_link(mailbox, address: str) -> str:
    [message] = mailbox.to(address)
    return LINK.search(mailbox.text(message)).group(0)


def choose(client, link: str, password: str = NEW_PASSWORD):
    path = link.removeprefix("http://localhost")
    return post(client, path, password=password)


def test_the_login_page_offers_forgot_your_password(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page
    assert "Forgot your password?" in page


@both_backends
def test_forgot_password_mails_a_link_to_the_account(app, client, user, mailbox):
    response = ask_for_link(client, "ALICE@example.org")
    assert response.status_code == 302
    run_jobs(app)
    [(recipients, message)] = mailbox.messages
    assert recipients == ["alice@example.org"]
    assert message["To"] == "alice@example.org"
    assert message["Subject"] == "Choose a new Piglist password"
    text, html = mailbox.text(message), mailbox.html(message)
    link = LINK.search(text).group(0)
    assert link in html
    assert "http://localhost/profile#email" in text
    assert 'href="http://localhost/profile#email"' in html
    assert "<img" not in html


def test_links_use_public_url_when_it_is_set(app, client, user, mailbox):
    app.config["PUBLIC_URL"] = "https://piglist.example/family/"
    ask_for_link(client, user.email)
    run_jobs(app)
    [message] = mailbox.to(user.email)
    assert "https://piglist.example/family/password/reset/" in mailbox.text(message)
    assert "https://piglist.example/family/profile#email" in mailbox.text(message)


def test_an_unknown_address_gets_the_same_answer_the_same_work_and_no_mail(app, client, user, mailbox):
    answers = []
    for email in (user.email, "nobody@example.org"):
        before = queued_jobs(app)
        response = ask_for_link(client, email)
        # The request does the same work either way: it queues one job, and the job looks.
        assert queued_jobs(app) == before + 1
        answers.append((response.status_code, response.headers["Location"]))
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append(without_per_load(page))
    assert answers[0:2] == answers[2:4]
    assert "If an account uses that address" in answers[1]
    run_jobs(app)
    assert [recipients for recipients, _ in mailbox.messages] == [[user.email]]


def test_the_link_sets_the_password_logs_in_and_ends_every_other_way_in(app, client, user, mailbox):
    other_device = app.test_client()
    factories.token_for(user)
    assert (
        other_device.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(other_device)}
        ).status_code
        == 302
    )
    ask_for_link(client, user.email)
    run_jobs(app)
    link = reset_link(mailbox, user.email)
    assert client.get(link.removeprefix("http://localhost")).status_code == 200
    response = choose(client, link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)
    assert other_device.get("/dashboard").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 0


def test_the_link_works_once(app, client, user, mailbox):
    ask_for_link(client, user.email)
    run_jobs(app)
    link = reset_link(mailbox, user.email)
    assert choose(client, link).status_code == 302
    stranger = app.test_client()
    response = choose(stranger, link, "Another-Pass-8")
    assert response.headers["Location"] == "/password/forgot"
    assert "expired or has already been used" in stranger.get("/password/forgot").get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(NEW_PASSWORD)


def test_opening_the_link_changes_nothing_so_a_mail_scanner_cannot_use_it_up(app, client, user):
    token = resets.make_token(user)
    for _ in range(3):
        assert client.get(f"/password/reset/{token}").status_code == 200
    assert resets.user_for_token(token).id == user.id


def test_the_link_expires_after_one_hour(app, client, user):
    fresh = resets.make_token(user, issued_at=utcnow() - timedelta(minutes=59))
    stale = resets.make_token(user, issued_at=utcnow() - timedelta(minutes=61))
    assert client.get(f"/password/reset/{fresh}").status_code == 200
    response = client.get(f"/password/reset/{stale}")
    assert response.headers["Location"] == "/password/forgot"
    response = client.post(
        f"/password/reset/{stale}", data={"password": NEW_PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.headers["Location"] == "/password/forgot"
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_password_change_voids_the_link(app, client, auth, user):
    token = resets.make_token(user)
    auth.login_as(user)
    client.post(
        "/profile/password",
        data={
            "current_password": PASSWORD,
            "new_password": "Changed-Pass-5",
            "csrf_token": csrf_token(client),
        },
    )
    db.session.expire_all()
    assert resets.user_for_token(token) is None
    stranger = app.test_client()
    assert (
        choose(stranger, f"http://localhost/password/reset/{token}").headers["Location"] == "/password/forgot"
    )
    db.session.refresh(user)
    assert user.check_password("Changed-Pass-5")


def test_a_token_from_another_key_or_a_future_time_is_refused(app, user):
    assert resets.user_for_token(resets.make_token(user, issued_at=utcnow() + timedelta(minutes=5))) is None
    app.config["SECRET_KEY"] = "another-key"
    forged = resets.make_token(user)
    app.config["SECRET_KEY"] = "testing-secret-key"
    assert resets.user_for_token(forged) is None


@pytest.mark.parametrize("token", ["x", "a" * 600, "WzEsMiwzXQ.invalid", ".."])
def test_a_mangled_link_is_refused_and_changes_nothing(app, client, user, token):
    response = client.post(
        f"/password/reset/{token}", data={"password": NEW_PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/password/forgot"
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_weak_new_password_is_a_form_error_and_keeps_the_link_alive(app, client, user):
    token = resets.make_token(user)
    response = client.post(
        f"/password/reset/{token}", data={"password": "short", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 422
    assert "The password needs" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)
    assert resets.user_for_token(token).id == user.id


@pytest.mark.parametrize("email", ["", "not-an-address", "a\x00b@example.org", "x" * 300 + "@example.org"])
def test_a_bad_address_is_a_form_error_and_queues_nothing(app, client, email):
    before = queued_jobs(app)
    response = ask_for_link(client, email)
    assert response.status_code == 422
    assert "email" in response.get_data(as_text=True)
    assert queued_jobs(app) == before


def test_reset_requests_are_limited_per_email(app, client, user):
    for _ in range(3):
        assert ask_for_link(client, user.email).status_code == 302
    before = queued_jobs(app)
    response = ask_for_link(client, user.email.upper())
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert queued_jobs(app) == before
    assert ask_for_link(client, "someone-else@example.org").status_code == 302


def test_reset_requests_are_limited_per_address(app, client):
    for n in range(10):
        assert ask_for_link(client, f"person{n}@example.org").status_code == 302
    assert ask_for_link(client, "person99@example.org").status_code == 429
