"""The profile page: name, password (signs out other sessions) and personal API tokens."""

from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import ApiToken

from .support.clients import PASSWORD, csrf_token


def test_change_display_name(client, auth, user):
    auth.login_as(user)
    response = client.post(
        "/profile/name", data={"display_name": "  Aunt  Alice ", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.display_name == "Aunt Alice"


def test_empty_display_name_is_refused(client, auth, user):
    auth.login_as(user)
    response = client.post("/profile/name", data={"display_name": "", "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert "Please fill in your name." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.display_name == "Alice"


def test_change_password_needs_the_current_one(client, auth, user):
    auth.login_as(user)
    response = client.post(
        "/profile/password",
        data={
            "current_password": "Wrong-Pass-1",
            "new_password": "New-Pass-123",
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 422
    assert "That isn&#39;t your current password." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_change_password_signs_out_other_sessions_but_not_this_one(app, client, auth, user):
    other_device = app.test_client()
    from .support.clients import AuthActions

    AuthActions(other_device).login_as(user)
    auth.login_as(user)
    response = client.post(
        "/profile/password",
        data={"current_password": PASSWORD, "new_password": "New-Pass-123", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    assert other_device.get("/profile").status_code == 302
    db.session.refresh(user)
    assert user.check_password("New-Pass-123")


def test_create_use_and_revoke_a_token_from_the_profile(app, client, auth, user):
    auth.login_as(user)
    response = client.post(
        "/profile/tokens", data={"name": "Home Assistant", "csrf_token": csrf_token(client)}
    )
    page = response.get_data(as_text=True)
    assert "Copy it now" in page
    secret = page.split('<code class="token-secret">')[1].split("</code>")[0]
    # Shown once only, and never kept in the session cookie.
    assert secret not in client.get("/profile").get_data(as_text=True)
    with client.session_transaction() as session:
        assert secret not in str(dict(session))
    program = app.test_client()
    assert (
        program.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json["email"] == user.email
    )

    token = db.session.scalar(select(ApiToken))
    assert token.token_hash != secret and secret not in token.token_hash
    client.post(f"/profile/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client)})
    assert program.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_cannot_revoke_someone_elses_token(client, auth, user):
    from . import factories

    other = factories.make_user()
    factories.token_for(other)
    token = db.session.scalar(select(ApiToken))
    auth.login_as(user)
    response = client.post(f"/profile/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1
