"""Occasions in the API (SPEC §10.4): admins create, change and delete them; members list them;
everyone else, and every bad input, gets a clear error and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import MAX_ID, Occasion, today

from . import factories
from .support.apps import both_backends
from .support.clients import error
from .support.occasions import list_of, make_occasion


def occasion_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Occasion))


def in_days(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


@both_backends
def test_an_admin_sets_christmas_for_every_list(api, family):
    response = api(family.admin).post(
        f"/groups/{family.group.id}/occasions", json={"name": "Christmas", "date": in_days(30)}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    every = sorted(
        list_of(family.group, u).id for u in (family.admin, family.owner, family.giver, family.other)
    )
    assert body["name"] == "Christmas"
    assert body["date"] == in_days(30)
    assert body["list_ids"] == every
    assert body["all_lists"] is True
    assert body["days_left"] == 30
    listed = api(family.giver).get(f"/groups/{family.group.id}/occasions").get_json()
    assert [o["id"] for o in listed] == [body["id"]]


def test_a_birthday_concerns_one_list(api, family):
    tom = list_of(family.group, family.owner)
    response = api(family.admin).post(
        f"/groups/{family.group.id}/occasions",
        json={"name": "Tom's birthday", "date": in_days(10), "list_ids": [tom.id]},
    )
    assert response.status_code == 201
    assert response.get_json()["list_ids"] == [tom.id]
    assert response.get_json()["all_lists"] is False


def test_lists_made_after_christmas_are_in_it_too(api, family):
    occasion = make_occasion(family.group, days_from_now=20)
    newcomer = factories.make_user(display_name="Cousin")
    factories.add_member(family.group, newcomer)
    body = api(family.giver).get(f"/occasions/{occasion.id}").get_json()
    assert list_of(family.group, newcomer).id in body["list_ids"]


def test_an_admin_changes_and_deletes_an_occasion(api, family):
    occasion = make_occasion(family.group, days_from_now=20)
    tom = list_of(family.group, family.owner)
    path = f"/groups/{family.group.id}/occasions/{occasion.id}"
    changed = api(family.admin).patch(path, json={"name": "Xmas", "list_ids": [tom.id]})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["name"], changed.get_json()["list_ids"]) == ("Xmas", [tom.id])
    assert changed.get_json()["date"] == in_days(20)
    back = api(family.admin).patch(f"/occasions/{occasion.id}", json={"list_ids": None})
    assert back.get_json()["all_lists"] is True
    assert api(family.admin).delete(path).status_code == 204
    assert occasion_count() == 0
    assert api(family.admin).get(path).status_code == 404


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_members_who_are_not_admins_are_refused(api, family, method):
    occasion = make_occasion(family.group, days_from_now=20)
    path = f"/groups/{family.group.id}/occasions" + ("" if method == "post" else f"/{occasion.id}")
    response = getattr(api(family.giver), method)(path, json={"name": "Mine", "date": in_days(3)})
    assert response.status_code == 403
    assert error(response)["code"] == "forbidden"
    assert db.session.get(Occasion, occasion.id).name == "Christmas"
    assert occasion_count() == 1


def test_another_groups_occasions_are_not_found(api, family):
    stranger = factories.make_user(display_name="Stranger")
    elsewhere = factories.make_group(stranger, name="Elsewhere")
    theirs = make_occasion(elsewhere, days_from_now=5)
    ours = make_occasion(family.group, days_from_now=5)
    admin = api(family.admin)
    for response in (
        admin.get(f"/occasions/{theirs.id}"),
        admin.patch(f"/occasions/{theirs.id}", json={"name": "Mine now"}),
        admin.delete(f"/occasions/{theirs.id}"),
        # Their occasion under our group's path, ours under theirs.
        admin.patch(f"/groups/{family.group.id}/occasions/{theirs.id}", json={"name": "Mine now"}),
        admin.get(f"/groups/{elsewhere.id}/occasions"),
        admin.post(f"/groups/{elsewhere.id}/occasions", json={"name": "X", "date": in_days(3)}),
        api(stranger).get(f"/groups/{elsewhere.id}/occasions/{ours.id}"),
        admin.get(f"/occasions/{MAX_ID}"),
    ):
        assert response.status_code == 404, response.get_json()
        assert error(response)["code"] == "not_found"
    assert db.session.get(Occasion, theirs.id).name == "Christmas"
    assert occasion_count() == 2


def test_a_list_of_another_group_cant_be_named(api, family):
    stranger = factories.make_user(display_name="Stranger")
    elsewhere = factories.make_group(stranger, name="Elsewhere")
    response = api(family.admin).post(
        f"/groups/{family.group.id}/occasions",
        json={"name": "Birthday", "date": in_days(3), "list_ids": [list_of(elsewhere, stranger).id]},
    )
    assert response.status_code == 422
    assert error(response)["field"] == "list_ids"
    assert occasion_count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2026-12-25"}, "name"),
        ({"name": "", "date": "IN"}, "name"),
        ({"name": "x" * 101, "date": "IN"}, "name"),
        ({"name": 12, "date": "IN"}, "name"),
        ({"name": "Christmas"}, "date"),
        ({"name": "Christmas", "date": "2026-13-01"}, "date"),
        ({"name": "Christmas", "date": "25/12/2026"}, "date"),
        ({"name": "Christmas", "date": 20261225}, "date"),
        ({"name": "Christmas", "date": "BACK"}, "date"),
        ({"name": "Christmas", "date": "AHEAD"}, "date"),
        ({"name": "Christmas", "date": "IN", "list_ids": []}, "list_ids"),
        ({"name": "Christmas", "date": "IN", "list_ids": "1"}, "list_ids"),
        ({"name": "Christmas", "date": "IN", "list_ids": ["1"]}, "list_ids"),
        ({"name": "Christmas", "date": "IN", "list_ids": [True]}, "list_ids"),
        ({"name": "Christmas", "date": "IN", "list_ids": [2**63]}, "list_ids"),
        ({"name": "Christmas", "date": "IN", "list_ids": list(range(1, 2000))}, "list_ids"),
        ({"name": "Christmas", "date": "IN", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"name": "Christmas", "date": "IN", "time_zone": 5}, "time_zone"),
    ],
)
def test_bad_occasions_are_refused_and_change_nothing(api, family, body, field):
    dates = {"IN": in_days(5), "BACK": in_days(-370), "AHEAD": in_days(2 * 366 + 2)}
    body = {key: dates.get(value, value) if isinstance(value, str) else value for key, value in body.items()}
    response = api(family.admin).post(f"/groups/{family.group.id}/occasions", json=body)
    assert response.status_code == 422, response.get_json()
    assert error(response)["code"] == "validation_failed"
    assert error(response)["field"] == field
    assert occasion_count() == 0


def test_dates_from_a_year_back_to_two_years_ahead_are_accepted(api, family):
    for days in (-364, 0, 2 * 365 - 1):
        response = api(family.admin).post(
            f"/groups/{family.group.id}/occasions", json={"name": "Day", "date": in_days(days)}
        )
        assert response.status_code == 201, (days, response.get_json())


def test_a_bad_change_changes_nothing(api, family):
    occasion = make_occasion(family.group, days_from_now=20)
    response = api(family.admin).patch(f"/occasions/{occasion.id}", json={"name": "Renamed", "date": "soon"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Occasion, occasion.id).name == "Christmas"


def test_a_body_that_is_not_an_object_is_a_bad_request(api, family):
    response = api(family.admin).call(
        "POST", f"/groups/{family.group.id}/occasions", data="[]", content_type="application/json"
    )
    assert response.status_code == 400
    assert occasion_count() == 0


def test_a_gift_is_tagged_for_one_of_its_lists_occasions(api, family):
    tom = list_of(family.group, family.owner)
    birthday = make_occasion(family.group, "Tom's birthday", days_from_now=9, lists=[tom])
    someone_else = make_occasion(
        family.group, "Gran's birthday", days_from_now=9, lists=[list_of(family.group, family.other)]
    )
    owner = api(family.owner)
    made = owner.post(f"/groups/{family.group.id}/gifts", json={"title": "Kite", "occasion_id": birthday.id})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["occasion_id"] == birthday.id
    gift_id = made.get_json()["id"]
    for bad in (someone_else.id, MAX_ID, "soon", -1):
        refused = owner.patch(f"/gifts/{gift_id}", json={"occasion_id": bad})
        assert refused.status_code == 422, bad
        assert error(refused)["field"] == "occasion_id"
    untagged = owner.patch(f"/gifts/{gift_id}", json={"occasion_id": None})
    assert untagged.get_json()["occasion_id"] is None


def test_reminders_are_turned_off_and_on_through_the_api(api, family):
    me = api(family.giver)
    assert me.get("/me").get_json().get("reminders", True) is True
    assert me.patch("/me", json={"reminders": False}).get_json()["reminders"] is False
    db.session.expire_all()
    assert family.giver.reminders is False
    refused = me.patch("/me", json={"reminders": "no", "display_name": "Changed"})
    assert refused.status_code == 422
    assert error(refused)["field"] == "reminders"
    db.session.expire_all()
    assert family.giver.display_name == "Dad"
