"""Who is looking at a gift: stored with a time to live, shown only to other non-owners."""

import time

from piglist import presence
from piglist.gifts import live

from . import factories
from .conftest import both_backends


def look(app, gift, user, tab="tab-1"):
    with app.test_request_context():
        live.view_gift(gift.id, user, tab)


@both_backends
def test_others_see_who_is_looking_and_the_viewer_is_not_shown_to_themselves(app, api, family):
    gift = factories.make_gift(family.owner, family.group)
    look(app, gift, family.giver)
    assert api(family.other).get(f"/gifts/{gift.id}").get_json()["viewers"] == [
        {"id": family.giver.id, "display_name": "Dad"}
    ]
    assert api(family.giver).get(f"/gifts/{gift.id}").get_json()["viewers"] == []
    assert "viewers" not in api(family.owner).get(f"/gifts/{gift.id}").get_json()


def test_the_owner_looking_at_their_own_gift_is_not_viewing(app, api, family):
    gift = factories.make_gift(family.owner, family.group)
    look(app, gift, family.owner)
    assert api(family.other).get(f"/gifts/{gift.id}").get_json()["viewers"] == []


@both_backends
def test_viewers_go_when_they_leave_or_go_silent(app, api, family, monkeypatch):
    gift = factories.make_gift(family.owner, family.group)
    look(app, gift, family.giver, "tab-1")
    look(app, gift, family.giver, "tab-2")
    with app.test_request_context():
        live.leave_gift(gift.id, family.giver, "tab-1")
    assert len(api(family.other).get(f"/gifts/{gift.id}").get_json()["viewers"]) == 1  # tab 2 is still open
    later = time.time() + presence.TTL_SECONDS + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert api(family.other).get(f"/gifts/{gift.id}").get_json()["viewers"] == []


@both_backends
def test_sweeping_announces_silent_viewers_to_others_but_never_to_the_owner(app, api, family, monkeypatch):
    gift = factories.make_gift(family.owner, family.group)
    other, owner = api(family.other), api(family.owner)
    cursor_other = other.get(f"/groups/{family.group.id}/changes").get_json()["cursor"]
    cursor_owner = owner.get(f"/groups/{family.group.id}/changes").get_json()["cursor"]
    look(app, gift, family.giver)
    later = time.time() + presence.TTL_SECONDS + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    with app.app_context():
        assert live.sweep_presence() == 1
    seen = other.get(f"/groups/{family.group.id}/changes", query_string={"since": cursor_other}).get_json()
    assert [(e["type"], e["viewers"]) for e in seen["events"]] == [
        ("presence", [{"id": family.giver.id, "display_name": "Dad"}]),
        ("presence", []),
    ]
    unseen = owner.get(f"/groups/{family.group.id}/changes", query_string={"since": cursor_owner}).get_json()
    assert unseen == {"cursor": cursor_owner, "events": []}


def test_the_long_poll_from_a_gift_page_is_a_presence_heartbeat(api, family):
    gift = factories.make_gift(family.owner, family.group)
    api(family.giver).get(
        f"/groups/{family.group.id}/changes", query_string={"viewing": gift.id, "connection": "tab-9"}
    )
    assert [v["display_name"] for v in api(family.other).get(f"/gifts/{gift.id}").get_json()["viewers"]] == [
        "Dad"
    ]


def test_with_redis_down_lists_still_load_and_the_long_poll_says_unavailable(family):
    from config import TestingConfig
    from piglist import create_app

    from .conftest import PG_URL, ApiClient

    gift = factories.make_gift(family.owner, family.group)
    token = factories.token_for(family.giver)
    down = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=PG_URL, REDIS_URL="redis://127.0.0.1:1/0")
    caller = ApiClient(down.test_client(), token)
    assert caller.get(f"/gifts/{gift.id}").get_json()["viewers"] == []
    assert caller.get(f"/groups/{family.group.id}/piglists").status_code == 200
    response = caller.get(f"/groups/{family.group.id}/changes")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert caller.post(f"/gifts/{gift.id}/purchase").status_code == 200  # nothing is lost


def test_a_heartbeat_for_a_gift_of_another_group_is_not_found(api, family):
    elsewhere = factories.make_group(family.owner, family.giver, name="Work")
    gift = factories.make_gift(family.owner, elsewhere)
    response = api(family.giver).get(f"/groups/{family.group.id}/changes", query_string={"viewing": gift.id})
    assert response.status_code == 404
    assert api(family.other).get(f"/gifts/{gift.id}").status_code == 404
