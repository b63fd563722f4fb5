"""Secret Santa through the API (SPEC §10.5): setting up, drawing, redrawing, the anonymous
messages, and every hostile call refused with a clear error and nothing changed."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Exchange, ExchangeMessage, ExchangeParticipant, GroupMember

from . import factories
from .support.clients import error
from .support.concurrency import run_together
from .support.santa import new_exchange, pairs_of, set_pairs


@pytest.fixture
def admin(api, family):
    return api(family.admin)


def exchange_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Exchange))


def test_an_admin_sets_up_an_exchange(admin, family, people):
    made = new_exchange(
        admin,
        family.group,
        people,
        exclusions=[[family.admin.id, family.giver.id]],
        avoid_previous=True,
        budget="25",
        reveal_date="2026-12-25",
    )
    assert made["status"] == "open"
    assert made["budget"] == "25.00" and made["reveal_date"] == "2026-12-25"
    assert made["exclusions"] == [[family.admin.id, family.giver.id]]
    assert [p["display_name"] for p in made["participants"]] == ["Mum", "Tom", "Dad", "Gran"]
    assert made["my_recipient"] is None and "pairs" not in made


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"participant_ids": "1,2,3"}, "participant_ids"),
        ({"participant_ids": [1, 2]}, "participant_ids"),
        ({"participant_ids": [1, 2, "x"]}, "participant_ids"),
        ({"participant_ids": [1, 2, 3, 10**12]}, "participant_ids"),
        ({"participant_ids": [1, 2, 3, 99]}, "participant_ids"),
        ({"participant_ids": list(range(1, 300))}, "participant_ids"),
        ({"exclusions": [[1]]}, "exclusions"),
        ({"exclusions": [[1, 1]]}, "exclusions"),
        ({"exclusions": [[1, 4]]}, "exclusions"),
        ({"exclusions": "1-2"}, "exclusions"),
        ({"exclusions": [["a", "b"]]}, "exclusions"),
        ({"avoid_previous": "yes"}, "avoid_previous"),
        ({"budget": "-5"}, "budget"),
        ({"budget": "1e9"}, "budget"),
        ({"reveal_date": "Christmas"}, "reveal_date"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_bad_setups_are_refused_and_nothing_is_made(admin, family, fields, field):
    body = {"name": "Christmas", "participant_ids": [1, 2, 3], **fields}
    response = admin.post(f"/groups/{family.group.id}/exchanges", json=body)
    assert response.status_code == 422, response.get_json()
    assert error(response)["field"] == field
    assert exchange_count() == 0


def test_only_admins_set_up_and_draw_and_outsiders_get_not_found(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    member = api(family.giver)
    stranger = api(factories.make_user(display_name="Stranger"))
    body = {"name": "Mine", "participant_ids": [p.id for p in people]}
    assert member.post(f"/groups/{family.group.id}/exchanges", json=body).status_code == 403
    assert member.post(f"/exchanges/{made['id']}/draw").status_code == 403
    for call in (
        stranger.get(f"/groups/{family.group.id}/exchanges"),
        stranger.post(f"/groups/{family.group.id}/exchanges", json=body),
        stranger.get(f"/exchanges/{made['id']}"),
        stranger.post(f"/exchanges/{made['id']}/draw"),
        stranger.get(f"/exchanges/{made['id']}/messages"),
        stranger.post(f"/exchanges/{made['id']}/messages", json={"to": "santa", "body": "hi"}),
        admin.get("/exchanges/999"),
        admin.post("/exchanges/999/draw"),
    ):
        assert call.status_code == 404, call.get_json()
        assert error(call)["code"] == "not_found"
    assert db.session.get(Exchange, made["id"]).status == "open"


def test_an_admin_of_another_group_cannot_touch_this_groups_exchange(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    other_admin = factories.make_user(display_name="Elsewhere")
    factories.make_group(other_admin, name="Other family")
    assert api(other_admin).post(f"/exchanges/{made['id']}/draw").status_code == 404
    # Nor can an admin put someone else's members in their own exchange.
    response = api(other_admin).post(
        "/groups/2/exchanges",
        json={"name": "x", "participant_ids": [other_admin.id, *[p.id for p in people[:2]]]},
    )
    assert response.status_code == 422 and error(response)["field"] == "participant_ids"


def test_the_draw_gives_everyone_one_other_participant(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    response = admin.post(f"/exchanges/{made['id']}/draw")
    assert response.status_code == 200
    assert response.get_json()["status"] == "drawn" and "my_recipient" not in response.get_json()
    seen = {}
    for person in people:
        mine = api(person).get(f"/exchanges/{made['id']}").get_json()["my_recipient"]
        assert mine["id"] != person.id
        assert mine["list_id"] is not None
        seen[person.id] = mine["id"]
    assert sorted(seen.values()) == sorted(p.id for p in people)


def test_a_member_not_taking_part_has_no_recipient_and_no_messages(api, admin, family):
    made = new_exchange(admin, family.group, [family.admin, family.owner, family.giver])
    admin.post(f"/exchanges/{made['id']}/draw")
    gran = api(family.other)
    view = gran.get(f"/exchanges/{made['id']}").get_json()
    assert view["my_recipient"] is None and view["taking_part"] is False
    assert gran.get(f"/exchanges/{made['id']}/messages").status_code == 403
    response = gran.post(f"/exchanges/{made['id']}/messages", json={"to": "recipient", "body": "hi"})
    assert response.status_code == 403


def test_exclusions_hold_through_the_api_over_many_redraws(admin, family, people):
    couple = [family.admin.id, family.giver.id]
    made = new_exchange(admin, family.group, people, exclusions=[couple])
    admin.post(f"/exchanges/{made['id']}/draw")
    for _ in range(15):
        assert admin.post(f"/exchanges/{made['id']}/draw", json={"redraw": True}).status_code == 200
        pairs = pairs_of(made["id"])
        assert pairs[family.admin.id] != family.giver.id and pairs[family.giver.id] != family.admin.id


def test_last_exchanges_pairs_are_avoided_when_asked(admin, family, people):
    first = new_exchange(admin, family.group, people)
    admin.post(f"/exchanges/{first['id']}/draw")
    last_time = pairs_of(first["id"])
    second = new_exchange(admin, family.group, people, name="Next year", avoid_previous=True)
    admin.post(f"/exchanges/{second['id']}/draw")
    for _ in range(15):
        pairs = pairs_of(second["id"])
        assert all(last_time[santa] != recipient for santa, recipient in pairs.items())
        admin.post(f"/exchanges/{second['id']}/draw", json={"redraw": True})


def test_an_impossible_draw_names_the_rule_and_changes_nothing(admin, family):
    made = new_exchange(
        admin,
        family.group,
        [family.admin, family.owner, family.giver],
        exclusions=[[family.admin.id, family.owner.id]],
    )
    response = admin.post(f"/exchanges/{made['id']}/draw")
    assert response.status_code == 422
    assert error(response)["code"] == "no_valid_draw" and error(response)["field"] == "exclusions"
    assert "exclusions" in error(response)["message"]
    assert db.session.get(Exchange, made["id"]).status == "open"
    assert set(pairs_of(made["id"]).values()) == {None}


def test_avoiding_last_time_is_named_when_it_makes_the_draw_impossible(admin, family, people):
    first = new_exchange(admin, family.group, people)
    admin.post(f"/exchanges/{first['id']}/draw")
    mum, tom, dad, gran = people
    set_pairs(first["id"], {mum: tom, tom: mum, dad: gran, gran: dad})
    # Mum and Tom gave to each other: this time both could only draw Dad.
    second = new_exchange(admin, family.group, [mum, tom, dad], name="Again", avoid_previous=True)
    response = admin.post(f"/exchanges/{second['id']}/draw")
    assert response.status_code == 422
    assert error(response)["code"] == "no_valid_draw" and error(response)["field"] == "avoid_previous"
    assert "last exchange" in error(response)["message"]
    third = new_exchange(admin, family.group, [mum, tom, dad], name="Anyway", avoid_previous=False)
    assert admin.post(f"/exchanges/{third['id']}/draw").status_code == 200


def test_a_person_left_with_nobody_is_named(admin, family):
    mum, tom, dad = family.admin, family.owner, family.giver
    made = new_exchange(admin, family.group, [mum, tom, dad], exclusions=[[mum.id, tom.id], [mum.id, dad.id]])
    response = admin.post(f"/exchanges/{made['id']}/draw")
    assert response.status_code == 422 and "Mum would have nobody left to draw" in error(response)["message"]


def test_drawing_again_needs_a_redraw_and_stops_once_someone_has_opened_theirs(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    path = f"/exchanges/{made['id']}/draw"
    assert admin.post(path).status_code == 200
    again = admin.post(path)
    assert again.status_code == 409 and error(again)["code"] == "already_drawn"
    assert admin.get(f"/groups/{family.group.id}/exchanges").get_json()[0]["can_redraw"] is True
    assert admin.post(path, json={"redraw": True}).status_code == 200
    assert admin.post(path, json={"redraw": "please"}).status_code == 422
    before = pairs_of(made["id"])
    api(family.owner).get(f"/exchanges/{made['id']}")  # Tom opens his
    refused = admin.post(path, json={"redraw": True})
    assert refused.status_code == 409 and error(refused)["code"] == "already_opened"
    assert pairs_of(made["id"]) == before
    assert admin.get(f"/groups/{family.group.id}/exchanges").get_json()[0]["can_redraw"] is False


def test_listing_exchanges_opens_nobodys_assignment(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    admin.post(f"/exchanges/{made['id']}/draw")
    for person in people:
        listed = api(person).get(f"/groups/{family.group.id}/exchanges").get_json()
        assert "my_recipient" not in listed[0]
    assert admin.post(f"/exchanges/{made['id']}/draw", json={"redraw": True}).status_code == 200


def test_two_admins_drawing_at_once_make_one_draw(api, admin, family, people):
    db.session.get(GroupMember, (family.group.id, family.giver.id)).role = "admin"
    db.session.commit()
    made = new_exchange(admin, family.group, people)
    path = f"/exchanges/{made['id']}/draw"
    clients = [admin, api(family.giver)]
    calls = [lambda c=clients[n % 2]: c.post(path) for n in range(6)]
    assert run_together(calls) == Counter({200: 1, 409: 5})
    pairs = pairs_of(made["id"])
    assert sorted(pairs.values()) == sorted(p.id for p in people)


def test_opening_racing_a_redraw_never_shows_a_name_the_draw_then_changes(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    admin.post(f"/exchanges/{made['id']}/draw")
    tom = api(family.owner)
    seen = []

    class Opened:
        status_code = 200

    def open_it():
        seen.append(tom.get(f"/exchanges/{made['id']}").get_json()["my_recipient"]["id"])
        return Opened

    calls = [open_it] + [lambda: admin.post(f"/exchanges/{made['id']}/draw", json={"redraw": True})] * 3
    run_together(calls)
    assert seen == [pairs_of(made["id"])[family.owner.id]]


def test_a_santa_asks_and_the_recipient_answers_without_learning_who_asked(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    eid = made["id"]
    assert (
        api(family.owner).post(f"/exchanges/{eid}/messages", json={"to": "santa", "body": "hi"}).status_code
        == 409
    )
    admin.post(f"/exchanges/{eid}/draw")
    pairs = pairs_of(eid)
    santa_of_tom = next(p for p in people if pairs[p.id] == family.owner.id)
    santa, tom = api(santa_of_tom), api(family.owner)
    asked = santa.post(f"/exchanges/{eid}/messages", json={"to": "recipient", "body": "What size are you?"})
    assert asked.status_code == 201
    assert asked.get_json()["thread"] == "my_recipient" and asked.get_json()["from_me"] is True
    [line] = [m for m in tom.get(f"/exchanges/{eid}/messages").get_json() if m["thread"] == "my_santa"]
    assert line["from_me"] is False and line["body"] == "What size are you?"
    assert set(line) == {"thread", "from_me", "body", "sent_at"}
    assert line["sent_at"].endswith("T00:00:00Z") or line["sent_at"].endswith("T00:00:00+00:00")
    assert (
        tom.post(f"/exchanges/{eid}/messages", json={"to": "santa", "body": "Medium, thanks!"}).status_code
        == 201
    )
    answers = [m for m in santa.get(f"/exchanges/{eid}/messages").get_json() if m["thread"] == "my_recipient"]
    assert [(m["from_me"], m["body"]) for m in answers] == [
        (True, "What size are you?"),
        (False, "Medium, thanks!"),
    ]
    # Writing opened both assignments: the draw stands.
    assert admin.post(f"/exchanges/{eid}/draw", json={"redraw": True}).status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"to": "mum", "body": "hi"}, "to"),
        ({"to": None, "body": "hi"}, "to"),
        ({"to": "recipient", "body": ""}, "body"),
        ({"to": "recipient", "body": 42}, "body"),
        ({"to": "recipient", "body": "x" * 1001}, "body"),
    ],
)
def test_bad_messages_are_refused_and_nothing_is_stored(api, admin, family, people, body, field):
    made = new_exchange(admin, family.group, people)
    admin.post(f"/exchanges/{made['id']}/draw")
    response = api(family.owner).post(f"/exchanges/{made['id']}/messages", json=body)
    assert response.status_code == 422 and error(response)["field"] == field
    assert db.session.scalar(select(func.count()).select_from(ExchangeMessage)) == 0
    assert db.session.scalar(select(func.count()).where(ExchangeParticipant.opened_at.is_not(None))) == 0


def test_a_body_that_is_not_json_is_a_bad_request(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    response = admin.call(
        "POST", f"/exchanges/{made['id']}/messages", data="to=santa", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400 and error(response)["code"] == "bad_request"


def test_the_export_holds_ones_own_exchanges_and_names_a_recipient_only_once_opened(
    api, admin, family, people
):
    made = new_exchange(admin, family.group, people)
    admin.post(f"/exchanges/{made['id']}/draw")
    tom = api(family.owner)
    [before] = tom.get("/me/export").get_json()["secret_santa"]
    assert before["name"] == "Christmas" and before["my_recipient"] is None and before["messages"] == []
    assert "pairs" not in before and "can_redraw" not in before
    opened = tom.get(f"/exchanges/{made['id']}").get_json()["my_recipient"]
    tom.post(f"/exchanges/{made['id']}/messages", json={"to": "recipient", "body": "Size?"})
    [after] = tom.get("/me/export").get_json()["secret_santa"]
    assert after["my_recipient"] == opened
    assert [(m["thread"], m["body"]) for m in after["messages"]] == [("my_recipient", "Size?")]
    # Exporting opened nothing for anyone else: the admin's export of a fresh draw names nobody.
    assert api(family.other).get("/me/export").get_json()["secret_santa"][0]["my_recipient"] is None


def test_stats_count_exchanges_and_nothing_about_pairs(app, admin, family, people, runner):
    made = new_exchange(admin, family.group, people)
    new_exchange(admin, family.group, people, name="Birthday")
    admin.post(f"/exchanges/{made['id']}/draw")
    result = runner.invoke(args=["piglist", "stats"])
    assert "Secret Santa exchanges: 2 (1 open, 1 drawn)" in result.output
    assert all(p.display_name not in result.output for p in people)


def test_an_erased_participant_leaves_the_draw_standing_for_the_others(api, admin, family, people):
    made = new_exchange(admin, family.group, people)
    admin.post(f"/exchanges/{made['id']}/draw")
    pairs = pairs_of(made["id"])
    gran_id = family.other.id
    gran_santa = next(p for p in people if pairs[p.id] == gran_id)
    santa = api(gran_santa)
    assert api(family.other).delete("/me", json={"password": factories.PASSWORD}).status_code == 204
    view = santa.get(f"/exchanges/{made['id']}").get_json()
    assert view["my_recipient"] is None and gran_id not in [p["id"] for p in view["participants"]]
    refused = santa.post(f"/exchanges/{made['id']}/messages", json={"to": "recipient", "body": "hi"})
    assert refused.status_code == 422 and error(refused)["field"] == "to"
