"""Accounts through the JSON API: register, tokens, /me, CSRF for cookie sessions, errors."""

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import ApiToken, User

from . import factories
from .support.apps import both_backends
from .support.clients import PASSWORD, csrf_token, error


@both_backends
def test_register_returns_user_and_a_working_token(api):
    anonymous = api()
    response = anonymous.post(
        "/auth/register", json={"email": "Dan@Example.org", "password": PASSWORD, "display_name": "Dan"}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["display_name"] == "Dan"
    assert "password" not in str(body["user"]).lower()
    me = anonymous.get("/me", headers={"Authorization": "Bearer " + body["token"]})
    # GET /me is the user plus the settings only its owner sees.
    assert me.get_json() == {**body["user"], "purchase_alerts": True, "reminders": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "nope", "password": PASSWORD, "display_name": "Dan"}, "email"),
        ({"email": "dan@example.org", "password": "short", "display_name": "Dan"}, "password"),
        ({"email": "dan@example.org", "password": PASSWORD, "display_name": ""}, "display_name"),
        ({"email": "dan@example.org", "password": PASSWORD, "display_name": 42}, "display_name"),
        ({"email": ["dan@example.org"], "password": PASSWORD, "display_name": "Dan"}, "email"),
        ({"email": "dan@example.org", "password": 12345678, "display_name": "Dan"}, "password"),
    ],
)
def test_register_validation_names_the_field_and_creates_nothing(api, body, field):
    response = api().post("/auth/register", json=body)
    assert response.status_code == 422
    assert error(response)["code"] == "validation_failed"
    assert error(response)["field"] == field
    assert error(response)["message"]
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_register_duplicate_email_in_another_case(api, user):
    response = api().post(
        "/auth/register", json={"email": "ALICE@example.org", "password": PASSWORD, "display_name": "A"}
    )
    assert response.status_code == 409
    assert error(response)["code"] == "duplicate"
    assert error(response)["field"] == "email"


@pytest.mark.parametrize("payload", ["not json", "[1, 2]", "null"])
def test_body_that_is_not_a_json_object_is_a_bad_request(client, payload):
    response = client.post("/api/v1/auth/register", data=payload, content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] == "bad_request"


def test_token_for_good_credentials(api, user):
    response = api().post("/auth/token", json={"email": "alice@EXAMPLE.org", "password": PASSWORD})
    assert response.status_code == 200
    token = response.get_json()["token"]
    assert api().get("/me", headers={"Authorization": f"Bearer {token}"}).get_json()["id"] == user.id


def test_token_for_bad_credentials_is_401(api, user):
    response = api().post("/auth/token", json={"email": user.email, "password": "Wrong-Pass-1"})
    assert response.status_code == 401
    assert error(response)["code"] == "unauthenticated"


def test_revoking_the_token_in_use(api, user):
    caller = api(user)
    assert caller.delete("/auth/token").status_code == 204
    response = caller.get("/me")
    assert response.status_code == 401
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Bearer pgl_" + "x" * 43])
def test_bad_tokens_are_401(client, user, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert error(response)["code"] == "unauthenticated"


def test_anonymous_me_is_401(api):
    response = api().get("/me")
    assert response.status_code == 401
    assert error(response)["code"] == "unauthenticated"


def test_session_cookie_works_for_reads(client, auth, user):
    auth.login_as(user)
    assert client.get("/api/v1/me").get_json()["email"] == user.email


def test_session_write_without_csrf_header_is_csrf_failed(client, auth, user):
    auth.login_as(user)
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert error(response)["code"] == "csrf_failed"
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_session_write_with_csrf_header_passes(client, auth, user):
    auth.login_as(user)
    response = client.post(
        "/api/v1/auth/token",
        json={"email": user.email, "password": PASSWORD},
        headers={"X-CSRFToken": csrf_token(client)},
    )
    assert response.status_code == 200


def test_bearer_writes_need_no_csrf(client, auth, user):
    auth.login_as(user)  # a cookie is present too, but the token decides
    token = factories.token_for(user)
    assert (
        client.delete("/api/v1/auth/token", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    )


def test_token_endpoint_is_rate_limited_with_retry_after(api, user):
    anonymous = api()
    for _ in range(5):
        assert (
            anonymous.post("/auth/token", json={"email": user.email, "password": "Wrong-Pass-1"}).status_code
            == 401
        )
    response = anonymous.post("/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert error(response)["code"] == "rate_limited"
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_login_attempts_share_one_counter_across_page_and_api(client, api, auth, user):
    for _ in range(3):
        auth.login(user.email, "Wrong-Pass-1")
    for _ in range(2):
        api().post("/auth/token", json={"email": user.email, "password": "Wrong-Pass-1"})
    assert api().post("/auth/token", json={"email": user.email, "password": PASSWORD}).status_code == 429


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_wrong_method_is_json_405(client):
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"


def test_too_large_body_is_json_413(client):
    response = client.post(
        "/api/v1/auth/register", data="x" * (2 * 1024 * 1024), content_type="application/json"
    )
    assert response.status_code == 413
    assert error(response)["code"] == "payload_too_large"


def test_unexpected_error_is_json_500_without_traceback(api, user, monkeypatch):
    def explode(self):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(User, "to_dict", explode)
    response = api(user).get("/me")
    assert response.status_code == 500
    assert error(response)["code"] == "internal_error"
    assert "secret internals" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
