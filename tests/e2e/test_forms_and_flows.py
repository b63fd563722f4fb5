"""Issue 28 in Chromium, at the phone's and the desktop's width, each state axe-clean: forms that
keep your work through an error, "Fetch details" keeping the regular price, the release section
appearing without a reload, the flows a new family meets, the words and looks, and the keyboard
(a skip link past the filters, the focus kept on a tile after buying)."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from piglist.extensions import db
from piglist.models import Gift, User

from .. import factories
from ..support.pictures import jpeg_bytes
from ..support.shop import sale_page
from .support import (
    WIDTHS,
    WORKER_DEADLINE_MS,
    assert_axe_clean,
    both_widths,
    not_reloaded,
    stays_on_the_page,
    tile,
)

SALE_PAGE = sale_page("Sale Kite")

# --- forms keep your work ----------------------------------------------------------------------


@both_widths
def test_a_gift_form_with_an_error_keeps_the_work_and_focuses_the_field(people, family, width):
    tom = people(WIDTHS[width]).login(family.emails["tom"])
    page = tom.goto(f"/groups/{family.group}/gifts/add")
    page.get_by_label("Title").fill("Red bike")
    page.get_by_label("Price").fill("lots")
    page.get_by_label("How much you want it").select_option("high")
    page.get_by_label("Upload a picture").set_input_files(
        files=[{"name": "bike.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    page.get_by_role("button", name="Save gift").click()

    price = page.get_by_label("Price")
    expect(price).to_be_focused()  # not the Link field at the top
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(price).to_have_value("lots")
    expect(page.get_by_label("Title")).to_have_value("Red bike")
    expect(page.get_by_label("How much you want it")).to_have_value("high")
    picture = page.get_by_label("Upload a picture")
    expect(picture).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#image-error")).to_have_text(re.compile("Choose “bike.jpg” again"))
    assert_axe_clean(page)

    price.fill("120")
    picture.set_input_files(files=[{"name": "bike.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}])
    page.get_by_role("button", name="Save gift").click()
    expect(tile(page, "Red bike")).to_be_visible()
    expect(tile(page, "Red bike").locator("img")).to_have_count(1)


# --- "Fetch details" keeps the regular price ----------------------------------------------------


@both_widths
def test_a_gift_saved_from_the_preview_shows_the_regular_price(people, family, site_shop, width):
    link = site_shop.page(f"/sale-kite-{width}", (200, "text/html", SALE_PAGE))
    tom = people(WIDTHS[width]).login(family.emails["tom"])
    page = tom.goto(f"/groups/{family.group}/gifts/add")
    page.get_by_label("Link", exact=True).fill(link)
    page.get_by_role("button", name="Fetch details").click()
    expect(page.locator("[data-fetch-status]")).to_contain_text("Found it", timeout=WORKER_DEADLINE_MS)
    expect(page.get_by_label("Title")).to_have_value("Sale Kite")
    expect(page.get_by_label("Price")).to_have_value("14.99")
    page.get_by_role("button", name="Save gift").click()
    expect(tile(page, "Sale Kite").locator("del.gift-regular-price")).to_have_text("$19.99")

    dad = people(WIDTHS[width]).login(family.emails["dad"])
    dad.goto(family.list_of("tom"))
    expect(tile(dad.page, "Sale Kite").locator("del.gift-regular-price")).to_have_text("$19.99")
    assert_axe_clean(dad.page)


# --- the release section appears live -----------------------------------------------------------


@both_widths
def test_removing_a_buyer_shows_the_release_section_without_a_reload(people, family, site, width):
    app = site.app()
    with app.app_context():
        kite = db.session.get(Gift, family.gifts["Rainbow kite"])
        factories.make_purchase(kite, db.session.get(User, family.ids["gran"]))
        db.session.remove()
        db.engine.dispose()
    mum = people(WIDTHS[width]).login(family.emails["mum"])
    page = mum.goto(f"/admin/groups/{family.group}/members")
    expect(page.get_by_role("heading", name="Purchases by people who have left")).to_have_count(0)
    stays_on_the_page(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Gran").click()
    expect(page.get_by_text("Gran is no longer in")).to_be_visible()
    section = page.locator("#former-buyers")
    expect(section.get_by_role("heading", name="Purchases by people who have left")).to_be_visible()
    expect(section.get_by_role("rowheader", name="Gran")).to_be_visible()
    assert not_reloaded(page)
    # The name as written, not in capitals.
    assert (
        section.get_by_role("rowheader", name="Gran").evaluate("e => getComputedStyle(e).textTransform")
        == "none"
    )
    assert_axe_clean(page)

    page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name=re.compile("Release")).click()
    expect(page.get_by_text("1 gift is available again")).to_be_visible()
    expect(page.locator("#former-buyers")).to_have_count(0)
    dad = people(WIDTHS[width]).login(family.emails["dad"])
    dad.goto(family.list_of("tom"))
    expect(tile(dad.page, "Rainbow kite")).to_contain_text("Available")


# --- flows ----------------------------------------------------------------------------------------


@both_widths
def test_start_a_family_group_lands_on_the_group_form_and_the_only_admin_is_told_why(people, width):
    mum = people(WIDTHS[width])
    page = mum.goto("/")
    page.get_by_role("link", name="Start a family group").click()
    page.wait_for_url(re.compile(r"/register\?next=%2Fgroups%2Fnew|/register\?next=/groups/new"))
    mum.register("Mum", f"mum.start.{width}@example.org")
    expect(page.get_by_role("heading", name="Start a group", level=1)).to_be_visible()
    page.get_by_label("Group name").fill(f"Start Family {width}")
    page.get_by_role("button", name=re.compile("Create|Start", re.I)).click()
    expect(page.get_by_role("heading", name=f"Start Family {width}", level=1)).to_be_visible()
    expect(page.get_by_text("to leave it, make someone else admin first")).to_be_visible()
    expect(page.get_by_text("Leave the group")).to_have_count(0)
    assert_axe_clean(page)

    page.goto(page.url.rstrip("/").replace("/groups/", "/admin/groups/") + "/members")
    expect(page.get_by_text("You're the only admin: make someone else admin first")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Step down|Leave"))).to_have_count(0)
    assert_axe_clean(page)


@both_widths
def test_deleting_the_account_checks_the_tick_before_the_confirm(people, family, width):
    gran = people(WIDTHS[width]).login(family.emails["gran"])
    page = gran.goto("/profile")
    dialogs: list[str] = []

    def answer(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    delete = page.get_by_role("button", name="Delete my account")
    # Danger styling only where it can't be undone (read before any hover starts a transition).
    red = delete.evaluate("e => getComputedStyle(e).backgroundColor")
    everywhere = page.get_by_role("button", name="Log out everywhere")
    assert red == "rgb(179, 38, 30)"
    assert everywhere.evaluate("e => getComputedStyle(e).backgroundColor") != red

    page.on("dialog", answer)
    page.get_by_label("Your password").fill(factories.PASSWORD)
    delete.click()
    tick = page.get_by_label(re.compile("I understand"))
    assert tick.evaluate("e => e.validity.valueMissing")
    assert dialogs == []  # the browser spoke first; no "are you sure" yet
    tick.check()
    with page.expect_event("dialog"):
        delete.click()
    assert dialogs and "Delete your account" in dialogs[0]
    expect(page).to_have_url(re.compile("/profile"))

    assert_axe_clean(page)


# --- words and looks ----------------------------------------------------------------------------


@both_widths
def test_the_gift_page_has_no_gap_for_nobody_looking_and_the_stats_read_right(people, family, width):
    dad = people(WIDTHS[width]).login(family.emails["dad"])
    page = dad.goto(family.gift("Rainbow kite"))
    presence = page.locator(".presence")
    expect(presence).to_have_text("")
    assert presence.bounding_box()["height"] == 0
    assert_axe_clean(page)

    page = dad.goto(f"/groups/{family.group}/stats")
    expect(page.get_by_role("rowheader", name="Of those, bought by you")).to_be_visible()
    expect(page.get_by_text(re.compile(r"\bwish", re.I))).to_have_count(0)
    assert_axe_clean(page)


# --- keyboard ------------------------------------------------------------------------------------


@both_widths
def test_a_keyboard_user_skips_to_the_lists_and_keeps_the_focus_after_buying(people, family, width):
    dad = people(WIDTHS[width]).login(family.emails["dad"])
    page = dad.goto(f"/groups/{family.group}/piglists")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the lists")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("#lists")).to_be_focused()

    buy = tile(page, "Rainbow kite").get_by_role("button", name="Mark as purchased")
    tabs = 0
    while not buy.evaluate("e => e === document.activeElement"):
        tabs += 1
        assert tabs < 15, "Mark as purchased not reached with Tab"
        page.keyboard.press("Tab")
    assert tabs <= 8, f"{tabs} Tabs from the lists to the first gift's button"
    page.keyboard.press("Enter")
    undo = tile(page, "Rainbow kite").get_by_role("button", name="Undo")
    expect(undo).to_be_focused()
    page.keyboard.press("Enter")
    expect(tile(page, "Rainbow kite").get_by_role("button", name="Mark as purchased")).to_be_focused()
    assert_axe_clean(page)
