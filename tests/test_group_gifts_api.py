"""Group gifts through the API (SPEC §10.3): start, pledge, change, withdraw, call off, mark
bought, undo — and every refusal changes nothing."""

import pytest

from piglist.extensions import db
from piglist.models import MAX_ID, Purchase

from . import factories
from .support.clients import error
from .support.rows import pledges as pledges_in_db


@pytest.fixture
def big(family):
    return factories.make_gift(family.owner, family.group, title="Bike", price="200.00")


def start(api, person, gift):
    return api(person).post(f"/gifts/{gift.id}/group-gift")


def pledge(api, person, gift, amount):
    return api(person).call("PUT", f"/gifts/{gift.id}/pledge", json={"amount": amount})


def test_a_giver_starts_a_group_gift_and_becomes_its_organiser(api, family, big):
    response = start(api, family.giver, big)
    assert response.status_code == 200
    assert response.get_json()["group_gift"] == {
        "status": "open",
        "organiser": {"id": family.giver.id, "display_name": "Dad"},
        "pledges": [],
        "pledged": "0.00",
        "remaining": "200.00",
    }


def test_a_gift_nobody_chips_in_for_shows_no_group_gift(api, family, big):
    assert api(family.giver).get(f"/gifts/{big.id}").get_json()["group_gift"] is None


def test_starting_one_that_is_open_changes_nothing(api, family, big):
    start(api, family.giver, big)
    again = start(api, family.other, big)
    assert again.status_code == 200
    assert again.get_json()["group_gift"]["organiser"]["id"] == family.giver.id


def test_pledges_add_up_and_remaining_falls(api, family, big):
    start(api, family.giver, big)
    assert pledge(api, family.giver, big, "50.00").status_code == 200
    view = pledge(api, family.other, big, 100).get_json()["group_gift"]
    assert view["pledged"] == "150.00"
    assert view["remaining"] == "50.00"
    assert [(p["user"]["display_name"], p["amount"]) for p in view["pledges"]] == [
        ("Dad", "50.00"),
        ("Gran", "100.00"),
    ]


def test_changing_a_pledge_replaces_it(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.giver, big, "50.00")
    view = pledge(api, family.giver, big, "80.50").get_json()["group_gift"]
    assert view["pledged"] == "80.50"
    assert pledges_in_db(big) == [(family.giver.id, "80.50")]


def test_withdrawing_removes_the_pledge_and_twice_is_harmless(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.other, big, "50.00")
    for _ in range(2):
        response = api(family.other).delete(f"/gifts/{big.id}/pledge")
        assert response.status_code == 200
        assert response.get_json()["group_gift"]["pledged"] == "0.00"
    assert pledges_in_db(big) == []


def test_a_pledge_past_the_price_is_over_pledged_and_changes_nothing(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.giver, big, "150.00")
    response = pledge(api, family.other, big, "50.01")
    assert response.status_code == 409
    assert error(response)["code"] == "over_pledged"
    assert error(response)["field"] == "amount"
    assert "$50 " in error(response)["message"]
    assert pledges_in_db(big) == [(family.giver.id, "150.00")]
    # Raising one's own pledge counts the others', not one's own.
    assert pledge(api, family.giver, big, "200.00").status_code == 200


@pytest.mark.parametrize(
    "amount", [None, "", "abc", "-5", "0", "0.00", "1.234", True, [], {"a": 1}, "1e400", "99999999999999"]
)
def test_bad_amounts_are_refused_and_change_nothing(api, family, big, amount):
    start(api, family.giver, big)
    response = pledge(api, family.giver, big, amount)
    assert response.status_code == 422, response.get_json()
    assert error(response)["field"] == "amount"
    assert pledges_in_db(big) == []


def test_a_body_that_is_not_an_object_is_a_bad_request(api, family, big):
    start(api, family.giver, big)
    response = api(family.giver).call("PUT", f"/gifts/{big.id}/pledge", json=["12.00"])
    assert response.status_code == 400


def test_the_recipient_can_neither_start_nor_pledge(api, family, big):
    assert start(api, family.owner, big).status_code == 403
    start(api, family.giver, big)
    assert pledge(api, family.owner, big, "10.00").status_code == 403
    assert api(family.owner).delete(f"/gifts/{big.id}/pledge").status_code == 403
    assert api(family.owner).delete(f"/gifts/{big.id}/group-gift").status_code == 403
    assert pledges_in_db(big) == []


def test_outsiders_get_404_everywhere(api, family, big):
    stranger = factories.make_user(display_name="Stranger")
    factories.make_group(stranger, name="Other family")
    start(api, family.giver, big)
    for response in (
        start(api, stranger, big),
        pledge(api, stranger, big, "10.00"),
        api(stranger).delete(f"/gifts/{big.id}/pledge"),
        api(stranger).delete(f"/gifts/{big.id}/group-gift"),
        api(stranger).post(f"/gifts/{big.id}/purchase"),
    ):
        assert response.status_code == 404
    assert start(api, family.giver, type("G", (), {"id": MAX_ID})).status_code == 404


def test_a_gift_without_a_price_cannot_be_bought_together(api, family):
    gift = factories.make_gift(family.owner, family.group, price=None)
    response = start(api, family.giver, gift)
    assert response.status_code == 422
    assert error(response)["field"] == "price"


def test_a_bought_gift_cannot_be_started(api, family, big):
    factories.make_purchase(big, family.admin)
    assert start(api, family.giver, big).status_code == 409


def test_pledging_before_anyone_starts_is_404(api, family, big):
    assert pledge(api, family.giver, big, "10.00").status_code == 404


def test_only_the_organiser_calls_it_off_and_the_pledges_go(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.other, big, "20.00")
    assert api(family.other).delete(f"/gifts/{big.id}/group-gift").status_code == 403
    response = api(family.giver).delete(f"/gifts/{big.id}/group-gift")
    assert response.status_code == 200
    assert response.get_json()["group_gift"] is None
    assert pledges_in_db(big) == []
    # Anyone may start it again, and organises it then.
    again = start(api, family.other, big).get_json()["group_gift"]
    assert again["organiser"]["id"] == family.other.id and again["pledges"] == []


def test_the_organiser_marks_it_bought_when_fully_pledged_and_the_pledgers_are_its_purchasers(
    api, family, big
):
    start(api, family.giver, big)
    pledge(api, family.giver, big, "120.00")
    early = api(family.giver).post(f"/gifts/{big.id}/purchase")
    assert early.status_code == 409 and error(early)["code"] == "group_gift_conflict"
    pledge(api, family.other, big, "80.00")
    response = api(family.giver).post(f"/gifts/{big.id}/purchase")
    assert response.status_code == 200
    view = response.get_json()
    assert view["status"] == "purchased"
    assert view["purchased_quantity"] == 1
    assert sorted((p["user"]["display_name"], p["quantity"]) for p in view["purchases"]) == [
        ("Dad", 1),
        ("Gran", 0),
    ]
    assert view["group_gift"]["status"] == "bought"
    # Bought: no more pledging, withdrawing or calling off.
    assert pledge(api, family.other, big, "10.00").status_code == 409
    assert api(family.other).delete(f"/gifts/{big.id}/pledge").status_code == 409
    assert api(family.giver).delete(f"/gifts/{big.id}/group-gift").status_code == 409


def test_a_pledger_who_isnt_the_organiser_cannot_mark_it_bought_alone(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.other, big, "200.00")
    response = api(family.other).post(f"/gifts/{big.id}/purchase")
    assert response.status_code == 409
    assert db.session.scalar(db.select(db.func.count()).select_from(Purchase)) == 0


def test_only_the_organiser_undoes_a_gift_bought_together(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.giver, big, "100.00")
    pledge(api, family.other, big, "100.00")
    api(family.giver).post(f"/gifts/{big.id}/purchase")
    assert api(family.other).delete(f"/gifts/{big.id}/purchase").status_code == 403
    assert api(family.admin).delete(f"/gifts/{big.id}/purchase").status_code == 403
    view = api(family.giver).delete(f"/gifts/{big.id}/purchase").get_json()
    assert view["status"] == "available" and view["purchases"] == []
    assert view["group_gift"]["status"] == "open"
    assert view["group_gift"]["pledged"] == "200.00"


def test_the_organiser_who_pledged_nothing_leaves_the_gift_to_the_biggest_pledger(api, family, big):
    start(api, family.admin, big)
    pledge(api, family.giver, big, "50.00")
    pledge(api, family.other, big, "150.00")
    view = api(family.admin).post(f"/gifts/{big.id}/purchase").get_json()
    assert sorted((p["user"]["display_name"], p["quantity"]) for p in view["purchases"]) == [
        ("Dad", 0),
        ("Gran", 1),
    ]
    assert api(family.admin).delete(f"/gifts/{big.id}/purchase").get_json()["purchases"] == []


def test_while_open_nobody_buys_the_last_one_alone(api, family):
    gift = factories.make_gift(family.owner, family.group, price="30.00", quantity=2)
    start(api, family.giver, gift)
    assert api(family.admin).post(f"/gifts/{gift.id}/purchase").status_code == 200
    refused = api(family.other).post(f"/gifts/{gift.id}/purchase")
    assert refused.status_code == 409 and error(refused)["field"] == "quantity"


def test_a_lower_price_leaves_nothing_remaining_never_a_negative(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.giver, big, "150.00")
    assert api(family.owner).patch(f"/gifts/{big.id}", json={"price": "100.00"}).status_code == 200
    view = api(family.giver).get(f"/gifts/{big.id}").get_json()["group_gift"]
    assert view["remaining"] == "0.00"
    assert pledge(api, family.other, big, "1.00").status_code == 409


def test_a_retried_pledge_with_its_idempotency_key_gets_the_first_answer_and_changes_nothing(
    api, family, big
):
    start(api, family.giver, big)
    gran = api(family.other)
    headers = {"Idempotency-Key": "pledge-once-1"}
    path = f"/gifts/{big.id}/pledge"
    first = gran.call("PUT", path, json={"amount": "30.00"}, headers=headers)
    assert first.status_code == 200
    gran.delete(path)  # withdrawn since: the retry must not pledge again
    retry = gran.call("PUT", path, json={"amount": "30.00"}, headers=headers)
    assert (retry.status_code, retry.get_data()) == (first.status_code, first.get_data())
    assert pledges_in_db(big) == []
    other = gran.call("PUT", path, json={"amount": "31.00"}, headers=headers)
    assert other.status_code == 422  # the same key with another request


def test_a_member_who_leaves_takes_their_pledge_and_organising_with_them(api, family, big):
    start(api, family.giver, big)
    pledge(api, family.giver, big, "50.00")
    pledge(api, family.other, big, "150.00")
    assert api(family.giver).delete(f"/groups/{family.group.id}/members/{family.giver.id}").status_code == 204
    view = api(family.other).get(f"/gifts/{big.id}").get_json()["group_gift"]
    assert view["organiser"] is None
    assert (view["pledged"], view["remaining"]) == ("150.00", "50.00")
    assert pledges_in_db(big) == [(family.other.id, "150.00")]
    # With the organiser gone, a pledger decides: Gran covers the rest and marks it bought.
    pledge(api, family.other, big, "200.00")
    assert api(family.other).post(f"/gifts/{big.id}/purchase").status_code == 200


def test_an_erased_pledger_leaves_no_pledge(app, api, family, big):
    from piglist.auth.erase import erase_user

    start(api, family.giver, big)
    pledge(api, family.other, big, "40.00")
    erase_user(family.other)
    assert pledges_in_db(big) == []
    assert api(family.giver).get(f"/gifts/{big.id}").get_json()["group_gift"]["pledged"] == "0.00"


def test_a_price_taken_off_stops_the_pledging_with_a_clear_error(app, api, family, big):
    from .support.clients import member_client, page_text

    start(api, family.giver, big)
    pledge(api, family.giver, big, "50.00")
    assert api(family.owner).patch(f"/gifts/{big.id}", json={"price": None}).status_code == 200
    refused = pledge(api, family.other, big, "1.00")
    assert refused.status_code == 409 and "no price" in error(refused)["message"]
    assert api(family.giver).get(f"/gifts/{big.id}").get_json()["group_gift"]["remaining"] == "0.00"
    page = page_text(member_client(app, family.other).get(f"/groups/{family.group.id}/gifts/{big.id}"))
    assert "$50 pledged · the price was taken off" in page


def test_someone_who_bought_another_one_alone_undoes_just_theirs(api, family):
    gift = factories.make_gift(family.owner, family.group, price="30.00", quantity=2)
    start(api, family.giver, gift)
    pledge(api, family.giver, gift, "30.00")
    assert api(family.giver).post(f"/gifts/{gift.id}/purchase").status_code == 200
    assert api(family.admin).post(f"/gifts/{gift.id}/purchase").status_code == 200
    view = api(family.admin).delete(f"/gifts/{gift.id}/purchase").get_json()
    assert [(p["user"]["display_name"], p["quantity"]) for p in view["purchases"]] == [("Dad", 1)]
    assert view["group_gift"]["status"] == "bought"
