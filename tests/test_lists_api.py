"""Lists in the API (SPEC 10.1): a dependant's list kept by parents, a couple's shared list, and
everyone's lists of a group; hostile calls get clear errors and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import MAX_ID, Gift, Piglist

from . import factories
from .support.apps import both_backends
from .support.clients import error


def make_lily(api, family):
    """Mum (the admin) keeps Lily's list."""
    response = api(family.admin).post(
        f"/groups/{family.group.id}/lists", json={"kind": "dependant", "name": "Lily"}
    )
    assert response.status_code == 201
    return response.get_json()


def list_count() -> int:
    return db.session.scalar(select(func.count(Piglist.id)))


@both_backends  # SQLite too: `make run`'s database, migrated by flask db upgrade
def test_a_dependants_list_is_for_her_and_kept_by_its_creator(api, family):
    lily = make_lily(api, family)
    assert lily["kind"] == "dependant" and lily["status"] == "active" and lily["title"] == "Lily"
    assert lily["recipients"] == [{"id": None, "display_name": "Lily"}]
    assert lily["managers"] == [{"id": family.admin.id, "display_name": "Mum"}]
    titles = [item["title"] for item in api(family.giver).get(f"/groups/{family.group.id}/lists").get_json()]
    assert titles == ["Dad", "Gran", "Mum", "Tom", "Lily"]


def test_every_member_list_is_for_and_kept_by_its_member(api, family):
    lists = api(family.owner).get(f"/groups/{family.group.id}/lists").get_json()
    tom = next(item for item in lists if item["title"] == "Tom")
    me = {"id": family.owner.id, "display_name": "Tom"}
    assert (tom["kind"], tom["recipients"], tom["managers"]) == ("member", [me], [me])


def test_a_keeper_adds_wishes_others_add_ideas(api, family):
    lily = make_lily(api, family)
    wish = api(family.admin).post(f"/lists/{lily['id']}/gifts", json={"title": "Doll", "price": "20"})
    assert wish.status_code == 201
    idea = api(family.giver).post(f"/lists/{lily['id']}/gifts", json={"title": "Bike"})
    assert idea.status_code == 201
    seen = api(family.other).get(f"/lists/{lily['id']}").get_json()
    by_title = {g["title"]: g for g in seen["gifts"]}
    assert by_title["Doll"]["idea"] is False and by_title["Doll"]["added_by"]["display_name"] == "Mum"
    assert by_title["Bike"]["idea"] is True and by_title["Bike"]["added_by"]["display_name"] == "Dad"
    assert by_title["Doll"]["list_id"] == lily["id"] and by_title["Doll"]["owner"] is None


def test_the_keeper_of_a_dependants_list_sees_and_makes_purchases(api, family):
    lily = make_lily(api, family)
    wish = api(family.admin).post(f"/lists/{lily['id']}/gifts", json={"title": "Doll"}).get_json()
    assert api(family.giver).post(f"/gifts/{wish['id']}/purchase").status_code == 200
    seen = api(family.admin).get(f"/gifts/{wish['id']}").get_json()
    assert seen["status"] == "purchased" and seen["purchased_by"]["display_name"] == "Dad"
    other = api(family.admin).post(f"/lists/{lily['id']}/gifts", json={"title": "Ball"}).get_json()
    assert api(family.admin).post(f"/gifts/{other['id']}/purchase").status_code == 200


def test_a_recipient_who_does_not_keep_the_list_cannot_add_to_it(api, family):
    shared = (
        api(family.owner)
        .post(f"/groups/{family.group.id}/lists", json={"kind": "shared", "with_user_id": family.giver.id})
        .get_json()
    )
    before = db.session.scalar(select(func.count(Gift.id)))
    response = api(family.giver).post(f"/lists/{shared['id']}/gifts", json={"title": "Wine"})
    assert response.status_code == 403
    assert db.session.scalar(select(func.count(Gift.id))) == before


@both_backends  # SQLite too: `make run`'s database, migrated by flask db upgrade
def test_a_shared_list_waits_for_the_partner_then_is_both_of_theirs(api, family):
    created = api(family.owner).post(
        f"/groups/{family.group.id}/lists", json={"kind": "shared", "with_user_id": family.giver.id}
    )
    assert created.status_code == 201
    shared = created.get_json()
    assert shared["status"] == "pending" and shared["title"] == "Tom & Dad"
    # Nobody else knows of it yet.
    assert api(family.other).get(f"/lists/{shared['id']}").status_code == 404
    assert shared["id"] not in [
        x["id"] for x in api(family.other).get(f"/groups/{family.group.id}/lists").get_json()
    ]
    # Only the partner may answer.
    assert api(family.owner).post(f"/lists/{shared['id']}/accept").status_code == 403
    accepted = api(family.giver).post(f"/lists/{shared['id']}/accept")
    assert accepted.status_code == 200
    body = accepted.get_json()
    assert body["status"] == "active"
    assert {m["id"] for m in body["managers"]} == {family.owner.id, family.giver.id}
    assert {r["id"] for r in body["recipients"]} == {family.owner.id, family.giver.id}
    assert api(family.giver).post(f"/lists/{shared['id']}/accept").status_code == 200  # twice: harmless
    assert api(family.other).get(f"/lists/{shared['id']}").status_code == 200


def test_declining_a_shared_list_removes_it(api, family):
    shared = (
        api(family.owner)
        .post(f"/groups/{family.group.id}/lists", json={"kind": "shared", "with_user_id": family.giver.id})
        .get_json()
    )
    assert api(family.giver).post(f"/lists/{shared['id']}/decline").status_code == 204
    assert api(family.owner).get(f"/lists/{shared['id']}").status_code == 404


def test_one_shared_list_per_couple(api, family):
    body = {"kind": "shared", "with_user_id": family.giver.id}
    assert api(family.owner).post(f"/groups/{family.group.id}/lists", json=body).status_code == 201
    again = api(family.giver).post(
        f"/groups/{family.group.id}/lists", json={"kind": "shared", "with_user_id": family.owner.id}
    )
    assert again.status_code == 409 and error(again)["code"] == "duplicate"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "kind"),
        ({"kind": "member"}, "kind"),
        ({"kind": ["dependant"]}, "kind"),
        ({"kind": "dependant"}, "name"),
        ({"kind": "dependant", "name": "x" * 101}, "name"),
        ({"kind": "dependant", "name": 5}, "name"),
        ({"kind": "shared"}, "with_user_id"),
        ({"kind": "shared", "with_user_id": "abc"}, "with_user_id"),
        ({"kind": "shared", "with_user_id": 2**40}, "with_user_id"),
        ({"kind": "shared", "with_user_id": -1}, "with_user_id"),
    ],
)
def test_bad_list_bodies_are_refused_and_change_nothing(api, family, body, field):
    before = list_count()
    response = api(family.owner).post(f"/groups/{family.group.id}/lists", json=body)
    assert response.status_code == 422 and error(response)["field"] == field
    assert list_count() == before


def test_a_shared_list_with_oneself_or_an_outsider_is_refused(api, family):
    outsider = factories.make_user(display_name="Eve")
    before = list_count()
    for partner in (family.owner.id, outsider.id):
        response = api(family.owner).post(
            f"/groups/{family.group.id}/lists", json={"kind": "shared", "with_user_id": partner}
        )
        assert response.status_code == 422 and error(response)["field"] == "with_user_id"
    assert list_count() == before


def test_outsiders_get_404_for_every_list_call(api, family):
    lily = make_lily(api, family)
    wish = api(family.admin).post(f"/lists/{lily['id']}/gifts", json={"title": "Doll"}).get_json()
    eve = factories.make_user(display_name="Eve")
    outsider = api(eve)
    lid, gid = lily["id"], family.group.id
    calls = [
        ("GET", f"/groups/{gid}/lists"),
        ("POST", f"/groups/{gid}/lists"),
        ("GET", f"/lists/{lid}"),
        ("DELETE", f"/lists/{lid}"),
        ("POST", f"/lists/{lid}/accept"),
        ("POST", f"/lists/{lid}/decline"),
        ("POST", f"/lists/{lid}/managers/{eve.id}"),
        ("DELETE", f"/lists/{lid}/managers/{family.admin.id}"),
        ("POST", f"/lists/{lid}/gifts"),
        ("GET", f"/gifts/{wish['id']}"),
        ("POST", f"/gifts/{wish['id']}/purchase"),
    ]
    for method, path in calls:
        response = outsider.call(method, path, json={"kind": "dependant", "name": "X", "title": "Y"})
        assert response.status_code == 404, (method, path)
        assert error(response)["code"] == "not_found"
    assert api(family.admin).get(f"/lists/{lid}").get_json()["managers"][0]["id"] == family.admin.id


def test_keepers_add_and_remove_keepers_and_a_list_keeps_one(api, family):
    lily = make_lily(api, family)
    lid = lily["id"]
    assert api(family.giver).post(f"/lists/{lid}/managers/{family.giver.id}").status_code == 403
    added = api(family.admin).post(f"/lists/{lid}/managers/{family.giver.id}")
    assert added.status_code == 200
    assert [m["id"] for m in added.get_json()["managers"]] == sorted([family.admin.id, family.giver.id])
    # Dad keeps it now: his gift there is a wish, not an idea.
    gift = api(family.giver).post(f"/lists/{lid}/gifts", json={"title": "Kite"}).get_json()
    assert gift["idea"] is False
    assert api(family.giver).delete(f"/lists/{lid}/managers/{family.admin.id}").status_code == 204
    last = api(family.giver).delete(f"/lists/{lid}/managers/{family.giver.id}")
    assert last.status_code == 400
    assert [m["id"] for m in api(family.giver).get(f"/lists/{lid}").get_json()["managers"]] == [
        family.giver.id
    ]
    stranger = factories.make_user()
    refused = api(family.giver).post(f"/lists/{lid}/managers/{stranger.id}")
    assert refused.status_code == 422 and error(refused)["field"] == "user_id"


def test_member_lists_have_no_keepers_to_add_and_cannot_be_deleted(api, family):
    tom = next(
        item
        for item in api(family.owner).get(f"/groups/{family.group.id}/lists").get_json()
        if item["kind"] == "member" and item["title"] == "Tom"
    )
    assert api(family.owner).post(f"/lists/{tom['id']}/managers/{family.giver.id}").status_code == 400
    assert api(family.owner).delete(f"/lists/{tom['id']}").status_code == 400


def test_deleting_a_dependants_list_keeps_bought_gifts_for_their_buyers(api, family):
    lily = make_lily(api, family)
    doll = api(family.admin).post(f"/lists/{lily['id']}/gifts", json={"title": "Doll"}).get_json()
    api(family.giver).post(f"/gifts/{doll['id']}/purchase")
    assert api(family.giver).delete(f"/lists/{lily['id']}").status_code == 403
    assert api(family.admin).delete(f"/lists/{lily['id']}").status_code == 204
    assert api(family.admin).get(f"/lists/{lily['id']}").status_code == 404
    kept = api(family.giver).get(f"/gifts/{doll['id']}")
    assert kept.status_code == 200 and kept.get_json()["removed"] is True
    assert api(family.other).get(f"/gifts/{doll['id']}").status_code == 404


def test_the_last_keeper_leaving_hands_a_dependants_list_to_the_admins(api, family):
    lily = (
        api(family.giver)
        .post(f"/groups/{family.group.id}/lists", json={"kind": "dependant", "name": "Lily"})
        .get_json()
    )
    assert api(family.giver).delete(f"/groups/{family.group.id}/members/{family.giver.id}").status_code == 204
    managers = api(family.admin).get(f"/lists/{lily['id']}").get_json()["managers"]
    assert managers == [{"id": family.admin.id, "display_name": "Mum"}]


def test_wrong_ids_in_paths_are_not_found(api, family):
    client = api(family.owner)
    for path in ("/lists/0", f"/lists/{MAX_ID}", "/lists/999999"):
        assert client.get(path).status_code == 404


def test_operators_stats_count_lists_by_kind_and_ideas(api, family, runner):
    make_lily(api, family)
    tom_list = db.session.scalar(select(Piglist.id).where(Piglist.user_id == family.owner.id))
    api(family.giver).post(f"/lists/{tom_list}/gifts", json={"title": "Secret"})
    output = runner.invoke(args=["piglist", "stats"]).output.splitlines()
    assert "Lists: 5 (4 member, 0 shared, 1 dependant)" in output
    assert "Ideas: 1" in output


def test_erasing_a_keeper_keeps_the_childs_list_with_the_other_keeper(api, family, runner):
    lily = make_lily(api, family)
    api(family.admin).post(f"/lists/{lily['id']}/managers/{family.giver.id}")
    wish = api(family.admin).post(f"/lists/{lily['id']}/gifts", json={"title": "Doll"}).get_json()
    result = runner.invoke(args=["piglist", "erase-user", family.admin.email], input="y\n")
    assert result.exit_code == 0, result.output
    kept = api(family.giver).get(f"/lists/{lily['id']}").get_json()
    assert kept["managers"] == [{"id": family.giver.id, "display_name": "Dad"}]
    assert [g["title"] for g in kept["gifts"]] == ["Doll"] and kept["gifts"][0]["id"] == wish["id"]


def test_the_export_holds_the_lists_you_keep_and_your_ideas(api, family):
    lily = make_lily(api, family)
    api(family.admin).post(f"/lists/{lily['id']}/gifts", json={"title": "Doll"})
    tom_list = db.session.scalar(select(Piglist.id).where(Piglist.user_id == family.owner.id))
    api(family.admin).post(f"/lists/{tom_list}/gifts", json={"title": "Secret telescope"})
    mine = api(family.admin).get("/me/export").get_json()
    assert [(k["title"], [g["title"] for g in k["gifts"]]) for k in mine["kept_lists"]] == [
        ("Lily", ["Doll"])
    ]
    assert [g["title"] for g in mine["ideas"]] == ["Secret telescope"]
    toms = api(family.owner).get("/me/export").get_data(as_text=True)
    assert "Secret telescope" not in toms
