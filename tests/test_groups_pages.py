"""Groups on the website: the dashboard, creating a group, the invite link, the overview, leaving."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Gift, Group, GroupMember, Piglist, User, today
from piglist.web.security import FOLLOWING_INVITE

from . import factories
from .support.apps import both_backends
from .support.clients import PASSWORD, csrf_token, post
from .support.clients import page_text as text
from .support.clients import sign_up as sign_up_by_mail
from .support.rows import count, is_member

INVITE_INPUT = re.compile(r'id="invite-url"[^>]*value="([^"]+)"')


# --- dashboard -----------------------------------------------------------------------------------


def test_dashboard_shows_a_card_per_group_with_members_lock_date_and_my_role(client, auth, family):
    family.group.lock_date = today() + timedelta(days=30)
    factories.make_group(family.giver, name="Book Club")
    db.session.commit()
    auth.login_as(family.giver)
    page = text(client.get("/dashboard"))
    book_club, smith = page.split('class="card group-card"')[1:]  # sorted by name
    assert "4 members" in smith
    assert "You're a member" in smith
    assert f"Lock date {family.group.lock_date.day} {family.group.lock_date:%b %Y}" in smith
    assert "Open for changes" in smith
    assert "Book Club" in book_club
    assert "1 member<" in book_club
    assert "You're an admin" in book_club
    assert "No lock date" in book_club
    assert f'href="/groups/{family.group.id}/my-piglist"' in page


def test_dashboard_without_groups_invites_to_start_or_join_one(client, auth, user):
    auth.login_as(user)
    page = text(client.get("/dashboard"))
    assert "You're not in a family group yet" in page
    assert 'action="/join"' in page
    assert 'href="/groups/new"' in page


# --- creating a group ------------------------------------------------------------------------------


@both_backends
def test_creating_a_group_makes_me_its_admin_with_an_empty_piglist(client, auth, user):
    auth.login_as(user)
    response = post(client, "/groups/new", name="  Smith   Family ", currency="eur", lock_date="2026-12-20")
    group = db.session.scalar(select(Group))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/groups/{group.id}"
    assert (group.name, group.currency, str(group.lock_date)) == ("Smith Family", "EUR", "2026-12-20")
    assert db.session.get(GroupMember, (group.id, user.id)).role == "admin"
    assert count(Piglist, Piglist.group_id == group.id, Piglist.user_id == user.id) == 1
    page = text(client.get(response.headers["Location"]))
    assert "Smith Family is ready" in page
    assert "You're an admin" in page


def test_the_create_form_suggests_usd_and_common_currencies(client, auth, user):
    auth.login_as(user)
    page = text(client.get("/groups/new"))
    assert re.search(r'name="currency"[^>]*value="USD"', page)
    assert '<option value="EUR">Euro</option>' in page
    assert 'type="date"' in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Please fill in the name."),
        ({"name": "   "}, "Please fill in the name."),
        ({"name": "x" * 300}, "The name can be at most 100 characters long."),
        ({"currency": "XXY"}, "'XXY' is not the ISO 4217 code of a currency in use, such as USD or EUR."),
        ({"currency": ""}, "Please fill in the currency."),
        ({"lock_date": "next christmas"}, "The lock date must be a date like 2026-12-20."),
        ({"lock_date": "2026-02-30"}, "The lock date must be a date like 2026-12-20."),
    ],
)
def test_creating_a_group_with_bad_input_says_why_and_creates_nothing(client, auth, user, fields, message):
    auth.login_as(user)
    response = post(client, "/groups/new", **{"name": "Smith Family", "currency": "USD", **fields})
    assert response.status_code == 422
    assert message in text(response)
    assert count(Group) == 0


# --- the invite link -----------------------------------------------------------------------------------


def test_the_invite_link_asks_before_joining(client, auth, family, user):
    auth.login_as(user)
    response = client.get(f"/join/{family.group.invite_code}")
    assert response.status_code == 200
    page = text(response)
    assert "Join Smith Family?" in page
    assert "4 members" in page
    assert f'action="/join/{family.group.invite_code}"' in page
    assert not is_member(family.group, user)


@both_backends
def test_joining_makes_me_a_member_with_an_empty_piglist(client, auth, family, user):
    auth.login_as(user)
    response = post(client, f"/join/{family.group.invite_code}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/groups/{family.group.id}"
    assert db.session.get(GroupMember, (family.group.id, user.id)).role == "member"
    piglist = db.session.scalar(select(Piglist).where(Piglist.user_id == user.id))
    assert piglist.group_id == family.group.id
    assert piglist.gifts == []
    assert "Welcome to Smith Family!" in text(client.get(response.headers["Location"]))


def test_joining_twice_is_harmless(client, auth, family, user):
    auth.login_as(user)
    post(client, f"/join/{family.group.invite_code}")
    again = post(client, f"/join/{family.group.invite_code}")
    assert again.headers["Location"] == f"/groups/{family.group.id}"
    assert "You're already in Smith Family." in text(client.get(again.headers["Location"]))
    # Opening the link once in goes straight to the group.
    assert client.get(f"/join/{family.group.invite_code}").headers["Location"] == f"/groups/{family.group.id}"
    assert count(GroupMember, GroupMember.user_id == user.id) == 1
    assert count(Piglist, Piglist.user_id == user.id) == 1


def test_members_keep_their_role_when_they_open_the_link_again(client, auth, family):
    auth.login_as(family.admin)
    post(client, f"/join/{family.group.invite_code}")
    assert db.session.get(GroupMember, (family.group.id, family.admin.id)).role == "admin"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unknown_invite_code_is_a_friendly_404(client, auth, family, user, method):
    auth.login_as(user)
    path = "/join/not-a-real-code"
    response = client.get(path) if method == "GET" else post(client, path)
    assert response.status_code == 404
    assert "This invite link no longer works" in text(response)
    assert "Ask whoever sent it for a fresh link." in text(response)
    assert not is_member(family.group, user)


def test_a_dead_invite_link_says_so_to_a_logged_out_visitor_too(client, family):
    response = client.get("/join/not-a-real-code")
    assert response.status_code == 404
    assert "This invite link no longer works" in text(response)
    assert "Create an account" not in text(response)


def test_joining_needs_the_csrf_token(client, auth, family, user):
    auth.login_as(user)
    response = client.post(f"/join/{family.group.invite_code}")
    assert response.status_code == 400
    assert not is_member(family.group, user)


def test_a_logged_out_invitee_sees_the_group_and_who_invited_them_and_signs_up_first(client, family):
    path = f"/join/{family.group.invite_code}"
    page = text(client.get(f"{path}?from={family.admin.id}"))
    assert "Mum invited you" in page and "Join Smith Family on Piglist" in page
    assert page.index("Create an account") < page.index("Log in</a> and you")
    register = f"/register?next={path}"
    assert register in page
    signed_up = sign_up(client, path)
    assert signed_up.headers["Location"] == path
    joined = client.get(path)
    assert joined.headers["Location"] == f"/groups/{family.group.id}"
    assert is_member(family.group, signed_up_user("gran@example.org"))
    assert "You joined Smith Family." in text(client.get(joined.headers["Location"]))


@pytest.mark.parametrize("sender", ["999", "-1", "abc", "99999999999999999999999", ""])
def test_an_invite_from_someone_not_in_the_group_names_nobody(client, family, user, sender):
    page = text(client.get(f"/join/{family.group.invite_code}?from={sender or user.id}"))
    assert "You're invited" in page and "invited you" not in page


def log_in(client, user, next_page: str | None = None):
    path = f"/login?next={next_page}" if next_page else "/login"
    return client.post(
        path, data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )


def sign_up(client, next_page: str, email: str = "gran@example.org"):
    """Gran signs up from the link's page: the form, the mailed link, her password."""
    return sign_up_by_mail(current_app._get_current_object(), client, "Gran", email, next_path=next_page)


def signed_up_user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_a_logged_out_visitor_who_logs_in_from_the_link_joins_right_after(client, family, user):
    path = f"/join/{family.group.invite_code}"
    assert "Log in" in text(client.get(path))
    logged_in = log_in(client, user, path)
    assert logged_in.headers["Location"] == path
    joined = client.get(path)
    assert joined.headers["Location"] == f"/groups/{family.group.id}"
    assert is_member(family.group, user)
    assert "You joined Smith Family." in text(client.get(joined.headers["Location"]))
    # Used once: the link opened again is the usual "already in".
    assert client.get(path).headers["Location"] == f"/groups/{family.group.id}"
    assert count(GroupMember, GroupMember.user_id == user.id) == 1


def test_an_invitee_already_in_the_group_is_told_so_and_keeps_their_role(client, family):
    path = f"/join/{family.group.invite_code}"
    client.get(path)
    log_in(client, family.admin, path)
    assert "You're already in Smith Family." in text(client.get(path, follow_redirects=True))
    assert db.session.get(GroupMember, (family.group.id, family.admin.id)).role == "admin"


def test_a_login_with_next_but_without_opening_the_link_still_asks(client, family, user):
    # A crafted /login?next=/join/<code> alone never joins anyone: the link's page must have been
    # opened in this browser, logged out, first.
    path = f"/join/{family.group.invite_code}"
    log_in(client, user, path)
    assert "Join Smith Family?" in text(client.get(path))
    assert not is_member(family.group, user)


def test_opening_the_link_then_logging_in_elsewhere_does_not_join_later(client, family, user):
    # Someone else's link opened earlier must not join you when they send you to it once you are in.
    path = f"/join/{family.group.invite_code}"
    client.get(path)
    assert log_in(client, user).headers["Location"] == "/dashboard"
    assert "Join Smith Family?" in text(client.get(path))
    assert not is_member(family.group, user)


@pytest.mark.parametrize("target", ["https://evil.example/join/{code}", "//evil.example/join/{code}"])
def test_a_next_off_the_site_goes_to_the_dashboard_and_joins_nothing(client, family, target):
    client.get(f"/join/{family.group.invite_code}")
    signed_up = sign_up(client, target.format(code=family.group.invite_code))
    assert signed_up.headers["Location"] == "/dashboard"
    gran = signed_up_user("gran@example.org")
    assert "Join Smith Family?" in text(client.get(f"/join/{family.group.invite_code}"))
    assert not is_member(family.group, gran)


def test_a_link_made_again_while_signing_up_joins_nothing_and_says_so(client, family):
    old = family.group.invite_code
    client.get(f"/join/{old}")
    family.group.invite_code = Group.new_invite_code()
    db.session.commit()
    signed_up = sign_up(client, f"/join/{old}")
    landing = client.get(signed_up.headers["Location"])
    assert landing.status_code == 404
    assert "This invite link no longer works" in text(landing)
    assert not is_member(family.group, signed_up_user("gran@example.org"))


def test_a_group_deleted_while_signing_up_joins_nothing_and_says_so(client, family):
    path = f"/join/{family.group.invite_code}"
    client.get(path)
    db.session.delete(family.group)
    db.session.commit()
    landing = client.get(sign_up(client, path).headers["Location"])
    assert landing.status_code == 404
    assert "This invite link no longer works" in text(landing)
    assert count(GroupMember, GroupMember.user_id == signed_up_user("gran@example.org").id) == 0


def test_a_code_planted_in_the_session_for_another_link_joins_nothing(client, auth, family, user):
    other = factories.make_group(user, name="Book Club")
    path = f"/join/{family.group.invite_code}"
    client.get(path)
    with client.session_transaction() as session:
        session[FOLLOWING_INVITE] = other.invite_code
    signed_up = sign_up(client, path)
    assert signed_up.headers["Location"] == path
    gran = signed_up_user("gran@example.org")
    assert "Join Smith Family?" in text(client.get(path))
    assert client.get(f"/join/{other.invite_code}").status_code == 200  # asks there too
    assert not is_member(family.group, gran) and not is_member(other, gran)


# --- joining from the dashboard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paste", ["{code}", "  {code}  ", "http://localhost/join/{code}", "https://x.example/join/{code}/"]
)
def test_joining_by_code_takes_the_code_or_the_whole_link(client, auth, family, user, paste):
    auth.login_as(user)
    response = post(client, "/join", code=paste.format(code=family.group.invite_code))
    assert response.headers["Location"] == f"/groups/{family.group.id}"
    assert is_member(family.group, user)


@pytest.mark.parametrize(
    ("paste", "message"),
    [
        ("", "Paste the invite link or code a relative sent you."),
        ("nope", "That invite code doesn't match any group. Ask for a fresh link."),
        ("https://x.example/join/nope", "That invite code doesn't match any group. Ask for a fresh link."),
    ],
)
def test_joining_by_a_bad_code_says_why_on_the_dashboard(client, auth, family, user, paste, message):
    factories.make_group(user, name="Book Club")
    auth.login_as(user)
    response = post(client, "/join", code=paste)
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert "Book Club" in page  # still the dashboard, with my groups
    assert not is_member(family.group, user)


# --- the overview --------------------------------------------------------------------------------------------


def test_the_overview_shows_members_categories_lock_and_links(client, auth, family):
    factories.make_category(family.group, "From Parents", spending_limit=Decimal("150"), display_order=0)
    factories.make_category(family.group, "Stocking", max_item_price=Decimal("12.50"), display_order=1)
    family.group.lock_date = today() + timedelta(days=10)
    db.session.commit()
    auth.login_as(family.giver)
    page = text(client.get(f"/groups/{family.group.id}"))
    gid = family.group.id
    assert "<h1>Smith Family</h1>" in page
    for name in ("Mum", "Tom", "Dad", "Gran"):
        assert name in page
    assert re.search(r"Dad</a>\s*<span class=\"you-marker\">\(you\)</span>", page)
    assert re.search(r"Mum</a>\s*<span class=\"group-badge group-badge-admin\">Admin</span>", page)
    assert "From Parents" in page and "$150" in page
    assert "Stocking" in page and "$12.50" in page
    assert page.index("From Parents") < page.index("Stocking")
    assert f"until the end of {family.group.lock_date.day} {family.group.lock_date:%b %Y}" in page
    assert "Open for changes" in page
    assert f'href="/groups/{gid}/piglists"' in page
    assert f'href="/groups/{gid}/my-piglist"' in page
    assert f'value="http://localhost/join/{family.group.invite_code}?from={family.giver.id}"' in page
    assert 'data-copy="invite-url"' in page
    assert f"/admin/groups/{gid}/" not in page  # no admin links for a member


def test_admins_see_the_way_to_the_admin_pages_on_the_overview(client, auth, family):
    auth.login_as(family.admin)
    page = text(client.get(f"/groups/{family.group.id}"))
    assert f'href="/admin/groups/{family.group.id}/"' in page
    assert "No categories yet" in page


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"is_locked": True}, "Locked by an admin"),
        ({"lock_date": -1}, "the lock date, {day}, has passed"),  # days from today, when the test runs
        ({"lock_date": 0}, "Open for changes"),
        ({}, "No lock date"),
    ],
)
def test_the_overview_says_whether_and_why_the_group_is_locked(client, auth, family, fields, shown):
    # Dates are made when the test runs, not when it is collected: a run across midnight would
    # otherwise test yesterday's date as today's.
    for key, value in fields.items():
        setattr(family.group, key, today() + timedelta(days=value) if key == "lock_date" else value)
    db.session.commit()
    auth.login_as(family.giver)
    page = text(client.get(f"/groups/{family.group.id}"))
    day = f"{family.group.lock_date.day} {family.group.lock_date:%b %Y}" if family.group.lock_date else ""
    assert shown.format(day=day) in page


# --- leaving ---------------------------------------------------------------------------------------------------


def test_a_member_can_leave_and_their_piglist_goes_with_them(client, auth, family):
    gift = factories.make_gift(family.giver, family.group, price=10)
    gift_id = gift.id
    auth.login_as(family.giver)
    response = post(client, f"/groups/{family.group.id}/leave")
    assert response.headers["Location"] == "/dashboard"
    assert "You've left Smith Family" in text(client.get("/dashboard"))
    assert not is_member(family.group, family.giver)
    assert count(Piglist, Piglist.user_id == family.giver.id) == 0
    db.session.expire_all()
    assert db.session.get(Gift, gift_id) is None
    assert client.get(f"/groups/{family.group.id}").status_code == 404


def test_the_last_admin_cannot_leave(client, auth, family):
    auth.login_as(family.admin)
    response = post(client, f"/groups/{family.group.id}/leave")
    assert response.headers["Location"] == f"/groups/{family.group.id}"
    assert "The last admin can't leave: make someone else an admin first." in text(
        client.get(response.headers["Location"])
    )
    assert is_member(family.group, family.admin)


def test_leaving_asks_first_when_javascript_is_on(client, auth, family):
    auth.login_as(family.giver)
    page = text(client.get(f"/groups/{family.group.id}"))
    assert 'data-turbo-confirm="Leave Smith Family? Your piglist in this group will be deleted."' in page


# --- as a new family would use it --------------------------------------------------------------------------------


def register(client, name: str, email: str, next_path: str | None = None):
    return sign_up_by_mail(current_app._get_current_object(), client, name, email, next_path=next_path)


@both_backends
def test_a_new_family_starts_a_group_and_invites_someone_who_has_no_account_yet(app):
    mum = app.test_client()
    assert register(mum, "Mum", "mum@example.org").headers["Location"] == "/dashboard"
    assert "You're not in a family group yet" in text(mum.get("/dashboard"))
    created = post(mum, "/groups/new", name="Smith Family", currency="USD", lock_date="")
    overview = text(mum.get(created.headers["Location"]))
    link = INVITE_INPUT.search(overview).group(1)
    path = urlsplit(link).path

    # Dad opens the link Mum sent him; he has no account yet.
    dad = app.test_client()
    landing = text(dad.get(link))
    assert "Mum invited you" in landing
    register_link = html.unescape(re.search(r'href="(/register\?next=[^"]+)"', landing).group(1))
    next_path = parse_qs(urlsplit(register_link).query)["next"][0]
    assert next_path == path
    registered = register(dad, "Dad", "dad@example.org", next_path)
    assert registered.headers["Location"] == path
    joined = dad.get(path)  # signed up from the link: joined, no question asked
    assert joined.headers["Location"] == created.headers["Location"]

    page = text(dad.get(joined.headers["Location"]))
    assert "You joined Smith Family." in page
    assert re.search(r"Dad</a>\s*<span class=\"you-marker\">\(you\)</span>", page)
    assert re.search(r"Mum</a>\s*<span class=\"group-badge group-badge-admin\">Admin</span>", page)
    assert "2 members" in page
    mums_view = text(mum.get("/dashboard"))
    assert "2 members" in mums_view
