"""The surprise rule and group gifts (SPEC §10.3): a list's recipient receives not one byte about
chipping in for their gifts — API, pages, frames, feed, export, stats, mail — whatever the others
start, pledge, change, withdraw, buy together, undo or call off. Tested as a plain member and as
an admin who keeps a list. (The socket is tested with a real site in
tests/test_group_gifts_live.py.)"""

from __future__ import annotations

import json

import pytest

from piglist.auth.export import export_json
from piglist.rules.surprise import OWNER_EVENT_TYPES, OWNER_GIFT_FIELDS, present_gift, visible_event

from . import factories
from .support.alerts import time_passes
from .support.clients import member_client, post_form
from .support.jobs import run_jobs
from .support.owner_view import owner_answers, owner_pages
from .support.pages import snapshot

# Everything the others can do about a group gift on the recipient's list, in order.
SCENARIOS = {
    "start": ["start"],
    "pledge": ["start", "dad 15", "gran 10"],
    "change_and_withdraw": ["start", "dad 15", "dad 25", "gran 5", "gran withdraws"],
    "over_pledged": ["start", "dad 30", "gran 20"],
    "bought_together": ["start", "dad 30", "gran 10", "buy"],
    "bought_and_undone": ["start", "dad 30", "gran 10", "buy", "undo"],
    "called_off": ["start", "dad 30", "cancel"],
}


def without_tokens(exported: str) -> str:
    """The export less its tokens: each API client here is a new token of the recipient's."""
    document = json.loads(exported)
    document.pop("tokens")
    return json.dumps(document)


def play(api, family, gift, steps):
    """Run ``steps`` through the API as Dad (the organiser) and Gran."""
    people = {"dad": api(family.giver), "gran": api(family.other)}
    dad = people["dad"]
    for step in steps:
        if step == "start":
            assert dad.post(f"/gifts/{gift.id}/group-gift").status_code == 200
        elif step == "buy":
            assert dad.post(f"/gifts/{gift.id}/purchase").status_code == 200
        elif step == "undo":
            assert dad.delete(f"/gifts/{gift.id}/purchase").status_code == 200
        elif step == "cancel":
            assert dad.delete(f"/gifts/{gift.id}/group-gift").status_code == 200
        else:
            who, what = step.split()
            if what == "withdraws":
                assert people[who].delete(f"/gifts/{gift.id}/pledge").status_code == 200
            else:
                people[who].call("PUT", f"/gifts/{gift.id}/pledge", json={"amount": what})


@pytest.mark.parametrize("recipient", ["owner", "admin"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_the_recipients_api_answers_are_identical_byte_for_byte(api, family, recipient, scenario):
    if recipient == "admin":  # Mum keeps a list and runs the group: she learns nothing either
        family.owner, family.admin = family.admin, family.owner
    gift = factories.make_gift(family.owner, family.group, title="Bike", price="40.00")
    factories.make_gift(family.giver, family.group, title="Drill", price="15")
    before = owner_answers(api, family, gift.id)
    export_before = without_tokens(export_json(family.owner))
    play(api, family, gift, SCENARIOS[scenario])
    assert owner_answers(api, family, gift.id) == before
    assert without_tokens(export_json(family.owner)) == export_before
    # The others do see it, so the silence is the rule's doing.
    seen = api(family.admin).get(f"/gifts/{gift.id}").get_json()
    assert ("group_gift" in seen) and (scenario == "called_off") == (seen["group_gift"] is None)


@pytest.mark.parametrize("scenario", ["pledge", "bought_together", "called_off"])
def test_the_recipients_pages_are_identical_byte_for_byte(app, api, family, world, scenario):
    gift, category = world
    tom = member_client(app, family.owner)
    paths = owner_pages(app, family, gift, category)
    before = snapshot(tom, paths)
    assert all(status == 200 for status, _, _ in before.values()), before
    play(api, family, gift, SCENARIOS[scenario])
    after = snapshot(tom, paths)
    for path in paths:
        assert after[path] == before[path], path


def test_the_recipients_own_attempts_get_the_same_refusal_whatever_the_others_did(app, api, family):
    gift = factories.make_gift(family.owner, family.group, title="Bike", price="40.00")
    tom, tom_pages = api(family.owner), member_client(app, family.owner)
    base = f"/groups/{family.group.id}/gifts/{gift.id}"

    def attempts():
        answers = [
            tom.post(f"/gifts/{gift.id}/group-gift"),
            tom.call("PUT", f"/gifts/{gift.id}/pledge", json={"amount": "5.00"}),
            tom.delete(f"/gifts/{gift.id}/pledge"),
            tom.delete(f"/gifts/{gift.id}/group-gift"),
            tom.post(f"/gifts/{gift.id}/purchase"),
            tom.delete(f"/gifts/{gift.id}/purchase"),
        ]
        pages = [
            post_form(tom_pages, f"{base}/{action}", {"amount": "5"})
            for action in ("group-gift", "pledge", "pledge/withdraw", "group-gift/cancel")
        ]
        return [(r.status_code, r.get_data()) for r in answers] + [
            (r.status_code, r.headers.get("Location")) for r in pages
        ]

    before = attempts()
    assert {status for status, _ in before} <= {403, 303}
    play(api, family, gift, ["start", "dad 30", "gran 10"])
    assert attempts() == before
    play(api, family, gift, ["buy"])
    assert attempts()[:4] == before[:4]  # buying and undoing it: as for any bought gift


def test_the_recipients_feed_and_cursor_do_not_move(api, family):
    gift = factories.make_gift(family.owner, family.group, price="40.00")
    tom = api(family.owner)
    path = f"/groups/{family.group.id}/changes"
    before = tom.get(path).get_json()
    others_cursor = api(family.other).get(path).get_json()["cursor"]
    play(api, family, gift, SCENARIOS["bought_and_undone"])
    assert tom.get(path).get_json() == before
    assert tom.get(f"{path}?since={before['cursor']}&wait=1").get_json() == before
    events = api(family.other).get(f"{path}?since={others_cursor}").get_json()["events"]
    assert [e["type"] for e in events].count("group_gift_changed") == 3  # started, 2 pledges
    assert {"gift_purchased", "gift_unpurchased"} <= {e["type"] for e in events}


def test_group_gift_events_and_fields_are_not_on_the_recipients_allow_list(app, family):
    assert "group_gift_changed" not in OWNER_EVENT_TYPES
    assert "group_gift" not in OWNER_GIFT_FIELDS
    event = {"type": "group_gift_changed", "group_id": 1, "gift_id": 2, "owner_id": 7, "at": "now"}
    assert visible_event(event, 7) is None
    assert visible_event(event, 8) == event
    gift = factories.make_gift(family.owner, family.group, price="10")
    assert "group_gift" not in present_gift(gift, family.owner)


def test_a_price_change_alerts_the_pledgers_never_the_recipient(app, api, family, mailbox):
    gift = factories.make_gift(family.owner, family.group, title="Bike", price="40.00")
    play(api, family, gift, ["start", "dad 15", "gran 10"])
    assert api(family.owner).patch(f"/gifts/{gift.id}", json={"price": "35.00"}).status_code == 200
    time_passes(app)
    assert sorted(to for to, _ in mailbox.messages for to in to) == sorted(
        [family.giver.email, family.other.email]
    )
    message = mailbox.to(family.giver.email)[0]
    assert message["Subject"] == "Tom changed “Bike”, which you are chipping in for"
    assert "Price: $40 → $35" in mailbox.text(message)
    assert mailbox.to(family.owner.email) == []


def test_a_withdrawn_pledger_is_not_alerted(app, api, family, mailbox):
    gift = factories.make_gift(family.owner, family.group, title="Bike", price="40.00")
    play(api, family, gift, ["start", "dad 15", "gran 10", "gran withdraws"])
    api(family.owner).patch(f"/gifts/{gift.id}", json={"price": "35.00"})
    time_passes(app)
    assert [to for to, _ in mailbox.messages] == [[family.giver.email]]


def test_the_pledgers_export_lists_their_pledges(app, api, family):
    gift = factories.make_gift(family.owner, family.group, title="Bike", price="40.00")
    play(api, family, gift, ["start", "dad 15", "gran 10"])
    exported = json.loads(export_json(family.other))
    [pledge] = exported["pledges"]
    assert pledge["amount"] == "10.00"
    assert pledge["gift"]["title"] == "Bike"
    assert pledge["gift"]["group_gift"]["pledged"] == "25.00"
    assert json.loads(export_json(family.owner))["pledges"] == []
    run_jobs(app)


def test_operators_stats_count_open_group_gifts_only(app, api, family, runner):
    gifts = [factories.make_gift(family.owner, family.group, price="40.00") for _ in range(4)]
    play(api, family, gifts[0], ["start"])
    play(api, family, gifts[1], ["start", "dad 40", "buy"])
    play(api, family, gifts[2], ["start", "cancel"])
    play(api, family, gifts[3], ["start"])
    api(family.owner).delete(f"/gifts/{gifts[3].id}")
    result = runner.invoke(args=["piglist", "stats"])
    assert "Open group gifts: 1" in result.output.splitlines()
