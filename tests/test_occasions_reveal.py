"""The reveal after an occasion (SPEC §10.4): from the day after, a recipient sees what was bought
for them and by whom ("Received", with a "thanked" tick); those gifts leave the active list for
everyone, read-only under the occasion; unbought gifts stay; final. Before it, 409 too_early and
every view of the recipient stays byte for byte what the surprise rule allows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import MAX_ID, Gift, Reveal
from piglist.occasions import service

from . import factories
from .support.apps import both_backends
from .support.clients import error, member_client, page_text, post_form
from .support.concurrency import run_together
from .support.occasions import list_of, make_occasion
from .support.pages import normalised


@pytest.fixture
def tom_list(app, family):
    """Tom's list: a kite Dad bought, a book Gran bought half of, socks nobody bought, and a
    scarf Dad bought that Tom then removed."""
    kite = factories.make_gift(family.owner, family.group, title="Kite", price="40")
    books = factories.make_gift(family.owner, family.group, title="Books", quantity=2)
    socks = factories.make_gift(family.owner, family.group, title="Socks")
    scarf = factories.make_gift(family.owner, family.group, title="Scarf")
    factories.make_purchase(kite, family.giver)
    factories.make_purchase(books, family.other)
    factories.make_purchase(scarf, family.giver)
    scarf.deleted_at = datetime.now(UTC)
    db.session.commit()
    return {"kite": kite, "books": books, "socks": socks, "scarf": scarf}


def reveal(api, user, piglist, occasion):
    return api(user).post(f"/lists/{piglist.id}/reveal", json={"occasion_id": occasion.id})


def titles(gifts) -> list[str]:
    return sorted(g["title"] for g in gifts)


def test_before_the_day_after_it_is_too_early(api, family, tom_list):
    tom = list_of(family.group, family.owner)
    for days in (10, 1, 0):
        occasion = make_occasion(family.group, f"In {days}", days_from_now=days)
        response = reveal(api, family.owner, tom, occasion)
        assert response.status_code == 409, days
        assert error(response)["code"] == "too_early"
    assert db.session.scalar(select(func.count()).select_from(Reveal)) == 0
    assert db.session.scalar(select(func.count()).where(Gift.reveal_id.is_not(None))) == 0


@both_backends
def test_the_recipient_sees_exactly_what_was_bought_and_by_whom(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    tom = list_of(family.group, family.owner)
    response = reveal(api, family.owner, tom, christmas)
    assert response.status_code == 200, response.get_json()
    received = response.get_json()["received"]
    assert titles(received) == ["Books", "Kite", "Scarf"]
    kite = next(g for g in received if g["title"] == "Kite")
    assert [p["user"]["display_name"] for p in kite["purchases"]] == ["Dad"]
    assert kite["thanked"] is False
    books = next(g for g in received if g["title"] == "Books")
    assert (books["quantity"], books["purchased_quantity"]) == (2, 1)
    # The active list keeps what nobody bought, for Tom and for everyone else.
    own = api(family.owner).get(f"/groups/{family.group.id}/piglists/{family.owner.id}").get_json()
    assert titles(own["gifts"]) == ["Socks"]
    theirs = api(family.giver).get(f"/groups/{family.group.id}/piglists/{family.owner.id}").get_json()
    assert titles(theirs["gifts"]) == ["Socks"]  # Dad's scarf no longer shows as "removed" either
    for gift in tom_list.values():
        if gift.title != "Socks":
            assert api(family.giver).get(f"/gifts/{gift.id}").status_code == 404


def test_everyone_finds_it_under_past_occasions(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-3)
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    for person in (family.admin, family.giver, family.owner):
        [revealed] = api(person).get(f"/occasions/{christmas.id}/received").get_json()
        assert revealed["list_id"] == list_of(family.group, family.owner).id
        assert titles(revealed["received"]) == ["Books", "Kite", "Scarf"]
    [mine] = api(family.owner).get(f"/groups/{family.group.id}/received").get_json()
    assert titles(mine["received"]) == ["Books", "Kite", "Scarf"]
    assert api(family.giver).get(f"/groups/{family.group.id}/received").get_json() == []


def test_received_gifts_are_read_only(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    kite = tom_list["kite"]
    assert api(family.owner).patch(f"/gifts/{kite.id}", json={"title": "Mine"}).status_code == 404
    assert api(family.owner).delete(f"/gifts/{kite.id}").status_code == 404
    assert api(family.giver).delete(f"/gifts/{kite.id}/purchase").status_code == 404
    assert api(family.admin).post(f"/gifts/{kite.id}/purchase").status_code == 404
    db.session.expire_all()
    assert (kite.title, len(kite.purchases)) == ("Kite", 1)


def test_revealing_is_final_and_a_second_reveal_changes_nothing(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    tom = list_of(family.group, family.owner)
    first = reveal(api, family.owner, tom, christmas).get_json()
    factories.make_purchase(tom_list["socks"], family.admin)  # bought after the reveal
    second = reveal(api, family.owner, tom, christmas)
    assert second.status_code == 200
    assert second.get_json() == first
    assert db.session.scalar(select(func.count()).select_from(Reveal)) == 1
    # The socks are now bought, and stay a secret on the active list until a next reveal.
    own = api(family.owner).get(f"/groups/{family.group.id}/piglists/{family.owner.id}").get_json()
    assert titles(own["gifts"]) == ["Socks"]
    assert "status" not in own["gifts"][0]


def test_a_gift_tagged_for_another_occasion_waits_for_that_one(api, family, tom_list):
    tom = list_of(family.group, family.owner)
    christmas = make_occasion(family.group, days_from_now=-1)
    birthday = make_occasion(family.group, "Tom's birthday", days_from_now=-1, lists=[tom])
    tom_list["kite"].occasion_id = birthday.id
    db.session.commit()
    assert titles(reveal(api, family.owner, tom, christmas).get_json()["received"]) == ["Books", "Scarf"]
    assert titles(reveal(api, family.owner, tom, birthday).get_json()["received"]) == ["Kite"]


def test_other_lists_are_untouched(api, family, tom_list):
    drill = factories.make_gift(family.other, family.group, title="Drill")
    factories.make_purchase(drill, family.giver)
    christmas = make_occasion(family.group, days_from_now=-1)
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    gran = api(family.giver).get(f"/groups/{family.group.id}/piglists/{family.other.id}").get_json()
    assert [(g["title"], g["status"]) for g in gran["gifts"]] == [("Drill", "purchased")]
    db.session.expire_all()
    assert drill.reveal_id is None


@pytest.mark.parametrize("who", ["admin", "giver"])
def test_only_a_recipient_may_reveal(api, family, tom_list, who):
    christmas = make_occasion(family.group, days_from_now=-1)
    response = reveal(api, getattr(family, who), list_of(family.group, family.owner), christmas)
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Reveal)) == 0


def test_hostile_reveals_are_refused_and_change_nothing(api, family, tom_list):
    tom = list_of(family.group, family.owner)
    stranger = factories.make_user(display_name="Stranger")
    elsewhere = factories.make_group(stranger, name="Elsewhere")
    their_christmas = make_occasion(elsewhere, days_from_now=-1)
    gran_birthday = make_occasion(
        family.group, "Gran's birthday", days_from_now=-1, lists=[list_of(family.group, family.other)]
    )
    owner = api(family.owner)
    cases = [
        (owner.post(f"/lists/{tom.id}/reveal", json={"occasion_id": their_christmas.id}), 422),
        (owner.post(f"/lists/{tom.id}/reveal", json={"occasion_id": gran_birthday.id}), 422),
        (owner.post(f"/lists/{tom.id}/reveal", json={"occasion_id": "1"}), 422),
        (owner.post(f"/lists/{tom.id}/reveal", json={"occasion_id": 2**40}), 422),
        (owner.post(f"/lists/{tom.id}/reveal", json={"occasion_id": None}), 422),
        (owner.post(f"/lists/{tom.id}/reveal", json={}), 422),
        (owner.post(f"/lists/{tom.id}/reveal", json=[1]), 400),
        (owner.post(f"/lists/{list_of(elsewhere, stranger).id}/reveal", json={"occasion_id": 1}), 404),
        (api(stranger).post(f"/lists/{tom.id}/reveal", json={"occasion_id": their_christmas.id}), 404),
        (api(stranger).get(f"/occasions/{gran_birthday.id}/received"), 404),
        (api(stranger).get(f"/groups/{family.group.id}/received"), 404),
        (owner.post(f"/lists/{MAX_ID}/reveal", json={"occasion_id": 1}), 404),
        (api(None).post(f"/lists/{tom.id}/reveal", json={"occasion_id": 1}), 401),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.get_json(), status)
        assert "error" in response.get_json()
    assert db.session.scalar(select(func.count()).select_from(Reveal)) == 0


def test_the_recipient_ticks_thanked(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    kite = tom_list["kite"]
    ticked = api(family.owner).call("PUT", f"/gifts/{kite.id}/thanked", json={"thanked": True})
    assert ticked.status_code == 200
    assert ticked.get_json()["thanked"] is True
    [revealed] = api(family.giver).get(f"/occasions/{christmas.id}/received").get_json()
    assert next(g for g in revealed["received"] if g["id"] == kite.id)["thanked"] is True
    assert (
        api(family.owner)
        .call("PUT", f"/gifts/{kite.id}/thanked", json={"thanked": False})
        .get_json()["thanked"]
        is False
    )


def test_thanked_is_the_recipients_alone_and_only_for_received_gifts(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    kite, socks = tom_list["kite"], tom_list["socks"]
    assert (
        api(family.giver).call("PUT", f"/gifts/{kite.id}/thanked", json={"thanked": True}).status_code == 404
    )
    # Not received: the same answer whether or not it was bought, so it tells nothing.
    assert (
        api(family.owner).call("PUT", f"/gifts/{socks.id}/thanked", json={"thanked": True}).status_code == 404
    )
    bad = api(family.owner).call("PUT", f"/gifts/{kite.id}/thanked", json={"thanked": "yes"})
    assert (bad.status_code, error(bad)["field"]) == (422, "thanked")
    db.session.expire_all()
    assert kite.thanked_at is None


def test_the_day_after_follows_the_occasions_time_zone(api, family, tom_list, monkeypatch):
    """Boxing Day starts at 11:00 UTC on the 25th in Auckland, and at 11:00 UTC on the 26th in
    Pago Pago, the other side of the date line."""
    tom = list_of(family.group, family.owner)
    auckland = make_occasion(
        family.group, "Christmas", datetime(2026, 12, 25).date(), time_zone="Pacific/Auckland"
    )
    pago = make_occasion(
        family.group, "Christmas", datetime(2026, 12, 25).date(), time_zone="Pacific/Pago_Pago"
    )
    boxing_day_in_auckland = datetime(2026, 12, 25, 11, 0, tzinfo=UTC)
    monkeypatch.setattr(service, "utcnow", lambda: boxing_day_in_auckland - timedelta(minutes=1))
    assert reveal(api, family.owner, tom, auckland).status_code == 409
    monkeypatch.setattr(service, "utcnow", lambda: boxing_day_in_auckland)
    assert reveal(api, family.owner, tom, pago).status_code == 409
    assert reveal(api, family.owner, tom, auckland).status_code == 200


def test_a_purchase_racing_the_reveal_is_received_or_stays_a_secret(app, api, family):
    gifts = [factories.make_gift(family.owner, family.group, title=f"Gift {n}") for n in range(8)]
    christmas = make_occasion(family.group, days_from_now=-1)
    tom = list_of(family.group, family.owner)
    buyers = [api(p) for p in (family.giver, family.other, family.admin)]
    paths = [f"/gifts/{g.id}/purchase" for g in gifts]
    calls = [lambda p=p, b=buyers[n % 3]: b.post(p) for n, p in enumerate(paths)]
    owner = api(family.owner)
    path, body = f"/lists/{tom.id}/reveal", {"occasion_id": christmas.id}
    calls += [lambda: owner.post(path, json=body)] * 2
    statuses = run_together(calls)
    assert set(statuses) <= {200, 404}, statuses
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reveal)) == 1
    for gift in gifts:
        db.session.refresh(gift)
        if gift.reveal_id is not None:
            assert len(gift.purchases) == 1  # received: bought before the reveal
        else:
            assert gift.deleted_at is None  # still on the list, bought after or not at all
    received = api(family.owner).get(f"/groups/{family.group.id}/received").get_json()[0]["received"]
    assert sorted(g["id"] for g in received) == sorted(g.id for g in gifts if g.reveal_id is not None)
    assert statuses[200] >= 2 and Counter(statuses)[404] == 8 - (statuses[200] - 2)


# --- the surprise rule's pages, as the recipient ------------------------------------------------


def recipient_paths(family, occasion, admin: bool) -> list[str]:
    gid = family.group.id
    paths = [
        f"/groups/{gid}/occasions",
        f"/groups/{gid}",
        "/dashboard",
        "/profile",
        f"/api/v1/groups/{gid}/occasions",
        f"/api/v1/occasions/{occasion.id}",
        f"/api/v1/occasions/{occasion.id}/received",
        f"/api/v1/groups/{gid}/received",
        "/api/v1/me/export",
    ]
    if admin:
        paths += [f"/admin/groups/{gid}/occasions", f"/admin/groups/{gid}/occasions/{occasion.id}/edit"]
    return paths


@both_backends
@pytest.mark.parametrize("days", [-1, 0, 12])
@pytest.mark.parametrize("recipient", ["owner", "admin"])
def test_before_a_reveal_the_recipients_views_are_unchanged_by_purchases(app, family, days, recipient):
    """As Tom, and as Mum, the admin who keeps a list of her own and sets the occasions."""
    person = getattr(family, recipient)
    wish = factories.make_gift(person, family.group, title="Kite")
    factories.make_gift(family.giver, family.group, title="Drill")
    christmas = make_occasion(family.group, days_from_now=days)
    make_occasion(family.group, "Birthday", days_from_now=days + 3, lists=[list_of(family.group, person)])
    client = member_client(app, person)
    paths = recipient_paths(family, christmas, admin=recipient == "admin")
    before = {p: normalised(client.get(p)) for p in paths}
    assert all(status == 200 for status, _, _ in before.values()), before
    dad = member_client(app, family.giver)
    assert post_form(dad, f"/groups/{family.group.id}/gifts/{wish.id}/purchase").status_code == 303
    after = {p: normalised(client.get(p)) for p in paths}
    for path in paths:
        assert after[path] == before[path], path


def test_the_reveal_page_offers_the_reveal_whatever_was_bought_and_shows_the_received(app, family):
    kite = factories.make_gift(family.owner, family.group, title="Kite")
    factories.make_gift(family.owner, family.group, title="Socks")
    christmas = make_occasion(family.group, days_from_now=-1)
    tom = member_client(app, family.owner)
    page = tom.get(f"/groups/{family.group.id}/occasions").get_data(as_text=True)
    assert "Reveal Christmas" in page
    factories.make_purchase(kite, family.giver)
    revealed = post_form(
        tom,
        f"/groups/{family.group.id}/lists/{list_of(family.group, family.owner).id}/reveal",
        {"occasion_id": str(christmas.id)},
    )
    assert revealed.status_code == 302
    page = tom.get(f"/groups/{family.group.id}/occasions").get_data(as_text=True)
    assert "Reveal Christmas" not in page
    assert "Kite" in page and "from Dad" in page and "Socks" not in page
    thanked = post_form(tom, f"/groups/{family.group.id}/gifts/{kite.id}/thanked", {"thanked": "1"})
    assert thanked.status_code == 302
    assert "✓ Thanked" in tom.get(f"/groups/{family.group.id}/occasions").get_data(as_text=True)
    dad_page = page_text(member_client(app, family.giver).get(f"/groups/{family.group.id}/occasions"))
    assert "Tom's list" in dad_page and "Kite" in dad_page and "Thanked" in dad_page
    assert f"/lists/{list_of(family.group, family.owner).id}/reveal" not in dad_page
    assert f"/lists/{list_of(family.group, family.giver).id}/reveal" in dad_page  # his own, to reveal


def test_the_export_carries_what_was_received_and_the_reminder_settings(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    before = api(family.owner).get("/me/export").get_json()["occasions"]
    assert before == {"reminders": True, "reminders_sent": [], "calendar_feed": None, "received": []}
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    after = api(family.owner).get("/me/export").get_json()["occasions"]
    assert titles(after["received"][0]["received"]) == ["Books", "Kite", "Scarf"]
    assert api(family.giver).get("/me/export").get_json()["occasions"]["received"] == []


def test_stats_count_the_occasions(app, api, runner, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    make_occasion(family.group, "Birthday", days_from_now=3)
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    lines = runner.invoke(args=["piglist", "stats"]).output.splitlines()
    assert "Occasions: 2 (1 upcoming, 1 past; 1 lists revealed, 0 reminders sent)" in lines


def test_a_group_with_revealed_lists_can_still_be_deleted(api, family, tom_list):
    christmas = make_occasion(family.group, days_from_now=-1)
    reveal(api, family.owner, list_of(family.group, family.owner), christmas)
    answer = api(family.admin).delete(f"/groups/{family.group.id}", json={"confirm_name": family.group.name})
    assert answer.status_code == 204, answer.get_json()
    assert db.session.scalar(select(func.count()).select_from(Reveal)) == 0
