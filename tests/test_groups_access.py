"""Who may open which group and admin page: every route of the ``groups`` and ``admin`` blueprints
against {anonymous, outsider, member, admin}."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Category, Group, GroupMember

from . import factories
from .support.clients import csrf_token


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    data: tuple[tuple[str, str], ...] = ()


ADMIN_ONLY = {"anonymous": 302, "outsider": 404, "member": 403, "admin": 200}
ADMIN_POST = {"anonymous": 302, "outsider": 404, "member": 403, "admin": 302}

# ``{gid}``, ``{code}``, ``{cid}`` and ``{uid}`` (Gran, a plain member) are filled in per family.
MATRIX: list[tuple[Route, dict[str, int]]] = [
    (Route("groups.create", "GET", "/groups/new"),
     {"anonymous": 302, "outsider": 200, "member": 200, "admin": 200}),
    (Route("groups.create", "POST", "/groups/new", (("name", "Jones Family"), ("currency", "USD"))),
     {"anonymous": 302, "outsider": 302, "member": 302, "admin": 302}),
    (Route("groups.overview", "GET", "/groups/{gid}"),
     {"anonymous": 302, "outsider": 404, "member": 200, "admin": 200}),
    (Route("groups.join", "GET", "/join/{code}"),
     {"anonymous": 200, "outsider": 200, "member": 302, "admin": 302}),
    (Route("groups.join", "POST", "/join/{code}"),
     {"anonymous": 302, "outsider": 302, "member": 302, "admin": 302}),
    (Route("groups.join_by_code", "POST", "/join", (("code", "{code}"),)),
     {"anonymous": 302, "outsider": 302, "member": 302, "admin": 302}),
    (Route("groups.invite_by_email", "POST", "/groups/{gid}/invitations", (("addresses", "new@example.org"),)),
     ADMIN_POST),
    (Route("groups.leave", "POST", "/groups/{gid}/leave"),
     {"anonymous": 302, "outsider": 404, "member": 302, "admin": 302}),
    (Route("admin.settings", "GET", "/admin/groups/{gid}/"), ADMIN_ONLY),
    (Route("admin.settings", "POST", "/admin/groups/{gid}/", (("name", "The Smiths"), ("currency", "EUR"))),
     ADMIN_POST),
    (Route("admin.set_lock", "POST", "/admin/groups/{gid}/lock", (("action", "lock"),)), ADMIN_POST),
    (Route("admin.regenerate_invite", "POST", "/admin/groups/{gid}/invite"), ADMIN_POST),
    (Route("admin.delete_group", "POST", "/admin/groups/{gid}/delete", (("confirm_name", "Smith Family"),)),
     ADMIN_POST),
    (Route("admin.members", "GET", "/admin/groups/{gid}/members"), ADMIN_ONLY),
    (Route("admin.set_role", "POST", "/admin/groups/{gid}/members/{uid}/role", (("role", "admin"),)),
     ADMIN_POST),
    (Route("admin.remove_member", "POST", "/admin/groups/{gid}/members/{uid}/remove"), ADMIN_POST),
    (Route("admin.release_purchases", "POST", "/admin/groups/{gid}/purchases/{uid}/release"), ADMIN_POST),
    (Route("admin.categories", "GET", "/admin/groups/{gid}/categories"), ADMIN_ONLY),
    (Route("admin.create_category", "POST", "/admin/groups/{gid}/categories", (("name", "Books"),)),
     ADMIN_POST),
    (Route("admin.edit_category", "GET", "/admin/groups/{gid}/categories/{cid}/edit"), ADMIN_ONLY),
    (Route("admin.edit_category", "POST", "/admin/groups/{gid}/categories/{cid}/edit", (("name", "Toys"),)),
     ADMIN_POST),
    (Route("admin.move_category", "POST", "/admin/groups/{gid}/categories/{cid}/move", (("direction", "down"),)),
     ADMIN_POST),
    (Route("admin.delete_category", "POST", "/admin/groups/{gid}/categories/{cid}/delete"), ADMIN_POST),
]  # fmt: skip

CASES = [
    pytest.param(route, who, status, id=f"{route.method} {route.endpoint} as {who}")
    for route, expected in MATRIX
    for who, status in expected.items()
]


@pytest.fixture
def place(family):
    """The family's group with two categories, and the values the paths are filled with."""
    factories.make_category(family.group, "From Parents", display_order=0)
    category = factories.make_category(family.group, "Stocking", display_order=1)
    return {
        "gid": family.group.id,
        "code": family.group.invite_code,
        "cid": category.id,
        "uid": family.other.id,
    }


def as_person(who, family, auth):
    people = {"outsider": factories.make_user, "member": lambda: family.giver, "admin": lambda: family.admin}
    if who != "anonymous":
        auth.login_as(people[who]())


def request(client, route: Route, place: dict):
    path = route.path.format(**place)
    if route.method == "GET":
        return client.get(path)
    data = {key: value.format(**place) for key, value in route.data}
    return client.post(path, data={**data, "csrf_token": csrf_token(client)})


@pytest.mark.parametrize(("route", "who", "status"), CASES)
def test_group_and_admin_pages_answer_by_who_is_asking(client, auth, family, place, route, who, status):
    as_person(who, family, auth)
    response = request(client, route, place)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    if who == "anonymous" and route.endpoint == "groups.join":
        # The invite link is its own landing page for visitors (the group, who invited, sign up
        # first); a POST without an account goes back to it.
        if response.status_code == 302:
            assert response.headers["Location"] == route.path.format(**place)
    elif who == "anonymous":
        location = urlsplit(response.headers["Location"])
        assert location.path == "/login"
        assert parse_qs(location.query)["next"] == [route.path.format(**place)]


def test_the_matrix_covers_every_group_and_admin_route(app):
    registered = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("groups", "admin")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    covered = {(route.endpoint, route.method) for route, _ in MATRIX}
    assert registered == covered


def snapshot(group_id: int):
    db.session.expire_all()
    group = db.session.get(Group, group_id)
    return (
        group.name,
        group.currency,
        group.is_locked,
        group.invite_code,
        sorted(db.session.execute(select(GroupMember.user_id, GroupMember.role)).all()),
        sorted(db.session.execute(select(Category.id, Category.name, Category.display_order)).all()),
    )


@pytest.mark.parametrize("who", ["outsider", "member"])
def test_refused_admin_posts_change_nothing(client, auth, family, place, who):
    before = snapshot(family.group.id)
    as_person(who, family, auth)
    for route, expected in MATRIX:
        if expected is ADMIN_POST:
            assert request(client, route, place).status_code in (403, 404)
    assert snapshot(family.group.id) == before


def test_refused_pages_are_friendly(client, auth, family, place):
    auth.login_as(family.giver)
    forbidden = client.get(f"/admin/groups/{family.group.id}/members").get_data(as_text=True)
    assert "Only the group&#39;s admins can do that." in forbidden
    auth.logout()
    auth.login_as(factories.make_user())
    missing = client.get(f"/groups/{family.group.id}").get_data(as_text=True)
    assert "not a member of it" in missing
    assert "Smith Family" not in missing
