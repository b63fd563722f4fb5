"""Accounts through the website: registration rules, login, logout, sessions, redirects."""

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from config import TestingConfig
from piglist import create_app
from piglist.auth.accounts import DUMMY_HASH_KEY, authenticate
from piglist.auth.ratelimits import FAILED_LOGIN_LIMIT
from piglist.extensions import db
from piglist.models import User

from .support.apps import both_backends
from .support.clients import PASSWORD, csrf_token, sign_up
from .support.jobs import queued_jobs
from .support.rows import user_count

FAILED_LOGIN_LIMIT_COUNT = int(FAILED_LOGIN_LIMIT.split()[0])


def register(client, **fields):
    data = {"display_name": "Carol", "email": "carol@example.org"}
    data.update(fields)
    return client.post("/register", data={**data, "csrf_token": csrf_token(client)})


@both_backends
def test_signing_up_by_the_mailed_link_logs_in_and_lands_on_dashboard(app, client):
    response = sign_up(app, client, "Carol", "carol@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Hello, Carol" in page
    assert user_count() == 1


def test_register_stores_a_hash_never_the_password(app, client):
    sign_up(app, client, "Carol", "carol@example.org")
    user = db.session.scalar(select(User))
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "doesn&#39;t look like an email address: it must have an @-sign."),
        ({"email": ""}, "Please fill in the email."),
        ({"display_name": ""}, "Please fill in your name."),
        ({"display_name": "x" * 101}, "at most 100 characters"),
    ],
)
def test_register_rejects_bad_input_with_a_message_and_creates_nothing(app, client, fields, message):
    response = register(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user_count() == 0
    assert queued_jobs(app) == 0  # no mail either


@both_backends
def test_login_with_right_password(client, auth, user):
    response = auth.login("ALICE@example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert "Hello, Alice" in client.get("/dashboard").get_data(as_text=True)


@pytest.mark.parametrize(
    ("email", "password"), [("alice@example.org", "Wrong-Pass-1"), ("bob@example.org", PASSWORD)]
)
def test_login_failure_says_so_without_telling_which_part(client, auth, user, email, password):
    response = auth.login(email, password)
    assert response.status_code == 422
    assert "don&#39;t match an account" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_login_starts_a_fresh_session(client, auth, user):
    before = csrf_token(client)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    auth.login_as(user)
    with client.session_transaction() as session:
        assert "planted" not in session
    assert csrf_token(client) != before


def test_logout_ends_the_session(client, auth, user):
    auth.login_as(user)
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_logout_deletes_the_keep_me_logged_in_cookie(client, auth, user):
    response = auth.login(user.email, remember="y")
    assert any(value.startswith("remember_token=") for value in response.headers.getlist("Set-Cookie"))
    assert client.get_cookie("remember_token") is not None
    auth.logout()
    assert client.get_cookie("remember_token") is None
    assert client.get("/dashboard").status_code == 302


def test_logout_needs_a_post_with_csrf(client, auth, user):
    auth.login_as(user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200


def test_pages_behind_login_redirect_with_next(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_follows_a_local_next(client, auth, user):
    response = client.post(
        "/login?next=/profile",
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/profile"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil",
        "\t//evil.example",
    ],
)
def test_login_never_redirects_off_site(client, user, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


def test_form_without_csrf_token_gets_a_clear_message_and_changes_nothing(client):
    response = client.post(
        "/register", data={"display_name": "Eve", "email": "eve@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Please reload the page and try again" in response.get_data(as_text=True)
    assert user_count() == 0


def test_login_is_rate_limited_per_address_and_email(client, auth, user):
    for _ in range(5):
        assert auth.login(user.email, "Wrong-Pass-1").status_code == 422
    response = auth.login(user.email)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many attempts" in response.get_data(as_text=True)
    # Another e-mail from the same address has its own allowance.
    assert auth.login("someone@example.org", "Wrong-Pass-1").status_code == 422


def test_registration_is_rate_limited_per_address(client):
    for n in range(20):
        assert register(client, email=f"bad{n}@", display_name="X").status_code == 422
    response = register(client)
    assert response.status_code == 429
    assert user_count() == 0


def test_session_cookie_flags(client, auth, user):
    response = auth.login(user.email)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_failed_logins_are_limited_per_address_across_emails(client, api, auth, user):
    for n in range(FAILED_LOGIN_LIMIT_COUNT // 2):
        assert auth.login(f"guess{n}@example.org", "Wrong-Pass-1").status_code == 422
        response = api().post("/auth/token", json={"email": f"api{n}@example.org", "password": "x"})
        assert response.status_code == 401
    # Even the right password now waits: the address has used up its failures.
    response = auth.login(user.email)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert api().post("/auth/token", json={"email": user.email, "password": PASSWORD}).status_code == 429


def test_successful_logins_do_not_count_as_failures(client, auth, user):
    for n in range(FAILED_LOGIN_LIMIT_COUNT - 1):
        assert auth.login(f"guess{n}@example.org", "Wrong-Pass-1").status_code == 422
    for _ in range(3):
        assert auth.login_as(user).status_code == 302
        auth.logout()
    assert auth.login("last@example.org", "Wrong-Pass-1").status_code == 422
    assert auth.login("one-more@example.org", "Wrong-Pass-1").status_code == 429


def test_unknown_email_is_checked_against_a_hash_as_costly_as_real_ones(pg_schema):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=pg_schema, PASSWORD_HASH_METHOD="scrypt")
    dummy = app.extensions[DUMMY_HASH_KEY]
    real = generate_password_hash("Correct-Horse-9", method="scrypt")
    assert dummy.split("$")[0] == real.split("$")[0] == "scrypt:32768:8:1"
    with app.test_request_context():
        assert authenticate("nobody@example.org", "Correct-Horse-9") is None
        assert app.extensions[DUMMY_HASH_KEY] is dummy  # made once, at start-up
