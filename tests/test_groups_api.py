"""Groups, invitations, membership and categories through the JSON API."""

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Category, Gift, Group, GroupMember, Piglist

from . import factories
from .support.clients import error


def test_create_group_makes_the_creator_admin_with_a_list(api, user):
    response = api(user).post(
        "/groups", json={"name": "Smith Family", "currency": "eur", "lock_date": "2026-12-20"}
    )
    assert response.status_code == 201
    group = response.get_json()
    assert group["name"] == "Smith Family"
    assert group["currency"] == "EUR"
    assert group["lock_date"] == "2026-12-20"
    assert len(group["invite_code"]) >= 22
    assert group["members"] == [
        {
            "id": user.id,
            "display_name": "Alice",
            "role": "admin",
            "joined_at": group["members"][0]["joined_at"],
        }
    ]
    assert db.session.scalar(select(func.count(Piglist.id))) == 1


def test_invite_codes_are_unique_and_random(api, user):
    codes = {api(user).post("/groups", json={"name": f"G{n}"}).get_json()["invite_code"] for n in range(5)}
    assert len(codes) == 5


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 300}, "name"),
        ({"name": 12}, "name"),
        ({"name": "Ok", "currency": "XXY"}, "currency"),
        ({"name": "Ok", "currency": "XXX"}, "currency"),
        ({"name": "Ok", "currency": "XTS"}, "currency"),
        ({"name": "Ok", "currency": 5}, "currency"),
        ({"name": "Ok", "lock_date": "next christmas"}, "lock_date"),
        ({"name": "Ok", "lock_date": "2026-02-30"}, "lock_date"),
        ({}, "name"),
    ],
)
def test_create_group_rejects_bad_input_and_creates_nothing(api, user, body, field):
    response = api(user).post("/groups", json=body)
    assert response.status_code == 422
    assert error(response) == {
        "code": "validation_failed",
        "message": error(response)["message"],
        "field": field,
    }
    assert db.session.scalar(select(func.count(Group.id))) == 0


def test_join_by_invite_code_creates_an_empty_list_and_is_harmless_twice(api, user):
    admin = factories.make_user()
    group = factories.make_group(admin)
    joiner = api(user)
    first = joiner.post("/groups/join", json={"invite_code": group.invite_code})
    second = joiner.post("/groups/join", json={"invite_code": group.invite_code})
    assert first.status_code == second.status_code == 200
    assert {m["id"] for m in second.get_json()["members"]} == {admin.id, user.id}
    assert db.session.scalar(select(func.count(Piglist.id)).where(Piglist.user_id == user.id)) == 1


@pytest.mark.parametrize(
    ("code", "status"), [("nope", 404), ("x" * 500, 404), ("", 422), (None, 422), (42, 422), (["a"], 422)]
)
def test_join_with_an_unknown_code_is_404_and_a_missing_one_invalid(api, user, code, status):
    factories.make_group(factories.make_user())
    response = api(user).post("/groups/join", json={"invite_code": code})
    assert response.status_code == status
    assert error(response)["code"] == {404: "not_found", 422: "validation_failed"}[status]
    assert (
        db.session.scalar(select(func.count(GroupMember.user_id)).where(GroupMember.user_id == user.id)) == 0
    )


def test_regenerating_the_invite_kills_the_old_code(api, family):
    old = family.group.invite_code
    response = api(family.admin).post(f"/groups/{family.group.id}/invite")
    new = response.get_json()["invite_code"]
    assert new != old
    newcomer = factories.make_user()
    assert api(newcomer).post("/groups/join", json={"invite_code": old}).status_code == 404
    assert api(newcomer).post("/groups/join", json={"invite_code": new}).status_code == 200


def test_my_groups_lists_role_and_member_count(api, family):
    groups = api(family.giver).get("/groups").get_json()
    assert [(g["name"], g["role"], g["member_count"]) for g in groups] == [("Smith Family", "member", 4)]


def test_patch_group_settings(api, family):
    response = api(family.admin).patch(
        f"/groups/{family.group.id}",
        json={"name": "The Smiths", "currency": "GBP", "lock_date": None, "x": 1},
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["currency"], body["lock_date"]) == ("The Smiths", "GBP", None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"is_locked": "yes"}, "is_locked"),
        ({"currency": "EURO"}, "currency"),
        ({"lock_date": "20/12/2026"}, "lock_date"),
    ],
)
def test_patch_group_rejects_bad_input_and_changes_nothing(api, family, body, field):
    response = api(family.admin).patch(f"/groups/{family.group.id}", json=body)
    assert response.status_code == 422
    assert error(response)["field"] == field
    db.session.refresh(family.group)
    assert (family.group.name, family.group.currency, family.group.is_locked) == (
        "Smith Family",
        "USD",
        False,
    )


# --- roles and membership --------------------------------------------------------------------


def test_promote_and_demote(api, family):
    admin = api(family.admin)
    gid = family.group.id
    assert (
        admin.patch(f"/groups/{gid}/members/{family.giver.id}", json={"role": "admin"}).get_json()["role"]
        == "admin"
    )
    assert admin.patch(f"/groups/{gid}/members/{family.giver.id}", json={"role": "member"}).status_code == 200


def test_bad_role_is_refused(api, family):
    response = api(family.admin).patch(
        f"/groups/{family.group.id}/members/{family.giver.id}", json={"role": "king"}
    )
    assert response.status_code == 422
    assert error(response)["field"] == "role"


def test_the_last_admin_cannot_be_demoted_or_leave(api, family):
    admin = api(family.admin)
    gid = family.group.id
    demote = admin.patch(f"/groups/{gid}/members/{family.admin.id}", json={"role": "member"})
    assert demote.status_code == 400
    assert "at least one admin" in error(demote)["message"]
    leave = admin.delete(f"/groups/{gid}/members/{family.admin.id}")
    assert leave.status_code == 400
    assert db.session.get(GroupMember, (gid, family.admin.id)).role == "admin"


def test_an_admin_can_leave_once_another_admin_exists(api, family):
    admin = api(family.admin)
    gid = family.group.id
    admin.patch(f"/groups/{gid}/members/{family.giver.id}", json={"role": "admin"})
    assert admin.delete(f"/groups/{gid}/members/{family.admin.id}").status_code == 204


def test_a_member_leaves_and_their_list_goes_with_them(api, family):
    factories.make_gift(family.owner, family.group, title="Lego")
    assert api(family.owner).delete(f"/groups/{family.group.id}/members/{family.owner.id}").status_code == 204
    assert db.session.get(GroupMember, (family.group.id, family.owner.id)) is None
    assert db.session.scalar(select(func.count(Gift.id))) == 0
    assert api(family.owner).get(f"/groups/{family.group.id}").status_code == 404


def test_gifts_bought_by_someone_who_leaves_stay_bought(api, family):
    gift = factories.make_gift(family.owner, family.group)
    api(family.giver).post(f"/gifts/{gift.id}/purchase")
    api(family.giver).delete(f"/groups/{family.group.id}/members/{family.giver.id}")
    assert api(family.other).get(f"/gifts/{gift.id}").get_json()["status"] == "purchased"


def test_a_member_cannot_remove_someone_else(api, family):
    response = api(family.giver).delete(f"/groups/{family.group.id}/members/{family.owner.id}")
    assert response.status_code == 403
    assert db.session.get(GroupMember, (family.group.id, family.owner.id)) is not None


# --- categories --------------------------------------------------------------------------------


def test_category_crud(api, family):
    admin = api(family.admin)
    gid = family.group.id
    created = admin.post(
        f"/groups/{gid}/categories",
        json={"name": "From Parents", "spending_limit": "200", "max_item_price": 50},
    )
    assert created.status_code == 201
    category = created.get_json()
    assert (category["spending_limit"], category["max_item_price"]) == ("200.00", "50.00")
    patched = admin.patch(
        f"/groups/{gid}/categories/{category['id']}", json={"name": "Parents", "spending_limit": None}
    )
    assert patched.get_json()["name"] == "Parents" and patched.get_json()["spending_limit"] is None
    assert [c["name"] for c in admin.get(f"/groups/{gid}").get_json()["categories"]] == ["Parents"]
    assert admin.delete(f"/groups/{gid}/categories/{category['id']}").status_code == 204
    assert admin.get(f"/groups/{gid}").get_json()["categories"] == []


def test_deleting_a_category_leaves_its_gifts_uncategorised(api, family):
    category = factories.make_category(family.group)
    gift = factories.make_gift(family.owner, family.group, category_id=category.id)
    api(family.admin).delete(f"/groups/{family.group.id}/categories/{category.id}")
    db.session.refresh(gift)
    assert gift.category_id is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 300}, "name"),
        ({"name": "Toys", "spending_limit": "-5"}, "spending_limit"),
        ({"name": "Toys", "spending_limit": "10.005"}, "spending_limit"),
        ({"name": "Toys", "spending_limit": "lots"}, "spending_limit"),
        ({"name": "Toys", "spending_limit": "５0"}, "spending_limit"),
        ({"name": "Toys", "max_item_price": "-0.01"}, "max_item_price"),
        ({"name": "Toys", "max_item_price": True}, "max_item_price"),
        ({"name": "Toys", "display_order": "first"}, "display_order"),
        ({"name": "Toys", "display_order": -1}, "display_order"),
    ],
)
def test_category_bad_input_is_refused_and_changes_nothing(api, family, body, field):
    response = api(family.admin).post(f"/groups/{family.group.id}/categories", json=body)
    assert response.status_code == 422
    assert error(response)["field"] == field
    assert db.session.scalar(select(func.count(Category.id))) == 0


def test_category_names_are_unique_per_group(api, family):
    factories.make_category(family.group, name="Toys")
    response = api(family.admin).post(f"/groups/{family.group.id}/categories", json={"name": "toys"})
    assert response.status_code == 422
    assert error(response)["field"] == "name"


# --- the lock ------------------------------------------------------------------------------------


# --- who may do what ------------------------------------------------------------------------------

GROUP_ROUTES = [
    ("GET", "/groups/{gid}", None, "member"),
    ("PATCH", "/groups/{gid}", {"name": "X"}, "admin"),
    ("POST", "/groups/{gid}/invite", None, "admin"),
    ("PATCH", "/groups/{gid}/members/{uid}", {"role": "member"}, "admin"),
    ("POST", "/groups/{gid}/categories", {"name": "New"}, "admin"),
    ("PATCH", "/groups/{gid}/categories/{cid}", {"name": "Renamed"}, "admin"),
    ("DELETE", "/groups/{gid}/categories/{cid}", None, "admin"),
    ("GET", "/groups/{gid}/piglists", None, "member"),
    ("GET", "/groups/{gid}/piglists/{uid}", None, "member"),
    ("POST", "/groups/{gid}/gifts", {"title": "Socks"}, "member"),
    ("GET", "/groups/{gid}/changes", None, "member"),
    ("GET", "/groups/{gid}/stats", None, "member"),
]
EXPECTED = {
    # role needed → {caller: status}
    "member": {"anonymous": 401, "outsider": 404, "member": "ok", "admin": "ok"},
    "admin": {"anonymous": 401, "outsider": 404, "member": 403, "admin": "ok"},
}


@pytest.mark.parametrize(("method", "path", "body", "needs"), GROUP_ROUTES)
@pytest.mark.parametrize("caller", ["anonymous", "outsider", "member", "admin"])
def test_authorization_matrix(api, family, method, path, body, needs, caller):
    category = factories.make_category(family.group)
    users = {
        "anonymous": None,
        "outsider": factories.make_user(),
        "member": family.giver,
        "admin": family.admin,
    }
    url = path.format(gid=family.group.id, uid=family.giver.id, cid=category.id)
    response = api(users[caller]).call(method, url, json=body)
    expected = EXPECTED[needs][caller]
    if expected == "ok":
        assert response.status_code in (200, 201, 204), response.get_json()
    else:
        assert response.status_code == expected, response.get_json()
        assert (
            error(response)["code"] == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[expected]
        )


def test_unknown_group_is_404_like_a_foreign_one(api, user):
    response = api(user).get("/groups/999999")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"
