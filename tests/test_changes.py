"""The change feed (long poll), filtered by the surprise rule for each reader."""

import base64
import re
import threading
import time

import pytest

from piglist.live import cursors, feed

from . import factories
from .support.apps import both_backends
from .support.clients import changes, member_client


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


def test_a_wait_longer_than_the_sites_longest_long_poll_is_cut_to_it(app, api, family):
    """LONG_POLL_SECONDS (25 s unless set) bounds every ``wait``: 25 asked, 1 held."""
    app.config["LONG_POLL_SECONDS"] = 1
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    started = time.monotonic()
    assert changes(giver, family.group.id, since=cursor, wait=25) == {"cursor": cursor, "events": []}
    assert time.monotonic() - started < 15  # a deadline far below the 25 s asked, not a measurement


@pytest.mark.parametrize("value", ["soon", "0", "-3", "2.5"])
def test_a_long_poll_setting_that_is_no_whole_number_stops_the_app(monkeypatch, value):
    import config

    monkeypatch.setenv("LONG_POLL_SECONDS", value)
    monkeypatch.setattr(config, "_PROBLEMS", {})
    assert config.whole_number("LONG_POLL_SECONDS", 25, minimum=1) == 25
    with pytest.raises(config.ConfigError, match="LONG_POLL_SECONDS must be a whole number"):
        config.check({})


def test_owner_never_gets_purchase_events_and_their_cursor_does_not_move(api, family):
    gift = factories.make_gift(family.owner, family.group)
    owner = api(family.owner)
    before = changes(owner, family.group.id)
    other_cursor = changes(api(family.other), family.group.id)["cursor"]
    api(family.giver).post(f"/gifts/{gift.id}/purchase")
    api(family.giver).delete(f"/gifts/{gift.id}/purchase")
    api(family.giver).post(f"/gifts/{gift.id}/purchase")
    assert changes(owner, family.group.id) == before
    assert changes(owner, family.group.id, since=before["cursor"], wait=1) == before
    giver_view = changes(api(family.other), family.group.id, since=other_cursor)
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
        ({"since": "0-0"}, "since"),  # a raw stream id is not a cursor
        ({"since": "A" * 86}, "since"),
        ({"since": "0-0", "wait": "long"}, "wait"),
        ({"since": "0-0", "wait": "²"}, "wait"),
    ],
)
def test_bad_cursor_or_wait_is_validation_failed(api, family, query, field):
    response = api(family.giver).get(f"/groups/{family.group.id}/changes", query_string=query)
    assert response.status_code == 422
    assert response.get_json()["error"]["field"] == field


def test_a_tampered_cursor_or_one_of_another_group_is_refused(api, family):
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    elsewhere = factories.make_group(family.giver, family.other, name="Work")
    for group_id, since in [(family.group.id, flipped), (elsewhere.id, cursor)]:
        response = giver.get(f"/groups/{group_id}/changes", query_string={"since": since})
        assert response.status_code == 422
        assert response.get_json()["error"]["field"] == "since"


def test_cursors_are_opaque_and_all_of_one_length(app, api, family):
    empty = changes(api(family.giver), family.group.id)["cursor"]
    api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"title": "Kite"})
    cursor = changes(api(family.giver), family.group.id)["cursor"]
    entry_id = feed.change_feed().marks(family.group.id)["newest:everyone"]
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    assert entry_id not in cursor and entry_id.encode() not in raw
    assert entry_id.split("-")[0].encode() not in raw
    assert len(cursor) == len(empty) and cursor != empty


def test_a_get_never_records_presence_and_says_so(api, family):
    gift = factories.make_gift(family.owner, family.group)
    response = api(family.giver).get(
        f"/groups/{family.group.id}/changes", query_string={"viewing": gift.id, "connection": "tab-9"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "viewing"
    assert api(family.other).get(f"/gifts/{gift.id}").get_json()["viewers"] == []


@both_backends
def test_a_thousand_hidden_events_leave_the_owners_feed_and_cursor_exactly_as_they_were(app, api, family):
    gift = factories.make_gift(family.owner, family.group)
    owner = api(family.owner)
    owner.post(f"/groups/{family.group.id}/gifts", json={"title": "Kite"})
    before = changes(owner, family.group.id)
    assert changes(owner, family.group.id, since=before["cursor"], wait=0) == before
    for n in range(1000):
        kind = "gift_purchased" if n % 2 == 0 else "gift_unpurchased"
        feed.publish_now(
            family.group.id,
            {"type": kind, "group_id": family.group.id, "gift_id": gift.id, "owner_id": family.owner.id},
        )
    assert changes(owner, family.group.id) == before
    assert changes(owner, family.group.id, since=before["cursor"], wait=0) == before
    # ... and the owner's own next change still reaches them at once.
    owner.patch(f"/gifts/{gift.id}", json={"title": "Red kite"})
    after = changes(owner, family.group.id, since=before["cursor"], wait=0)
    assert [(e["type"], e["gift_id"]) for e in after["events"]] == [("gift_updated", gift.id)]
    assert after["cursor"] == changes(owner, family.group.id)["cursor"]


def test_a_reader_away_for_hours_catches_up_without_reloading(app, api, family, monkeypatch):
    """The feed keeps a day of events (README, "The change feed's cursors"): a tab left alone for
    an afternoon gets what it missed, not a reset."""
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    gift = api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"title": "Kite"}).get_json()
    later = time.time() + 23 * 3600
    monkeypatch.setattr(cursors.time, "time", lambda: later)
    body = changes(giver, family.group.id, since=cursor, wait=0)
    assert "reset" not in body or body["reset"] is False
    assert [(e["type"], e["gift_id"]) for e in body["events"]] == [("gift_created", gift["id"])]


def test_a_reader_further_behind_than_the_feed_keeps_is_told_to_start_again(app, api, family, monkeypatch):
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    api(family.owner).post(f"/groups/{family.group.id}/gifts", json={"title": "Kite"})
    later = time.time() + feed.RETENTION_SECONDS + 60
    monkeypatch.setattr(cursors.time, "time", lambda: later)
    body = changes(giver, family.group.id, since=cursor, wait=0)
    assert body["reset"] is True and body["events"] == []
    assert body["cursor"] == changes(giver, family.group.id)["cursor"]


def test_a_member_leaving_takes_their_gifts_off_everyones_pages(api, family):
    gift_id = factories.make_gift(family.owner, family.group).id
    giver = api(family.giver)
    cursor = changes(giver, family.group.id)["cursor"]
    api(family.owner).delete(f"/groups/{family.group.id}/members/{family.owner.id}")
    events = changes(giver, family.group.id, since=cursor)["events"]
    assert [(e["type"], e["gift_id"]) for e in events] == [("gift_deleted", gift_id)]


@both_backends
@pytest.mark.parametrize("page", ["piglists", "piglist", "my-piglist", "gift"])
def test_a_page_misses_no_change_made_while_it_is_read(app, api, family, page):
    """A gift changed just after the page read its data, before it was rendered: the page's
    cursor is from before, so its long poll (and socket) still brings the change."""
    from sqlalchemy import event

    from piglist.extensions import db
    from piglist.live import feed as live_feed

    gid, other = family.group.id, family.other
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    path = {
        "piglists": f"/groups/{gid}/piglists",
        "piglist": f"/groups/{gid}/piglists/{family.owner.id}",
        "my-piglist": f"/groups/{gid}/my-piglist",
        "gift": f"/groups/{gid}/gifts/{gift.id}",
    }[page]
    browser = member_client(app, other)
    assert browser.get(path).status_code == 200  # the login's credentials read and cached
    changed = factories.make_gift(family.owner, family.group, title="Ball")
    event_payload = {
        "type": "gift_updated",
        "group_id": gid,
        "gift_id": changed.id,
        "owner_id": family.owner.id,
    }

    def change_after_the_first_read(_conn, _cursor, statement, *_args):
        if "group_members" in statement and not published:
            published.append(True)
            live_feed.publish_now(gid, event_payload)

    published: list[bool] = []
    event.listen(db.engine, "after_cursor_execute", change_after_the_first_read)
    try:
        html = browser.get(path).get_data(as_text=True)
    finally:
        event.remove(db.engine, "after_cursor_execute", change_after_the_first_read)
    assert published
    cursor = re.search(r'data-cursor="([^"]*)"', html).group(1)
    events = changes(api(other), gid, since=cursor)["events"]
    assert [(e["type"], e["gift_id"]) for e in events] == [("gift_updated", changed.id)]
