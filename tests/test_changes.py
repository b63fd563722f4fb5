"""The change feed (long poll), filtered by the surprise rule for each reader."""

import threading
import time

import pytest

from . import factories
from .conftest import both_backends


def changes(client, gid, **query):
    response = client.get(f"/groups/{gid}/changes", query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@both_backends
def test_without_since_answers_at_once_with_a_cursor_and_no_events(api, family):
    body = changes(api(family.giver), family.group.id)
    assert body["events"] == [] and body["cursor"]


@both_backends
def test_events_after_the_cursor(api, family):
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    gift = api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"title": "Kite"}).get_json()
    body = changes(giver, family.group.id, since=cursor, wait=5)
    assert [(e["type"], e["gift_id"]) for e in body["events"]] == [("gift_created", gift["id"])]
    assert body["cursor"] != cursor


@both_backends
def test_long_poll_wakes_up_when_something_happens(app, api, family):
    giver = api(family.giver)
    gift = factories.make_gift(family.owner, family.group)
    cursor = changes(giver, family.group.id)["cursor"]
    buyer, path = api(family.other), f"/gifts/{gift.id}/purchase"

    def buy_soon():
        time.sleep(0.5)
        buyer.post(path)

    threading.Thread(target=buy_soon).start()
    started = time.monotonic()
    body = changes(giver, family.group.id, since=cursor, wait=10)
    assert time.monotonic() - started < 5
    assert body["events"][0]["type"] == "gift_purchased"
    assert body["events"][0]["purchased_by"]["display_name"] == "Gran"


def test_long_poll_returns_empty_when_the_wait_runs_out(api, family):
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    body = changes(giver, family.group.id, since=cursor, wait=1)
    assert body == {"cursor": cursor, "events": []}


def test_owner_never_gets_purchase_events_and_their_cursor_does_not_move(api, family):
    gift = factories.make_gift(family.owner, family.group)
    owner = api(family.owner)
    before = changes(owner, family.group.id)
    api(family.giver).post(f"/gifts/{gift.id}/purchase")
    api(family.giver).delete(f"/gifts/{gift.id}/purchase")
    api(family.giver).post(f"/gifts/{gift.id}/purchase")
    assert changes(owner, family.group.id) == before
    assert changes(owner, family.group.id, since=before["cursor"], wait=1) == before
    giver_view = changes(api(family.other), family.group.id, since="0-0")
    assert [e["type"] for e in giver_view["events"]] == [
        "gift_purchased",
        "gift_unpurchased",
        "gift_purchased",
    ]


def test_changes_are_published_only_when_the_transaction_commits(api, family):
    category = factories.make_category(family.group, spending_limit="10")
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    refused = api(family.owner).post(
        f"/groups/{family.group.id}/gifts", json={"title": "x", "price": "20", "category_id": category.id}
    )
    assert refused.status_code == 422
    assert changes(giver, family.group.id, since=cursor, wait=0)["events"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"since": "99999999999999999999-0"}, "since"),
        ({"since": "0-0", "wait": "long"}, "wait"),
        ({"since": "0-0", "wait": "²"}, "wait"),
        ({"viewing": "x"}, "viewing"),
    ],
)
def test_bad_cursor_or_wait_is_validation_failed(api, family, query, field):
    response = api(family.giver).get(f"/groups/{family.group.id}/changes", query_string=query)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_a_member_leaving_takes_their_gifts_off_everyones_pages(api, family):
    gift_id = factories.make_gift(family.owner, family.group).id
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    api(family.owner).delete(f"/groups/{family.group.id}/members/{family.owner.id}")
    events = changes(giver, family.group.id, since=cursor)["events"]
    assert [(e["type"], e["gift_id"]) for e in events] == [("gift_deleted", gift_id)]
