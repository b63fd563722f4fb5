"""The private calendar feed (SPEC §10.4): an iCalendar address per person, with the occasions of
their groups, parsed back by the icalendar library; refused without its secret, replaced by a new
one, ended by revoking it."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

from icalendar import Calendar

from piglist.models import CalendarFeed

from . import factories
from .support.clients import member_client, page_text, post_form
from .support.occasions import list_of, make_occasion

PUBLIC = "https://piglist.example/"


def new_feed(api, user) -> str:
    response = api(user).post("/me/calendar")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["url"]


def fetch(client, url: str):
    return client.get(urlsplit(url).path)


def events(response) -> list:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return list(Calendar.from_ical(response.data).walk("VEVENT"))


def test_the_feed_holds_the_occasions_of_every_group_of_mine(app, api, client, family):
    app.config["PUBLIC_URL"] = PUBLIC
    christmas = make_occasion(family.group, "Christmas", date(2026, 12, 25))
    make_occasion(
        family.group, "Tom's birthday", days_from_now=40, lists=[list_of(family.group, family.owner)]
    )
    cousins = factories.make_group(factories.make_user(display_name="Aunt"), family.giver, name="Cousins")
    make_occasion(cousins, "Reunion; BBQ, \\ “party”", days_from_now=100)
    stranger = factories.make_group(factories.make_user(display_name="Stranger"), name="Strangers")
    make_occasion(stranger, "Not mine", days_from_now=5)
    factories.make_gift(family.owner, family.group, title="Secret kite")

    url = new_feed(api, family.giver)
    assert url.startswith(f"{PUBLIC}calendar/cal_") and url.endswith(".ics")
    found = events(fetch(client, url))
    summaries = sorted(str(e["SUMMARY"]) for e in found)
    assert summaries == sorted(
        ["Christmas (Smith Family)", "Tom's birthday (Smith Family)", "Reunion; BBQ, \\ “party” (Cousins)"]
    )
    xmas = next(e for e in found if str(e["SUMMARY"]).startswith("Christmas"))
    assert xmas.decoded("DTSTART") == date(2026, 12, 25)
    assert xmas.decoded("DTEND") == date(2026, 12, 26)
    assert str(xmas["UID"]) == f"occasion-{christmas.id}@piglist.example"
    assert str(xmas["URL"]) == f"{PUBLIC}groups/{family.group.id}"
    assert b"Secret kite" not in fetch(client, url).data


def test_the_feed_is_refused_without_its_secret(app, api, client, family):
    make_occasion(family.group, days_from_now=10)
    url = new_feed(api, family.giver)
    secret = urlsplit(url).path.removeprefix("/calendar/").removesuffix(".ics")
    for path in (
        "/calendar/.ics",
        "/calendar/cal_wrong.ics",
        f"/calendar/{secret[:-1]}.ics",
        f"/calendar/{secret}x.ics",
        f"/calendar/{secret.upper()}.ics",
        f"/calendar/{secret}",
        "/calendar/" + "a" * 5000 + ".ics",
    ):
        assert client.get(path).status_code == 404, path
    # The session of another member doesn't open it either: the secret is the key.
    assert member_client(app, family.other).get("/calendar/cal_wrong.ics").status_code == 404


def test_a_new_address_replaces_the_old_and_revoking_ends_it(api, client, family):
    make_occasion(family.group, days_from_now=10)
    first = new_feed(api, family.giver)
    second = new_feed(api, family.giver)
    assert first != second
    assert fetch(client, first).status_code == 404
    assert len(events(fetch(client, second))) == 1
    assert api(family.giver).delete("/me/calendar").status_code == 204
    assert fetch(client, second).status_code == 404
    assert CalendarFeed.query.count() == 0


def test_someone_who_leaves_the_group_stops_seeing_its_occasions(api, client, family):
    make_occasion(family.group, days_from_now=10)
    url = new_feed(api, family.other)
    assert api(family.other).delete(f"/groups/{family.group.id}/members/{family.other.id}").status_code == 204
    assert events(fetch(client, url)) == []


def test_the_api_needs_a_login(api):
    assert api(None).post("/me/calendar").status_code == 401
    assert api(None).delete("/me/calendar").status_code == 401


def test_the_profile_page_gives_and_turns_off_the_address(app, family):
    make_occasion(family.group, days_from_now=10)
    dad = member_client(app, family.giver)
    assert "Get my calendar address" in page_text(dad.get("/profile"))
    shown = post_form(dad, "/profile/calendar")
    assert shown.status_code == 200
    url = re.search(r'value="(http[^"]+\.ics)"', shown.get_data(as_text=True)).group(1)
    assert len(events(fetch(dad, url))) == 1
    assert "Get a new calendar address" in page_text(dad.get("/profile"))
    assert post_form(dad, "/profile/calendar/off").status_code == 302
    assert fetch(dad, url).status_code == 404
