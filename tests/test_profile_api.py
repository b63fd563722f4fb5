"""Everything the profile page and the dashboard let a person do, through the API (SPEC §10.10):
name and mail settings, password, tokens, logins, notices; and an admin's invitations by e-mail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from piglist.auth import accounts
from piglist.extensions import db
from piglist.groups import notices
from piglist.models import ApiToken, UserSession

from .support.clients import PASSWORD, AuthActions, error
from .support.jobs import run_jobs


def test_me_carries_the_mail_settings(api, user):
    assert api(user).get("/me").get_json() == {
        "id": user.id,
        "email": user.email,
        "display_name": "Alice",
        "purchase_alerts": True,
        "reminders": True,
    }


def test_renaming_yourself_and_turning_alerts_off(api, user):
    answer = api(user).patch("/me", json={"display_name": "  Aunt  Alice ", "purchase_alerts": False})
    assert answer.status_code == 200
    assert answer.get_json()["display_name"] == "Aunt Alice" and answer.get_json()["purchase_alerts"] is False
    db.session.refresh(user)
    assert (user.display_name, user.purchase_alerts) == ("Aunt Alice", False)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": 42}, "display_name"),
        ({"display_name": "x" * 101}, "display_name"),
        ({"display_name": "Fine", "purchase_alerts": "no"}, "purchase_alerts"),
        ({"purchase_alerts": None}, "purchase_alerts"),
    ],
)
def test_a_bad_profile_change_is_refused_and_changes_nothing(api, user, body, field):
    answer = api(user).patch("/me", json=body)
    assert answer.status_code == 422
    assert error(answer)["field"] == field
    db.session.refresh(user)
    assert (user.display_name, user.purchase_alerts) == ("Alice", True)


def test_changing_the_password_revokes_every_token_and_answers_a_new_one(api, user):
    me, other = api(user), api(user)
    answer = me.post("/me/password", json={"current_password": PASSWORD, "new_password": "New-Pass-123"})
    assert answer.status_code == 200
    assert me.get("/me").status_code == 401
    assert other.get("/me").status_code == 401
    me.token = answer.get_json()["token"]
    assert me.get("/me").status_code == 200
    db.session.refresh(user)
    assert user.check_password("New-Pass-123")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "Wrong-Pass-1", "new_password": "New-Pass-123"}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, "new_password"),
        ({"current_password": PASSWORD}, "new_password"),
        ({"current_password": ["x"], "new_password": "New-Pass-123"}, "current_password"),
    ],
)
def test_a_refused_password_change_keeps_the_old_password_and_the_token(api, user, body, field):
    me = api(user)
    answer = me.post("/me/password", json=body)
    assert (answer.status_code, error(answer)["field"]) == (422, field)
    assert me.get("/me").status_code == 200
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_listing_naming_and_revoking_your_tokens(api, user):
    me = api(user)
    made = me.post("/me/tokens", json={"name": "Spreadsheet"})
    assert made.status_code == 201
    secret = made.get_json()["token"]
    tokens = me.get("/me/tokens").get_json()
    assert sorted((t["name"], t["current"]) for t in tokens) == [("Spreadsheet", False), ("tests", True)]
    assert all("token" not in t and "token_hash" not in t for t in tokens)
    assert secret not in me.get("/me/tokens").get_data(as_text=True)
    spreadsheet = next(t for t in tokens if t["name"] == "Spreadsheet")
    assert me.delete(f"/me/tokens/{spreadsheet['id']}").status_code == 204
    assert api().call("GET", "/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_someone_elses_token_cannot_be_revoked_or_seen(api, user, family):
    theirs, _ = accounts.issue_token(family.giver, "Theirs")
    answer = api(user).delete(f"/me/tokens/{theirs.id}")
    assert (answer.status_code, error(answer)["code"]) == (404, "not_found")
    assert db.session.get(ApiToken, theirs.id) is not None
    assert theirs.id not in [t["id"] for t in api(user).get("/me/tokens").get_json()]


def test_log_out_everywhere_ends_every_browser_login_but_keeps_tokens(app, api, user):
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:
        AuthActions(browser).login_as(user)
    me = api(user)
    assert me.delete("/me/sessions").status_code == 204
    count = db.session.scalar(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id)
    )
    assert count == 0
    assert all(b.get("/dashboard").status_code == 302 for b in browsers)
    assert me.get("/me").status_code == 200


def test_notices_are_listed_and_dismissed_only_by_their_reader(api, family):
    notices.tell([family.giver.id, family.other.id], "An admin deleted the group Old Family.")
    db.session.commit()
    giver, other = api(family.giver), api(family.other)
    [notice] = giver.get("/me/notices").get_json()
    assert notice["message"] == "An admin deleted the group Old Family."
    [others] = other.get("/me/notices").get_json()
    assert other.delete(f"/me/notices/{notice['id']}").status_code == 204  # not theirs: left alone
    assert giver.get("/me/notices").get_json() == [notice]
    assert giver.delete(f"/me/notices/{notice['id']}").status_code == 204
    assert giver.get("/me/notices").get_json() == []
    assert other.get("/me/notices").get_json() == [others]


def test_an_admin_invites_by_email_through_the_api(app, api, family, mailbox):
    answer = api(family.admin).post(
        f"/groups/{family.group.id}/invitations",
        json={"emails": ["aunt@example.org", family.giver.email.upper(), "aunt@example.org"]},
    )
    assert answer.status_code == 200
    assert answer.get_json()["invited"] == ["aunt@example.org"]
    [member] = answer.get_json()["already_members"]
    assert member.lower() == family.giver.email.lower()
    run_jobs(app)
    assert len(mailbox.to("aunt@example.org")) == 1


@pytest.mark.parametrize(
    "emails",
    ["not-an-address", "", 42, None, ["a@example.org", 7], " ".join(f"a{n}@example.org" for n in range(60))],
)
def test_bad_invitation_addresses_are_refused_and_nothing_is_sent(app, api, family, mailbox, emails):
    answer = api(family.admin).post(f"/groups/{family.group.id}/invitations", json={"emails": emails})
    assert answer.status_code == 422
    assert error(answer)["field"] == "addresses"
    run_jobs(app)
    assert mailbox.messages == []


def test_only_admins_invite_and_outsiders_learn_nothing(api, family, user):
    member = api(family.giver).post(
        f"/groups/{family.group.id}/invitations", json={"emails": "a@example.org"}
    )
    assert (member.status_code, error(member)["code"]) == (403, "forbidden")
    outsider = api(user).post(f"/groups/{family.group.id}/invitations", json={"emails": "a@example.org"})
    assert (outsider.status_code, error(outsider)["code"]) == (404, "not_found")


def test_invitations_share_the_pages_hourly_budget_per_person(app, api, family):
    admin = api(family.admin)
    for n in range(10):
        assert (
            admin.post(
                f"/groups/{family.group.id}/invitations", json={"emails": f"p{n}@example.org"}
            ).status_code
            == 200
        )
    again = api(family.admin).post(
        f"/groups/{family.group.id}/invitations", json={"emails": "late@example.org"}
    )
    assert (again.status_code, error(again)["code"]) == (429, "rate_limited")
