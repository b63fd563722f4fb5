"""Logins live in the database: logging out, out everywhere, or changing the password ends them
for every copy of the cookie; API tokens die with the password; Redis going down ends nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db
from piglist.models import UserSession
from scripts.procfile_site import free_port

from . import factories
from .support.apps import IsolatedClient
from .support.clients import PASSWORD, AuthActions, csrf_token
from .support.databases import PG_URL

NEW_PASSWORD = "New-Pass-123"


def copy_cookie(source, target, name: str) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    target.set_cookie(name, cookie.value)


def logins_of(user) -> int:
    return db.session.scalar(select(func.count()).where(UserSession.user_id == user.id))


def test_a_copied_session_cookie_stops_working_after_logout(app, client, auth, user):
    auth.login_as(user)
    thief = app.test_client()
    copy_cookie(client, thief, "session")
    assert thief.get("/dashboard").status_code == 200
    auth.logout()
    assert thief.get("/dashboard").status_code == 302
    assert thief.get("/api/v1/me").status_code == 401
    assert logins_of(user) == 0


def test_a_copied_remember_cookie_stops_working_after_logout(app, client, auth, user):
    auth.login(user.email, remember="y")
    thief = app.test_client()
    copy_cookie(client, thief, "remember_token")
    assert thief.get("/dashboard").status_code == 200  # signed in by the remember cookie alone
    auth.logout()
    fresh = app.test_client()
    copy_cookie(thief, fresh, "remember_token")
    assert fresh.get("/dashboard").status_code == 302


def test_log_out_everywhere_ends_every_login_of_the_account_only(app, client, auth, user):
    phone = app.test_client()
    AuthActions(phone).login(user.email, remember="y")
    someone_else = factories.make_user()
    their_browser = app.test_client()
    AuthActions(their_browser).login_as(someone_else)
    auth.login_as(user)
    assert logins_of(user) == 2

    response = client.post("/logout/everywhere", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302
    assert phone.get("/dashboard").status_code == 302
    assert their_browser.get("/dashboard").status_code == 200
    assert logins_of(user) == 0
    assert "Log in" in client.get("/").get_data(as_text=True)


def test_log_out_everywhere_needs_a_login_and_csrf(app, client, auth, user):
    assert client.post("/logout/everywhere", data={"csrf_token": csrf_token(client)}).status_code == 302
    auth.login_as(user)
    assert client.post("/logout/everywhere").status_code == 400
    assert client.get("/dashboard").status_code == 200
    assert logins_of(user) == 1


def test_the_profile_page_offers_log_out_everywhere_and_warns_about_tokens(client, auth, user):
    auth.login_as(user)
    page = client.get("/profile").get_data(as_text=True)
    assert 'action="/logout/everywhere"' in page
    assert "Log out everywhere" in page
    assert "revokes your API tokens" in page


def test_changing_the_password_revokes_api_tokens_and_says_so(app, client, auth, api, user):
    program = api(user)
    assert program.get("/me").status_code == 200
    auth.login_as(user)
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "csrf_token": csrf_token(client)},
        follow_redirects=True,
    )
    assert "your API tokens are revoked" in response.get_data(as_text=True)
    assert program.get("/me").status_code == 401
    assert client.get("/profile").status_code == 200  # this device stays in
    assert logins_of(user) == 1


def test_a_failed_password_change_keeps_tokens_and_logins(client, auth, api, user):
    program = api(user)
    auth.login_as(user)
    client.post(
        "/profile/password",
        data={
            "current_password": "Wrong-Pass-1",
            "new_password": NEW_PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert program.get("/me").status_code == 200
    assert logins_of(user) == 1


def test_a_forged_login_id_is_nobody(app, client, auth, user):
    auth.login_as(user)
    for forged in (f"{user.id}.guess", f"{user.id}.", "x.y", "99999999999999999999.k", f"{user.id}"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/dashboard").status_code == 302, forged


def test_a_redis_outage_logs_nobody_out(app, client, auth, user):
    auth.login_as(user)
    no_redis = create_app(
        TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"
    )
    no_redis.test_client_class = IsolatedClient
    browser = no_redis.test_client()
    copy_cookie(client, browser, "session")
    assert browser.get("/profile").status_code == 200
    with no_redis.app_context():
        db.engine.dispose()
