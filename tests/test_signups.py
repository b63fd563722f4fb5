"""Signing up confirmed by mail (issue 22, finding 16), through a real SMTP server: the sign-up
form answers the same, with the same work, whether or not the address has an account; the
address's inbox is told which; the link is signed, expires, works once, carries a local `next`
and nothing else; the API keeps SPEC §5's contract for new addresses and holds its one telling
answer to a strict limit."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from sqlalchemy import select

from piglist.auth import signups
from piglist.auth.ratelimits import REGISTER_LIMIT_PER_EMAIL, TAKEN_ADDRESS_LIMIT
from piglist.extensions import db
from piglist.models import User, utcnow

from . import factories
from .support.clients import PASSWORD, error, post, sign_up, signup_link, without_per_load
from .support.jobs import queued_jobs, run_jobs
from .support.rows import user_count


def ask(client, email: str, name: str = "Carol", next_path: str | None = None):
    query = f"?next={next_path}" if next_path else ""
    return post(client, f"/register{query}", display_name=name, email=email)


def test_the_form_answers_the_same_for_a_taken_and_a_new_address_and_only_the_inbox_learns(
    app, client, mailbox
):
    owner = factories.make_user(email="carol@example.org", display_name="Carol")
    answers = []
    for email in ("Carol@Example.ORG", "dave@example.org"):
        before = queued_jobs(app)
        response = ask(client, email)
        # The same work either way: one job queued, and the job looks for the account.
        assert queued_jobs(app) == before + 1
        answers.append((response.status_code, response.headers["Location"]))
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append(without_per_load(page))
    assert answers[0:2] == answers[2:4]
    assert answers[0] == (302, "/register/sent") and "Check your inbox" in answers[1]
    assert user_count() == 1  # nothing made yet
    run_jobs(app)
    [taken] = mailbox.to(owner.email)
    assert taken["Subject"] == "Someone tried to sign up to Piglist with your address"
    text = mailbox.text(taken)
    assert "http://localhost/login" in text and "http://localhost/password/forgot" in text
    assert "/register/finish/" not in text  # no way in for whoever typed the address
    [new] = mailbox.to("dave@example.org")
    assert new["Subject"] == "Finish signing up to Piglist"
    assert "/register/finish/" in mailbox.text(new) and "/register/finish/" in mailbox.html(new)


def test_the_link_asks_for_a_password_creates_the_account_and_works_once(app, client, mailbox):
    ask(client, "dave@example.org", name="Dave")
    run_jobs(app)
    path = signup_link(mailbox, "dave@example.org")
    # Opening it (a mail scanner does) changes nothing and shows the address and the name.
    page = client.get(path).get_data(as_text=True)
    assert "Choose a password for dave@example.org" in page and 'value="Dave"' in page
    assert user_count() == 0
    weak = post(client, path, display_name="Dave", password="short")
    assert weak.status_code == 422 and "at least 8 characters" in weak.get_data(as_text=True)
    assert user_count() == 0  # and the link still works
    done = post(client, path, display_name="David", password=PASSWORD)
    assert done.status_code == 302 and done.headers["Location"] == "/dashboard"
    assert "Hello, David" in client.get("/dashboard").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.email == "dave@example.org"))
    assert user.check_password(PASSWORD) and PASSWORD not in user.password_hash
    # Used: in another browser it is dead, and changes nothing.
    stranger = app.test_client()
    dead = stranger.get(path)
    assert dead.status_code == 302 and dead.headers["Location"] == "/register"
    assert "expired or has already been used" in stranger.get("/register").get_data(as_text=True)
    again = post(stranger, path, display_name="Mallory", password="Another-Pass-8")
    assert again.status_code == 302 and user_count() == 1
    assert db.session.get(User, user.id).display_name == "David"


def test_the_link_carries_a_local_next_and_never_another(app, client, mailbox, family):
    path = f"/join/{family.group.invite_code}"
    assert (
        sign_up(app, client, "Gran", "gran@example.org", next_path=path, mailbox=mailbox).headers["Location"]
        == path
    )
    for n, target in enumerate(
        ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x")
    ):
        other = app.test_client()
        done = sign_up(app, other, "Eve", f"eve{n}@example.org", next_path=target, mailbox=mailbox)
        assert done.headers["Location"] == "/dashboard", target


def test_the_link_expires_after_a_day(app, client):
    token = signups.make_token("late@example.org", "Late", None)
    assert signups.signup_for_token(token) is not None
    later = utcnow() + signups.VALID_FOR + timedelta(minutes=1)
    with mock.patch("itsdangerous.timed.time.time", return_value=later.timestamp()):
        assert signups.signup_for_token(token) is None
    with mock.patch("itsdangerous.timed.time.time", return_value=later.timestamp()):
        response = post(client, f"/register/finish/{token}", display_name="Late", password=PASSWORD)
    assert response.status_code == 302 and user_count() == 0


@pytest.mark.parametrize(
    "token",
    ["", "x" * 2000, "not.a.token", "W10.abc.def"],
)
def test_a_mangled_or_forged_link_is_refused_and_changes_nothing(app, client, token):
    forged = signups.URLSafeTimedSerializer("another-key", salt="sign-up").dumps(["m@example.org", "M", None])
    for candidate in (token, forged):
        response = post(client, f"/register/finish/{candidate}", display_name="M", password=PASSWORD)
        assert response.status_code in (302, 404, 405)
    assert user_count() == 0


def test_a_link_for_an_address_taken_meanwhile_is_dead(app, client, mailbox):
    ask(client, "twice@example.org")
    run_jobs(app)
    path = signup_link(mailbox, "twice@example.org")
    factories.make_user(email="twice@example.org")
    response = post(client, path, display_name="Twice", password=PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/register"
    assert user_count() == 1


def test_without_a_mail_server_the_link_is_logged_on_a_line_of_its_own(app, client, caplog):
    app.config["SMTP_URL"] = ""
    ask(client, "dev@example.org", name="Dev")
    with caplog.at_level("WARNING", logger="piglist.auth.signups"):
        run_jobs(app)
    [line] = [r.getMessage() for r in caplog.records if "finish signing up" in r.getMessage()]
    assert "dev@example.org" in line and "/register/finish/" in line


# --- the API: SPEC §5's contract for new addresses, a bounded leak for taken ones -----------------


def test_the_api_registers_a_new_address_at_once(api):
    response = api().post(
        "/auth/register", json={"email": "new@example.org", "password": PASSWORD, "display_name": "New"}
    )
    assert response.status_code == 201
    assert set(response.get_json()) == {"user", "token"}


def test_the_api_tells_a_taken_address_its_owner_by_mail_and_limits_how_often(app, api, mailbox):
    limit = int(TAKEN_ADDRESS_LIMIT.split()[0])
    owners = [factories.make_user(email=f"owner{n}@example.org") for n in range(limit)]
    body = {"password": PASSWORD, "display_name": "Eve"}
    for owner in owners:
        taken = api().post("/auth/register", json={**body, "email": owner.email})
        assert taken.status_code == 409 and error(taken)["code"] == "duplicate"
    run_jobs(app)
    for owner in owners:
        [told] = mailbox.to(owner.email)
        assert told["Subject"] == "Someone tried to sign up to Piglist with your address"
    # The limit reached, a new address gets 429 too: the answer tells nothing more.
    for email in ("owner0@example.org", "fresh@example.org"):
        held = api().post("/auth/register", json={**body, "email": email})
        assert held.status_code == 429
    assert user_count() == limit


def test_one_inbox_gets_a_few_sign_up_mails_an_hour_whoever_asks(app, client, mailbox):
    factories.make_user(email="carol@example.org")
    limit = int(REGISTER_LIMIT_PER_EMAIL.split()[0])
    for email in ("carol@example.org", "dave@example.org"):
        answers = [ask(app.test_client(), email).status_code for _ in range(limit + 1)]
        assert answers == [302] * limit + [429], email  # the same for a taken and a new address
    run_jobs(app)
    assert len(mailbox.to("carol@example.org")) == limit and len(mailbox.to("dave@example.org")) == limit
