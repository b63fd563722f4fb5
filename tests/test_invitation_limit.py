"""The invitation-mail limit (10 batches an hour) counts per person, whichever door, login or
token they use (issue 22 finding 10: logging in again bought a fresh budget)."""

from __future__ import annotations

from . import factories
from .support.clients import AuthActions, post

LIMIT = 10


def invite_on_page(client, group, n: int):
    return post(client, f"/groups/{group.id}/invitations", addresses=f"cousin{n}@example.org")


def test_logging_in_again_does_not_reset_the_invitation_limit(app, family):
    first = app.test_client()
    AuthActions(first).login_as(family.admin)
    for n in range(LIMIT):
        assert invite_on_page(first, family.group, n).status_code == 302
    AuthActions(first).logout()

    second = app.test_client()  # another browser, another login
    AuthActions(second).login_as(family.admin)
    assert invite_on_page(second, family.group, 99).status_code == 429


def test_the_page_and_the_api_share_one_budget_per_person(app, api, family):
    browser = app.test_client()
    AuthActions(browser).login_as(family.admin)
    for n in range(LIMIT):
        assert invite_on_page(browser, family.group, n).status_code == 302
    fresh_token = api(family.admin)  # a token made after the page's batches
    refused = fresh_token.post(
        f"/groups/{family.group.id}/invitations", json={"emails": ["late@example.org"]}
    )
    assert refused.status_code == 429


def test_another_admins_budget_is_their_own(app, api, family):
    aunt = factories.make_user(email="aunt@example.org", display_name="Aunt")
    factories.add_member(family.group, aunt, role="admin")
    path = f"/groups/{family.group.id}/invitations"
    for n in range(LIMIT):
        assert api(family.admin).post(path, json={"emails": [f"c{n}@example.org"]}).status_code == 200
    assert api(family.admin).post(path, json={"emails": ["x@example.org"]}).status_code == 429
    assert api(aunt).post(path, json={"emails": ["y@example.org"]}).status_code == 200
