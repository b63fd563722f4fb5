"""Piglists and gifts on the website: the lists, adding, editing, deleting, buying, presence."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Gift

from . import factories
from .support.apps import both_backends
from .support.clients import all_lists, member_client, post_form
from .support.rows import gift_count


def text(response) -> str:
    return response.get_data(as_text=True)


def field_error(page: str, field: str) -> str | None:
    """The message shown under a form field, as the page escapes it."""
    match = re.search(rf'<small id="{field}-error" class="error">([^<]*)</small>', page)
    return match.group(1) if match else None


def reloaded(gift: Gift) -> Gift:
    """The gift as the database has it now (the requests changed it in sessions of their own)."""
    db.session.refresh(gift)
    return gift


def tile_ids(page: str) -> list[int]:
    return [int(gift_id) for gift_id in re.findall(r'<turbo-frame id="gift_(\d+)"', page)]


@pytest.fixture
def owner(app, family):
    return member_client(app, family.owner)


@pytest.fixture
def giver(app, family):
    return member_client(app, family.giver)


@pytest.fixture
def gran(app, family):
    return member_client(app, family.other)


@pytest.fixture
def books(family):
    return factories.make_category(family.group, name="Books", spending_limit=Decimal("200"), display_order=1)


@pytest.fixture
def toys(family):
    return factories.make_category(family.group, name="Toys", display_order=0)


# --- the lists ---------------------------------------------------------------------------------


def test_piglists_page_shows_every_member_grouped_by_category_in_display_order(family, giver, books, toys):
    gid = family.group.id
    factories.make_gift(family.owner, family.group, title="Novel", category_id=books.id, price="20")
    factories.make_gift(family.owner, family.group, title="Kite", category_id=toys.id)
    factories.make_gift(family.owner, family.group, title="Socks")
    page = all_lists(giver, f"/groups/{gid}/piglists")
    # The index, then the lists in the same order: everyone's by name, one's own last.
    lists = page[page.index("</nav>", page.index('<nav class="list-index"')) :]
    assert lists.index("Gran's piglist") < lists.index("Mum's piglist") < lists.index("Your piglist")
    toms = page[page.index('id="piglist_' + str(family.owner.id) + '"') :]
    assert (
        toms.index("<h3>Toys</h3>") < toms.index("Kite") < toms.index("<h3>Books</h3>") < toms.index("Novel")
    )
    assert toms.index("Novel") < toms.index("<h3>Other gifts</h3>") < toms.index("Socks")
    assert "Gran hasn't added any gifts yet." in page


def test_piglists_filter_by_member_and_category_and_sort_by_price(family, giver, books):
    gid = family.group.id
    cheap = factories.make_gift(family.owner, family.group, title="Cheap", category_id=books.id, price="5")
    dear = factories.make_gift(family.owner, family.group, title="Dear", category_id=books.id, price="50")
    other = factories.make_gift(family.owner, family.group, title="Loose", price="1")
    grans = factories.make_gift(family.other, family.group, title="Gran's", category_id=books.id, price="9")

    only_tom = all_lists(giver, f"/groups/{gid}/piglists?member={family.owner.id}")
    assert set(tile_ids(only_tom)) == {cheap.id, dear.id, other.id}
    assert f'<option value="{family.owner.id}" selected>Tom</option>' in only_tom

    in_books = all_lists(giver, f"/groups/{gid}/piglists?category={books.id}")
    assert set(tile_ids(in_books)) == {cheap.id, dear.id, grans.id}

    by_price = all_lists(giver, f"/groups/{gid}/piglists?member={family.owner.id}&sort=-price")
    assert tile_ids(by_price) == [dear.id, cheap.id, other.id]  # sorted inside each category
    newest = all_lists(giver, f"/groups/{gid}/piglists?member={family.owner.id}&sort=-created")
    assert tile_ids(newest) == [dear.id, cheap.id, other.id]


def test_a_bad_filter_is_a_clear_error(family, giver):
    response = giver.get(f"/groups/{family.group.id}/piglists", query_string={"sort": "colour"})
    assert response.status_code == 422
    assert "Sort by" in text(response)


def test_totals_are_shown_to_the_owner_only(family, owner, giver, books):
    factories.make_gift(family.owner, family.group, category_id=books.id, price="150")
    factories.make_gift(family.owner, family.group, category_id=books.id, price="20", currency="CHF")
    gid = family.group.id
    for path in (
        f"/groups/{gid}/my-piglist",
        f"/groups/{gid}/piglists",
        f"/groups/{gid}/piglists/{family.owner.id}",
    ):
        assert "$150 / $200" in all_lists(owner, path), path
    assert "$150 / $200" not in all_lists(giver, f"/groups/{gid}/piglists")
    # A price no known rate converts shows as it is, without jargon (tests/test_fx_rates.py: "≈ €40").
    mine = text(owner.get(f"/groups/{gid}/my-piglist"))
    assert "CHF" in mine and "not counted" not in mine and "≈" not in mine


def test_my_piglist_shows_empty_categories_and_the_way_to_add(family, owner, books):
    page = text(owner.get(f"/groups/{family.group.id}/my-piglist"))
    assert "<h3>Books</h3>" in page and "$0 / $200" in page
    assert f"/groups/{family.group.id}/gifts/add?category={books.id}" in page


def test_one_members_piglist(family, giver):
    factories.make_gift(family.owner, family.group, title="Kite")
    page = text(giver.get(f"/groups/{family.group.id}/piglists/{family.owner.id}"))
    assert "<h1>Tom's piglist</h1>" in page and "Kite" in page
    assert page.count("Tom's piglist<") == 1  # the list's card is headed "Wishes", not the name again
    assert giver.get(f"/groups/{family.group.id}/piglists/999999").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/groups/{gid}/piglists",
        "/groups/{gid}/piglists/{uid}",
        "/groups/{gid}/my-piglist",
        "/groups/{gid}/gifts/add",
        "/groups/{gid}/gifts/{gift}",
        "/groups/{gid}/gifts/{gift}/tile",
        "/groups/{gid}/gifts/{gift}/edit",
    ],
)
def test_outsiders_get_not_found(app, family, path):
    outsider = factories.make_user(display_name="Stranger")
    gift = factories.make_gift(family.owner, family.group)
    client = member_client(app, outsider)
    response = client.get(path.format(gid=family.group.id, uid=family.owner.id, gift=gift.id))
    assert response.status_code == 404
    assert gift.title not in text(response)


def test_a_gift_is_only_found_under_its_own_group(app, family, owner):
    elsewhere = factories.make_group(family.owner, family.giver, name="Work")
    gift = factories.make_gift(family.owner, elsewhere)
    for suffix in ("", "/tile", "/edit"):
        assert owner.get(f"/groups/{family.group.id}/gifts/{gift.id}{suffix}").status_code == 404
    response = post_form(
        member_client(app, family.giver), f"/groups/{family.group.id}/gifts/{gift.id}/purchase"
    )
    assert response.status_code == 404
    assert reloaded(gift).status == "available"


def test_pages_need_a_login(client, family):
    response = client.get(f"/groups/{family.group.id}/piglists")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- adding ------------------------------------------------------------------------------------


@both_backends
def test_add_a_gift_by_hand(family, owner, books):
    gid = family.group.id
    form = {
        "title": "Headphones",
        "price": "45.50",
        "currency": "",
        "category_id": str(books.id),
        "size": "One size",
        "colour": "Blue",
        "options": "Material: leather\r\n\r\nEdition : 2024",
        "image_url": "https://shop.example/h.jpg",
        "description": "Over-ear, please.",
        "url": "https://shop.example/headphones",
    }
    response = post_form(owner, f"/groups/{gid}/gifts/add", form)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/groups/{gid}/my-piglist"
    gift = db.session.scalar(select(Gift))
    assert (gift.title, gift.price, gift.currency, gift.category_id) == (
        "Headphones",
        Decimal("45.50"),
        "USD",
        books.id,
    )
    assert gift.options == {"size": "One size", "colour": "Blue", "Material": "leather", "Edition": "2024"}
    assert gift.scrape_status == "manual"
    page = text(owner.get(response.headers["Location"]))
    assert "“Headphones” is on your piglist." in page
    assert "$45.50" in page and "Size: One size" in page


def test_add_page_offers_the_groups_categories_and_currency(family, owner, books):
    page = text(owner.get(f"/groups/{family.group.id}/gifts/add", query_string={"category": books.id}))
    assert '<option value="">No category</option>' in page
    assert f'<option selected value="{books.id}">Books</option>' in page
    assert '<select id="currency" name="currency">' in page
    assert '<option selected value="USD">USD – US Dollar</option>' in page
    assert '<option value="EUR">EUR – Euro</option>' in page
    assert "data-fetch-details hidden" in page  # shown by the script only


def test_the_currency_select_defaults_to_the_groups_and_keeps_a_gifts_uncommon_code(family, owner):
    family.group.currency = "ISK"
    db.session.commit()
    gid = family.group.id
    page = text(owner.get(f"/groups/{gid}/gifts/add"))
    assert '<option selected value="ISK">ISK – Icelandic Króna</option>' in page
    # Any code the API takes is taken from the form too, and offered again when editing.
    response = post_form(
        owner, f"/groups/{gid}/gifts/add", {"title": "Scarf", "price": "9", "currency": "thb"}
    )
    assert response.status_code == 303
    gift = db.session.scalar(select(Gift))
    assert gift.currency == "THB"
    page = text(owner.get(f"/groups/{gid}/gifts/{gift.id}/edit"))
    assert '<option selected value="THB">THB – Thai Baht</option>' in page


def test_a_currency_no_country_uses_is_refused_on_the_form(family, owner):
    gid = family.group.id
    response = post_form(owner, f"/groups/{gid}/gifts/add", {"title": "Gold bar", "currency": "XAU"})
    page = text(response)
    assert response.status_code == 422
    assert "is not the ISO 4217 code of a currency in use" in field_error(page, "currency")
    assert "XAU –" not in page  # not offered back
    assert gift_count() == 0


def test_adding_just_a_link_creates_a_pending_gift_that_says_so(family, owner):
    gid = family.group.id
    response = post_form(
        owner, f"/groups/{gid}/gifts/add", {"url": "https://shop.example/kite", "currency": "USD"}
    )
    assert response.status_code == 303
    gift = db.session.scalar(select(Gift))
    assert gift.scrape_status == "pending" and gift.title is None
    page = text(owner.get(f"/groups/{gid}/my-piglist"))
    assert "fetching the details from shop.example" in page
    assert "Fetching details…" in page and "data-scrape-pending" in page
    assert ">shop.example</a></h4>" in page  # named by its shop until the title arrives


def test_a_failed_scrape_tells_the_owner_why(family, owner):
    gift = factories.make_gift(
        family.owner, family.group, title=None, scrape_status="failed", scrape_error="The shop refused us."
    )
    page = text(owner.get(f"/groups/{family.group.id}/gifts/{gift.id}"))
    assert "We couldn't fetch the details: The shop refused us." in page


BAD_INPUT = [
    ({"price": "-1"}, "price", "can&#39;t be negative"),
    ({"price": "abc"}, "price", "Write the price as an amount such as 1,234.50."),
    ({"price": "1,234.50 €"}, "price", "Write the price as an amount such as 1,234.50."),
    ({"price": "1.0051"}, "price", "at most two decimals"),
    ({"price": "1.005"}, "price", "could be read two ways"),
    ({"price": "1000000000"}, "price", "at most 999,999.99"),
    ({"url": "javascript:alert(1)"}, "url", "must be a web address"),
    ({"url": "file:///etc/passwd"}, "url", "must be a web address"),
    ({"url": "https://shop.example/" + "a" * 3000}, "url", "at most 2048 characters"),
    ({"image_url": "data:image/png;base64,AAAA"}, "image_url", "must be a web address"),
    ({"category_id": "999999"}, "category_id", "doesn&#39;t exist in this group"),
    ({"category_id": "one"}, "category_id", "must be a whole number"),
    ({"options": "just some words"}, "options", "name: value"),
    ({"options": "\n".join(f"Detail {n}: x" for n in range(21))}, "options", "at most 20 options"),
    ({"size": "x" * 101}, "size", "The size can be at most 100 characters long."),
    ({"title": "x" * 5000}, "title", "at most 255 characters"),
    ({"title": ""}, "title", "Give the gift a title, or paste a link"),
    ({"currency": "DOLLARS"}, "currency", "ISO 4217"),
    ({"description": "y" * 6000}, "description", "at most 5000 characters"),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_INPUT)
def test_bad_input_on_the_add_page_shows_under_the_field_and_saves_nothing(
    family, owner, fields, field, message
):
    data = {"title": "Kite", "price": "10", "currency": "USD", **fields}
    response = post_form(owner, f"/groups/{family.group.id}/gifts/add", data)
    assert response.status_code == 422
    assert message in (field_error(text(response), field) or ""), text(response)
    assert gift_count() == 0


def test_a_category_of_another_group_is_refused_on_the_page(family, owner):
    foreign = factories.make_category(factories.make_group(family.owner, name="Work"), name="Secret Santa")
    response = post_form(
        owner, f"/groups/{family.group.id}/gifts/add", {"title": "x", "category_id": str(foreign.id)}
    )
    assert response.status_code == 422
    assert "doesn&#39;t exist in this group" in field_error(text(response), "category_id")
    assert gift_count() == 0


def test_the_add_page_keeps_what_was_typed_when_it_refuses(family, owner, books):
    data = {
        "title": "Kite <big>",
        "price": "1.005",
        "category_id": str(books.id),
        "options": "Tail: long",
        "size": "XL",
    }
    page = text(post_form(owner, f"/groups/{family.group.id}/gifts/add", data))
    assert 'value="Kite &lt;big&gt;"' in page
    assert 'value="1.005"' in page and 'value="XL"' in page
    assert f'<option selected value="{books.id}">Books</option>' in page
    assert "Tail: long</textarea>" in page


@pytest.mark.parametrize(
    ("existing", "fields", "field", "message"),
    [
        ({"price": "190"}, {"price": "20"}, "price", "over its $200 limit"),
        ({"url": "https://shop.example/a"}, {"url": "https://shop.example/a"}, "url", "already on your list"),
    ],
)
def test_limits_and_duplicates_are_shown_under_their_field(
    family, owner, books, existing, fields, field, message
):
    factories.make_gift(family.owner, family.group, category_id=books.id, **existing)
    data = {"title": "Another", "category_id": str(books.id), **fields}
    response = post_form(owner, f"/groups/{family.group.id}/gifts/add", data)
    assert response.status_code == 422
    assert message in field_error(text(response), field)
    assert gift_count() == 1


def test_a_locked_group_freezes_the_owners_pages_but_not_buying(family, owner, giver):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    family.group.is_locked = True
    db.session.commit()
    gid = family.group.id
    page = text(owner.get(f"/groups/{gid}/my-piglist"))
    assert "are locked" in page
    assert f"/groups/{gid}/gifts/{gift.id}/edit" not in page and "/gifts/add" not in page
    response = post_form(owner, f"/groups/{gid}/gifts/add", {"title": "Late wish"})
    assert response.status_code == 422 and "locked" in text(response)
    assert gift_count() == 1
    assert post_form(giver, f"/groups/{gid}/gifts/{gift.id}/purchase").status_code == 303
    assert reloaded(gift).status == "purchased"


# --- editing and deleting ----------------------------------------------------------------------


def test_edit_page_is_filled_in_and_saves(family, owner, books):
    gid = family.group.id
    gift = factories.make_gift(
        family.owner,
        family.group,
        title="Kite",
        price="12",
        category_id=books.id,
        options={"size": "L", "colour": "red", "Tail": "long"},
    )
    page = text(owner.get(f"/groups/{gid}/gifts/{gift.id}/edit"))
    assert (
        'value="Kite"' in page and 'value="12.00"' in page and 'value="L"' in page and 'value="red"' in page
    )
    assert "Tail: long</textarea>" in page
    assert f'<option selected value="{books.id}">Books</option>' in page

    data = {
        "title": "Big kite",
        "price": "15",
        "currency": "USD",
        "category_id": "",
        "size": "L",
        "options": "",
    }
    response = post_form(
        owner, f"/groups/{gid}/gifts/{gift.id}/edit", {**data, "next": f"/groups/{gid}/gifts/{gift.id}"}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/groups/{gid}/gifts/{gift.id}"
    db.session.refresh(gift)
    assert (gift.title, gift.price, gift.category_id, gift.options) == (
        "Big kite",
        Decimal("15.00"),
        None,
        {"size": "L"},
    )


def test_edit_refuses_to_save_over_a_newer_version(family, owner):
    """Opened while the gift was pending; the scrape filled it in before the owner pressed Save."""
    from piglist.scraping.gifts import apply_scrape

    gid = family.group.id
    gift = factories.make_gift(family.owner, family.group, title=None, scrape_status="pending")
    page = text(owner.get(f"/groups/{gid}/gifts/{gift.id}/edit"))
    seen = re.search(r'name="seen_version" type="hidden" value="([^"]+)"', page).group(1)
    apply_scrape(gift.id, {"title": "Rainbow Kite", "price": "19.99", "currency": "USD"}, None)
    response = post_form(
        owner, f"/groups/{gid}/gifts/{gift.id}/edit", {"title": "", "url": gift.url, "seen_version": seen}
    )
    assert response.status_code == 422
    assert "changed while you were editing it" in text(response)
    assert reloaded(gift).title == "Rainbow Kite"


def test_undoing_a_removed_gift_from_its_page_lands_on_the_list(family, owner, giver):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    post_form(giver, f"/groups/{gid}/gifts/{gift.id}/purchase")
    post_form(owner, f"/groups/{gid}/gifts/{gift.id}/delete")
    undone = post_form(giver, f"/groups/{gid}/gifts/{gift.id}/unpurchase")
    assert undone.headers["Location"] == f"/groups/{gid}/piglists/{family.owner.id}"
    assert giver.get(undone.headers["Location"]).status_code == 200


def test_edit_refuses_bad_input_and_changes_nothing(family, owner):
    gift = factories.make_gift(family.owner, family.group, title="Kite", price="12")
    response = post_form(
        owner, f"/groups/{family.group.id}/gifts/{gift.id}/edit", {"title": "Kite", "price": "-3"}
    )
    assert response.status_code == 422
    assert field_error(text(response), "price") == "The price can&#39;t be negative."
    db.session.refresh(gift)
    assert gift.price == Decimal("12.00")


def test_only_the_owner_may_edit_or_delete(family, giver):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    assert giver.get(f"/groups/{gid}/gifts/{gift.id}/edit").status_code == 403
    assert post_form(giver, f"/groups/{gid}/gifts/{gift.id}/edit", {"title": "Mine now"}).status_code == 403
    response = post_form(giver, f"/groups/{gid}/gifts/{gift.id}/delete", follow_redirects=True)
    assert (
        "Only the list&#39;s keepers (or, for an idea, its author) can change or remove this gift."
        in text(response)
    )
    db.session.refresh(gift)
    assert (gift.title, gift.deleted_at) == ("Kite", None)


def test_delete_removes_the_gift_from_the_owners_pages(family, owner):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    response = post_form(owner, f"/groups/{gid}/gifts/{gift.id}/delete")
    assert response.status_code == 303 and response.headers["Location"] == f"/groups/{gid}/my-piglist"
    page = text(owner.get(f"/groups/{gid}/my-piglist"))
    assert "“Kite” is removed from your piglist." in page
    assert tile_ids(page) == []
    assert owner.get(f"/groups/{gid}/gifts/{gift.id}").status_code == 404
    assert reloaded(gift).deleted_at is not None  # soft: kept for a purchaser


# --- buying ------------------------------------------------------------------------------------


@both_backends
def test_buying_from_a_page_without_javascript(family, giver):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    # Without JavaScript the all-lists page is an index: one buys from the list's own page.
    back = f"/groups/{gid}/piglists/{family.owner.id}?sort=price"
    page = text(giver.get(back))
    assert "Available" in page and "Mark as purchased" in page
    response = post_form(giver, f"/groups/{gid}/gifts/{gift.id}/purchase", {"next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    page = text(giver.get(back))
    assert "You bought “Kite”. Tom won&#39;t see that." in page
    assert "Purchased by you" in page and ">Undo</button>" in page
    assert reloaded(gift).purchased_by_id == family.giver.id


def test_buying_inside_a_tile_frame_answers_with_the_new_tile(family, giver):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    headers = {"Turbo-Frame": f"gift_{gift.id}"}
    response = post_form(
        giver, f"/groups/{gid}/gifts/{gift.id}/purchase", {"next": f"/groups/{gid}/piglists"}, headers=headers
    )
    assert response.status_code == 303
    assert (
        response.headers["Location"]
        == f"/groups/{gid}/gifts/{gift.id}/tile?next=%2Fgroups%2F{gid}%2Fpiglists"
    )
    tile = text(giver.get(response.headers["Location"], headers=headers))
    assert tile.startswith(f'<turbo-frame id="gift_{gift.id}"') and "<html" not in tile
    assert "Purchased by you" in tile
    assert f'name="next" value="/groups/{gid}/piglists"' in tile


def test_only_one_buyer_wins_and_the_other_is_told(family, giver, gran):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    post_form(giver, f"/groups/{gid}/gifts/{gift.id}/purchase")
    in_frame = post_form(
        gran, f"/groups/{gid}/gifts/{gift.id}/purchase", headers={"Turbo-Frame": f"gift_{gift.id}"}
    )
    assert in_frame.status_code == 409
    assert "Someone has already bought this gift." in text(in_frame) and "Purchased by Dad" in text(in_frame)
    plain = post_form(gran, f"/groups/{gid}/gifts/{gift.id}/purchase", follow_redirects=True)
    assert "Someone has already bought this gift." in text(plain)
    assert reloaded(gift).purchased_by_id == family.giver.id


def test_only_the_buyer_can_undo(family, giver, gran):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    post_form(giver, f"/groups/{gid}/gifts/{gift.id}/purchase")
    page = text(gran.get(f"/groups/{gid}/gifts/{gift.id}"))
    assert "Purchased by Dad" in page and ">Undo</button>" not in page
    refused = post_form(gran, f"/groups/{gid}/gifts/{gift.id}/unpurchase", follow_redirects=True)
    assert "Only the person who bought this gift can undo it." in text(refused)
    undone = post_form(giver, f"/groups/{gid}/gifts/{gift.id}/unpurchase", follow_redirects=True)
    assert "Undone: “Kite” is available again." in text(undone)
    assert reloaded(gift).status == "available"


def test_the_owner_cannot_buy_their_own_gift(family, owner):
    gift = factories.make_gift(family.owner, family.group)
    page = text(owner.get(f"/groups/{family.group.id}/gifts/{gift.id}"))
    assert "Mark as purchased" not in page
    response = post_form(owner, f"/groups/{family.group.id}/gifts/{gift.id}/purchase", follow_redirects=True)
    assert "You can&#39;t buy a gift from your own list." in text(response)
    assert reloaded(gift).status == "available"


def test_buying_needs_the_csrf_token(family, giver):
    gift = factories.make_gift(family.owner, family.group)
    response = giver.post(f"/groups/{family.group.id}/gifts/{gift.id}/purchase")
    assert response.status_code == 400
    assert reloaded(gift).status == "available"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_next_never_leaves_the_site(family, giver, target):
    gift = factories.make_gift(family.owner, family.group)
    response = post_form(giver, f"/groups/{family.group.id}/gifts/{gift.id}/purchase", {"next": target})
    assert response.headers["Location"] == f"/groups/{family.group.id}/gifts/{gift.id}"


@both_backends
def test_a_gift_deleted_after_buying_stays_for_its_buyer_only(family, owner, giver, gran):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    post_form(giver, f"/groups/{gid}/gifts/{gift.id}/purchase")
    post_form(owner, f"/groups/{gid}/gifts/{gift.id}/delete")

    for path in (f"/groups/{gid}/piglists", f"/groups/{gid}/piglists/{family.owner.id}"):
        page = all_lists(giver, path)
        assert "Removed from the list after you bought it" in page and ">Undo</button>" in page, path
        assert gift.id not in tile_ids(all_lists(gran, path)), path
    assert "Tom removed this from the list after you bought it." in text(
        giver.get(f"/groups/{gid}/gifts/{gift.id}")
    )
    assert gran.get(f"/groups/{gid}/gifts/{gift.id}").status_code == 404

    undone = post_form(
        giver, f"/groups/{gid}/gifts/{gift.id}/unpurchase", {"next": f"/groups/{gid}/piglists"}
    )
    page = text(giver.get(undone.headers["Location"]))
    assert "Tom had removed “Kite”, so it&#39;s gone now." in page
    assert gift.id not in tile_ids(page)


# --- the gift page and presence ----------------------------------------------------------------


def test_gift_page_shows_everything_about_the_gift(family, giver, books):
    gift = factories.make_gift(
        family.owner,
        family.group,
        title="Kite",
        price="12.5",
        category_id=books.id,
        url="https://shop.example/kite",
        image_url="https://img.example/kite.jpg",
        description="Red.\nWith a long tail.",
        options={"size": "L"},
    )
    page = text(giver.get(f"/groups/{family.group.id}/gifts/{gift.id}"))
    assert "<h1>Kite</h1>" in page and "$12.50" in page and "Category: Books" in page
    assert (
        '<a class="button button-ghost" href="https://shop.example/kite" rel="noopener noreferrer nofollow" target="_blank">View on website</a>'
        in page
    )
    assert (
        '<img src="https://img.example/kite.jpg" alt="" loading="lazy" referrerpolicy="no-referrer">' in page
    )
    assert "Red.\nWith a long tail." in page and "<dt>Size</dt><dd>L</dd>" in page
    assert "Available" in page and "Mark as purchased" in page


@both_backends
def test_someone_saying_they_are_looking_is_shown_to_the_others(app, family, giver, gran):
    """The gift page's fallback when the socket can't connect: a CSRF-checked POST per ≤ 30 s."""
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    gid = family.group.id
    viewing = f"/groups/{gid}/gifts/{gift.id}/viewing"
    assert post_form(giver, viewing, {"connection": "tab-1"}).status_code == 204
    assert "looking" not in text(giver.get(f"/groups/{gid}/gifts/{gift.id}/tile"))  # nobody sees themselves
    assert "Dad is looking at this right now." in text(gran.get(f"/groups/{gid}/gifts/{gift.id}"))
    assert "Dad is looking" in all_lists(gran, f"/groups/{gid}/piglists")
    assert post_form(member_client(app, family.admin), viewing, {"connection": "tab-2"}).status_code == 204
    assert "Mum and Dad are looking" in text(
        member_client(app, family.other).get(f"/groups/{gid}/gifts/{gift.id}/tile")
    )
    leave = f"/groups/{gid}/gifts/{gift.id}/leave"
    assert post_form(giver, leave, {"connection": "tab-1"}).status_code == 204
    assert "Dad is looking" not in all_lists(gran, f"/groups/{gid}/piglists")


def test_opening_a_gift_page_records_nobody(family, giver, gran):
    """A GET never changes state: a link from another site must not make anyone "look"."""
    gift = factories.make_gift(family.owner, family.group)
    path = f"/groups/{family.group.id}/gifts/{gift.id}"
    giver.get(path)
    giver.get(path, headers={"Turbo-Frame": f"gift_detail_{gift.id}"})
    assert "is looking" not in text(gran.get(path))


def test_the_gift_page_has_an_empty_presence_line_and_the_owners_has_none(family, owner, giver):
    gift = factories.make_gift(family.owner, family.group)
    path = f"/groups/{family.group.id}/gifts/{gift.id}"
    page = text(giver.get(path))
    assert f'<p class="presence" id="presence_{gift.id}" aria-live="polite"></p>' in page
    assert (
        f'data-viewing-gift="{gift.id}"' in page
        and f'/ws/groups/{family.group.id}" data-changes-url=' in page
    )
    own = text(owner.get(path))
    assert "presence_" not in own and "data-viewing-gift" not in own
    assert 'data-changes-url="/api/v1/groups/' in own


@pytest.mark.parametrize(
    ("data", "status"),
    [({"connection": "tab-1"}, 400), ({"connection": "tab 1", "csrf": True}, 422), ({"csrf": True}, 422)],
)
def test_saying_you_are_looking_needs_the_csrf_token_and_a_tab_name(family, giver, gran, data, status):
    gift = factories.make_gift(family.owner, family.group)
    path = f"/groups/{family.group.id}/gifts/{gift.id}/viewing"
    form = {k: v for k, v in data.items() if k != "csrf"}
    response = post_form(giver, path, form) if data.get("csrf") else giver.post(path, data=form)
    assert response.status_code == status
    assert "is looking" not in text(gran.get(f"/groups/{family.group.id}/gifts/{gift.id}"))


def test_saying_you_look_at_a_gift_of_another_group_is_not_found(family, giver):
    elsewhere = factories.make_group(family.owner, family.giver, name="Work")
    gift = factories.make_gift(family.owner, elsewhere)
    response = post_form(giver, f"/groups/{family.group.id}/gifts/{gift.id}/viewing", {"connection": "t1"})
    assert response.status_code == 404


def test_deleting_from_a_page_when_the_group_just_locked_goes_back_with_the_reason(family, owner):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    family.group.is_locked = True
    db.session.commit()
    back = f"/groups/{family.group.id}/piglists"
    response = post_form(owner, f"/groups/{family.group.id}/gifts/{gift.id}/delete", {"next": back})
    assert response.headers["Location"] == back
    assert "are locked" in text(owner.get(back))
    assert reloaded(gift).deleted_at is None


# --- untrusted text ----------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


def test_untrusted_text_is_escaped_on_every_page(family, owner, giver):
    gid = family.group.id
    gift = factories.make_gift(
        family.owner,
        family.group,
        title=SCRIPT,
        description=SCRIPT,
        options={SCRIPT: SCRIPT},
        image_url='https://img.example/x.jpg"onerror="alert(1)',
    )
    pages = {
        "owner": [
            f"/groups/{gid}/piglists",
            f"/groups/{gid}/piglists/{family.owner.id}",
            f"/groups/{gid}/my-piglist",
            f"/groups/{gid}/gifts/{gift.id}",
            f"/groups/{gid}/gifts/{gift.id}/tile",
            f"/groups/{gid}/gifts/{gift.id}/edit",
        ],
        "giver": [
            f"/groups/{gid}/piglists",
            f"/groups/{gid}/piglists/{family.owner.id}",
            f"/groups/{gid}/gifts/{gift.id}",
            f"/groups/{gid}/gifts/{gift.id}/tile",
        ],
    }
    for who, client in (("owner", owner), ("giver", giver)):
        for path in pages[who]:
            page = all_lists(client, path)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, (who, path)
            assert SCRIPT not in page and '"onerror="' not in page, (who, path)
    post_form(giver, f"/groups/{gid}/gifts/{gift.id}/purchase")
    flashed = text(giver.get(f"/groups/{gid}/piglists"))
    assert SCRIPT not in flashed and "&lt;script&gt;" in flashed
    deleted = post_form(owner, f"/groups/{gid}/gifts/{gift.id}/delete", follow_redirects=True)
    assert SCRIPT not in text(deleted) and "“&lt;script&gt;alert(1)&lt;/script&gt;” is removed" in text(
        deleted
    )


def test_live_pages_load_without_live_updates_when_redis_is_down(app, family):
    """Redis unreachable: the lists, one list, one's own list and a gift page still show their
    gifts, with an empty cursor (the page's script then only reloads on its own) and nobody
    shown looking."""
    from config import TestingConfig
    from piglist import create_app

    gift = factories.make_gift(family.owner, family.group, title="Kite")
    down = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    gid = family.group.id
    browser = member_client(down, family.giver)
    for path in (
        f"/groups/{gid}/piglists",
        f"/groups/{gid}/piglists/{family.owner.id}",
        f"/groups/{gid}/gifts/{gift.id}",
    ):
        html = all_lists(browser, path)
        assert "Kite" in html and 'data-cursor=""' in html, path
    mine = member_client(down, family.owner).get(f"/groups/{gid}/my-piglist")
    assert mine.status_code == 200 and "Kite" in mine.get_data(as_text=True)
    assert 'data-cursor=""' in mine.get_data(as_text=True)
