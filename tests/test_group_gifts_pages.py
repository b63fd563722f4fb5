"""Chipping in on the website: the gift page's panel and pledge form (no JavaScript: forms post
and redirect), the progress bar on the tile, and clear messages for bad input."""

import pytest

from . import factories
from .support.clients import member_client, page_text, post_form
from .support.rows import pledges


@pytest.fixture
def bike(family):
    return factories.make_gift(family.owner, family.group, title="Bike", price="200.00")


def paths(family, gift):
    base = f"/groups/{family.group.id}/gifts/{gift.id}"
    return {
        "detail": base,
        "tile": base + "/tile",
        "start": base + "/group-gift",
        "cancel": base + "/group-gift/cancel",
        "pledge": base + "/pledge",
        "withdraw": base + "/pledge/withdraw",
        "purchase": base + "/purchase",
    }


def test_a_giver_starts_and_pledges_without_javascript(app, family, bike):
    dad = member_client(app, family.giver)
    at = paths(family, bike)
    assert "Chip in together" in page_text(dad.get(at["detail"]))
    started = post_form(dad, at["start"], {"next": at["detail"]})
    assert started.status_code == 303 and started.headers["Location"] == at["detail"]
    pledged = post_form(dad, at["pledge"], {"amount": "75.50", "next": at["detail"]}, follow_redirects=True)
    text = page_text(pledged)
    assert "Your pledge toward “Bike” is saved" in text
    assert "$75.50 of $200 pledged · $124.50 to go" in text
    assert "Organised by you" in text
    assert 'value="75.50"' in text  # the form shows the pledge to change
    assert pledges(bike) == [(family.giver.id, "75.50")]


def test_the_tile_shows_the_bar_and_sends_to_the_gift_page(app, family, bike):
    dad, gran = member_client(app, family.giver), member_client(app, family.other)
    at = paths(family, bike)
    post_form(dad, at["start"])
    post_form(gran, at["pledge"], {"amount": "50"})
    tile = page_text(gran.get(at["tile"]))
    assert '<progress max="200.00" value="50.00"' in tile
    assert "$50 of $200 pledged" in tile
    assert "Chip in" in tile and "Mark as purchased" not in tile


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Please fill in the amount."),
        ("lots", "Write an amount such as 1,234.50."),
        ("-3", "can't be negative"),
        ("0", "Pledge an amount above zero"),
        ("250", "Only $200 is still needed."),
        ("1" * 40, "The amount"),
    ],
)
def test_a_bad_pledge_is_explained_and_changes_nothing(app, family, bike, amount, message):
    dad = member_client(app, family.giver)
    at = paths(family, bike)
    post_form(dad, at["start"])
    answer = post_form(dad, at["pledge"], {"amount": amount, "next": at["detail"]}, follow_redirects=True)
    assert answer.status_code == 200
    assert message in page_text(answer)
    assert pledges(bike) == []


def test_a_refusal_inside_the_tile_is_written_in_the_tile(app, family, bike):
    dad = member_client(app, family.giver)
    at = paths(family, bike)
    post_form(dad, at["start"])
    answer = post_form(dad, at["pledge"], {"amount": "999"}, headers={"Turbo-Frame": f"gift_{bike.id}"})
    assert answer.status_code == 409
    assert "Only $200 is still needed." in page_text(answer)


def test_withdraw_call_off_and_mark_bought_from_the_page(app, family, bike):
    dad, gran = member_client(app, family.giver), member_client(app, family.other)
    at = paths(family, bike)
    post_form(dad, at["start"])
    post_form(gran, at["pledge"], {"amount": "20"})
    withdrawn = post_form(gran, at["withdraw"], follow_redirects=True)
    assert "Your pledge toward “Bike” is withdrawn." in page_text(withdrawn)
    post_form(gran, at["pledge"], {"amount": "120"})
    post_form(dad, at["pledge"], {"amount": "80"})
    page = page_text(dad.get(at["detail"]))
    assert "Mark as bought together" in page and "Call it off" in page
    assert "Mark as bought together" not in page_text(gran.get(at["detail"]))
    bought = post_form(dad, at["purchase"], {"next": at["detail"]}, follow_redirects=True)
    text = page_text(bought)
    assert "Bought together by you and Gran" in text or "Bought together by Gran and you" in text
    assert "Purchased by" in text
    assert "Bought together by" in page_text(gran.get(at["tile"]))
    # Only the organiser undoes it: Gran's share was money, her page offers no Undo.
    assert "Undo" not in page_text(gran.get(at["detail"])) and "Undo" in page_text(dad.get(at["detail"]))
    undone = post_form(dad, at["detail"] + "/unpurchase", {"next": at["detail"]}, follow_redirects=True)
    assert "$200 of $200 pledged" in page_text(undone)


def test_the_organiser_calls_it_off_from_the_page(app, family, bike):
    dad, gran = member_client(app, family.giver), member_client(app, family.other)
    at = paths(family, bike)
    post_form(dad, at["start"])
    post_form(gran, at["pledge"], {"amount": "20"})
    refused = post_form(gran, at["cancel"], follow_redirects=True)
    assert "Only the organiser can call off chipping in." in page_text(refused)
    called_off = post_form(dad, at["cancel"], follow_redirects=True)
    assert "is called off" in page_text(called_off)
    assert pledges(bike) == []
    assert "Chip in together" in page_text(gran.get(at["detail"]))


def test_the_recipient_sees_no_chipping_in_anywhere(app, family, bike):
    tom = member_client(app, family.owner)
    at = paths(family, bike)
    assert "Chip in" not in page_text(tom.get(at["detail"]))
    refused = post_form(tom, at["start"], {"next": at["detail"]}, follow_redirects=True)
    assert "chipping in is for the others" in page_text(refused)


def test_outsiders_get_a_missing_page(app, family, bike):
    stranger = factories.make_user(display_name="Stranger")
    client = member_client(app, stranger)
    at = paths(family, bike)
    for name in ("start", "pledge", "withdraw", "cancel"):
        assert post_form(client, at[name], {"amount": "5"}).status_code == 404


def test_a_gift_without_a_price_offers_no_chipping_in(app, family):
    gift = factories.make_gift(family.owner, family.group, title="Hug", price=None)
    dad = member_client(app, family.giver)
    assert "Chip in together" not in page_text(dad.get(paths(family, gift)["detail"]))


def test_the_cached_lists_show_each_pledge_at_once(app, family, bike):
    """The lists' cache keys on the list's purchase version, which the pledges' triggers move."""
    dad, gran = member_client(app, family.giver), member_client(app, family.other)
    at = paths(family, bike)
    lists = f"/groups/{family.group.id}/piglists/{family.owner.id}/frame"  # a list of the all-lists page
    assert "pledged" not in page_text(gran.get(lists))
    post_form(dad, at["start"])
    assert "$0 of $200 pledged" in page_text(gran.get(lists))
    for amount, shown in (("20", "$20 of $200"), ("35", "$35 of $200")):
        post_form(dad, at["pledge"], {"amount": amount})
        assert shown in page_text(gran.get(lists))
        assert shown in page_text(gran.get(f"/groups/{family.group.id}/piglists/{family.owner.id}"))


def test_a_gift_of_another_group_is_a_missing_page_through_this_groups_address(app, family, bike):
    stranger = factories.make_user(display_name="Stranger")
    other_group = factories.make_group(stranger, family.giver, name="Other family")
    dad = member_client(app, family.giver)
    for action in ("group-gift", "pledge", "pledge/withdraw", "group-gift/cancel"):
        path = f"/groups/{other_group.id}/gifts/{bike.id}/{action}"
        assert post_form(dad, path, {"amount": "5"}).status_code == 404
    assert pledges(bike) == []
