"""The Secret Santa secrecy rule, tested byte for byte: before the reveal date, what a person
receives through any door is the same whichever way the other pairs fell — as the admin who
made the draw and takes part, as an admin who doesn't, and as a recipient whose Santa changes."""

from __future__ import annotations

import datetime
import json

import pytest

from piglist.extensions import db
from piglist.models import Exchange, today

from .support.clients import member_client, post_form
from .support.jobs import run_jobs
from .support.pages import CURSOR, normalised
from .support.santa import new_exchange, set_pairs


@pytest.fixture
def drawn(api, family):
    """Christmas with the four of them, drawn; the pairs are then put in place by each test."""
    people = [family.admin, family.owner, family.giver, family.other]
    made = new_exchange(api(family.admin), family.group, people, budget="25", reveal_date="2030-12-25")
    assert api(family.admin).post(f"/exchanges/{made['id']}/draw").status_code == 200
    return made["id"]


def api_views(client, group_id: int, exchange_id: int) -> dict:
    paths = [
        f"/exchanges/{exchange_id}",
        f"/groups/{group_id}/exchanges",
        f"/exchanges/{exchange_id}/messages",
        f"/groups/{group_id}/stats",
        "/me/export",
    ]
    found = {path: client.get(path) for path in paths}
    # Errors are doors too: a refused redraw (someone has opened theirs, or not an admin), a
    # message to a Santa with an empty body.
    if client.get(f"/groups/{group_id}/exchanges").get_json()[0].get("can_redraw") is not True:
        found["redraw"] = client.post(f"/exchanges/{exchange_id}/draw", json={"redraw": True})
    found["empty message"] = client.post(
        f"/exchanges/{exchange_id}/messages", json={"to": "santa", "body": ""}
    )
    return {path: (r.status_code, r.get_data(as_text=True)) for path, r in found.items()}


def page_views(client, group_id: int, exchange_id: int) -> dict:
    paths = [
        f"/groups/{group_id}/exchanges",
        f"/groups/{group_id}/exchanges/{exchange_id}",
        f"/groups/{group_id}",
        "/dashboard",
        "/profile/export",
    ]
    # The live cursor moves with the reader's own events (each scenario's message is a new one).
    return {path: CURSOR.sub(r"\1…", "".join(map(str, normalised(client.get(path))))) for path in paths}


def everything(api_client, page_client, group_id, exchange_id) -> dict:
    return {**api_views(api_client, group_id, exchange_id), **page_views(page_client, group_id, exchange_id)}


def test_the_admin_who_drew_and_takes_part_learns_no_other_pair(app, api, family, drawn, mailbox):
    mum, tom, dad, gran = family.admin, family.owner, family.giver, family.other
    gid = family.group.id
    mum_api, mum_page = api(mum), member_client(app, mum)
    # Mum gives to Tom both times; everything else — her own Santa included — differs.
    scenarios = [
        ({mum: tom, tom: dad, dad: gran, gran: mum}, gran),
        ({mum: tom, tom: gran, gran: dad, dad: mum}, dad),
    ]
    seen, mails = [], []
    run_jobs(app)  # the draw's own mails
    for pairs, her_santa in scenarios:
        set_pairs(drawn, pairs)
        mailbox.messages.clear()
        response = api(her_santa).post(
            f"/exchanges/{drawn}/messages", json={"to": "recipient", "body": "Size?"}
        )
        assert response.status_code == 201
        run_jobs(app)
        [(_, mail)] = mailbox.messages
        mails.append((mail["Subject"], mail["From"], mailbox.text(mail), mailbox.html(mail)))
        seen.append(everything(mum_api, mum_page, gid, drawn))
    assert seen[0] == seen[1]
    assert mails[0] == mails[1]
    view = json.loads(seen[0][f"/exchanges/{drawn}"][1])
    assert view["my_recipient"]["display_name"] == "Tom" and "pairs" not in view


def test_an_admin_not_taking_part_learns_no_pair(app, api, family):
    mum, tom, dad, gran = family.admin, family.owner, family.giver, family.other
    made = new_exchange(api(mum), family.group, [tom, dad, gran])
    api(mum).post(f"/exchanges/{made['id']}/draw")
    mum_api, mum_page = api(mum), member_client(app, mum)
    seen = []
    for pairs in ({tom: dad, dad: gran, gran: tom}, {tom: gran, gran: dad, dad: tom}):
        set_pairs(made["id"], pairs)
        seen.append(everything(mum_api, mum_page, family.group.id, made["id"]))
    assert seen[0] == seen[1]
    assert seen[0]["/exchanges/1/messages"][0] == 403


def test_a_recipients_views_never_name_their_santa(app, api, family, drawn):
    mum, tom, dad, gran = family.admin, family.owner, family.giver, family.other
    tom_api, tom_page = api(tom), member_client(app, tom)
    seen = []
    # Tom gives to Gran both times; his Santa is Mum, then Dad.
    for pairs, his_santa in (
        ({tom: gran, mum: tom, gran: dad, dad: mum}, mum),
        ({tom: gran, dad: tom, gran: mum, mum: dad}, dad),
    ):
        set_pairs(drawn, pairs)
        api(his_santa).post(f"/exchanges/{drawn}/messages", json={"to": "recipient", "body": "Which colour?"})
        seen.append(everything(tom_api, tom_page, family.group.id, drawn))
    assert seen[0] == seen[1]
    page = seen[0][f"/groups/{family.group.id}/exchanges/{drawn}"]
    assert "Your Secret Santa asks: Which colour?" in page


def test_after_the_reveal_date_everyone_sees_every_pair(app, api, family, drawn):
    mum, tom, dad, gran = family.admin, family.owner, family.giver, family.other
    set_pairs(drawn, {mum: tom, tom: dad, dad: gran, gran: mum})
    assert "pairs" not in api(gran).get(f"/exchanges/{drawn}").get_json()
    db.session.get(Exchange, drawn).reveal_date = today()
    db.session.commit()
    pairs = api(gran).get(f"/exchanges/{drawn}").get_json()["pairs"]
    assert {(p["santa"]["display_name"], p["recipient"]["display_name"]) for p in pairs} == {
        ("Mum", "Tom"),
        ("Tom", "Dad"),
        ("Dad", "Gran"),
        ("Gran", "Mum"),
    }
    page = member_client(app, gran).get(f"/groups/{family.group.id}/exchanges/{drawn}").get_data(as_text=True)
    assert "Who gave to whom" in page and "Dad → Gran" in page


def test_the_day_before_the_reveal_date_the_pairs_stay_secret(app, api, family, drawn):
    db.session.get(Exchange, drawn).reveal_date = today() + datetime.timedelta(days=1)
    db.session.commit()
    assert "pairs" not in api(family.admin).get(f"/exchanges/{drawn}").get_json()


def test_an_error_about_someone_elses_exchange_says_nothing_about_it(app, api, family, drawn):
    mum_page = member_client(app, family.admin)
    missing = post_form(mum_page, f"/groups/{family.group.id}/exchanges/999/draw")
    elsewhere = post_form(mum_page, f"/groups/{family.group.id + 1}/exchanges/{drawn}/draw")
    assert (missing.status_code, normalised(missing)[2]) == (elsewhere.status_code, normalised(elsewhere)[2])
