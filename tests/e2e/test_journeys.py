"""A family's journeys through the site in real browsers: each person a browser of their own, the
site served the Procfile's way with its worker. Live changes are awaited (Playwright's expect
retries until its deadline); nothing here measures time."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .support import DESKTOP, KITE_PAGE, PHONE, WORKER_DEADLINE_MS, tile


def test_a_family_starts_a_group_and_the_invited_person_joins_from_the_link(people, audit):
    mum = people().register("Mum", "mum.journey@example.org")
    page = mum.page
    page.get_by_role("link", name="Start a group").first.click()
    page.get_by_label("Group name").fill("Journey Family")
    page.get_by_role("button", name=re.compile("Create|Start", re.I)).click()
    expect(page.get_by_role("heading", name="Journey Family", level=1)).to_be_visible()
    link = page.locator("#invite-url").input_value()

    tom = people(PHONE)
    tom.page.goto(link)
    expect(tom.page.get_by_text("Mum invited you")).to_be_visible()
    expect(tom.page.get_by_role("heading", name=re.compile("Journey Family"))).to_be_visible()
    audit("invite-landing", link.removeprefix(mum.page.url.split("/groups")[0]))
    tom.page.get_by_role("link", name=re.compile("Create an account", re.I)).first.click()
    tom.page.wait_for_url(re.compile(r"/register\?next="))
    tom.register("Tom", "tom.journey@example.org")
    # After signing up: in the group at once, no second question, never a 404.
    expect(tom.page.get_by_role("heading", name="Journey Family", level=1)).to_be_visible()
    expect(tom.page.get_by_text("You joined Journey Family.")).to_be_visible()

    # The link made again: the old one says so clearly, to anyone.
    page.goto(page.url.split("/groups")[0] + "/dashboard")
    page.get_by_role("link", name="Journey Family").first.click()
    page.get_by_role("link", name="Make a new link").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a new link").click()
    gran = people()
    gran.page.goto(link)
    expect(gran.page.get_by_role("heading", name=re.compile("no longer works", re.I))).to_be_visible()


def test_gifts_are_added_by_link_with_a_preview_and_by_hand(people, family, site_shop):
    link = site_shop.page("/stunt-kite", (200, "text/html", KITE_PAGE))
    tom = people().login(family.emails["tom"])
    dad = people().login(family.emails["dad"])
    dad.goto(family.list_of("tom"))

    page = tom.goto(f"/groups/{family.group}/gifts/add")
    page.get_by_label("Link", exact=True).fill(link)
    page.get_by_role("button", name="Fetch details").click()
    expect(page.locator("[data-preview-title]")).to_have_text("Stunt Kite", timeout=WORKER_DEADLINE_MS)
    expect(page.get_by_label("Title")).to_have_value("Stunt Kite")

    page.get_by_label("Title").fill("")
    page.get_by_label("Price").fill("")
    page.get_by_role("button", name="Save gift").click()
    # Saved as a link alone: pending, then filled in by the worker, on both pages without a reload.
    expect(tile(page, "Stunt Kite")).to_be_visible(timeout=WORKER_DEADLINE_MS)
    expect(tile(dad.page, "Stunt Kite")).to_contain_text("$34.50", timeout=WORKER_DEADLINE_MS)

    page = tom.goto(f"/groups/{family.group}/gifts/add")
    page.get_by_label("Title").fill("Jigsaw puzzle")
    page.get_by_label("Description").fill("1000 pieces, a castle")
    page.get_by_role("button", name="Save gift").click()
    expect(tile(page, "Jigsaw puzzle")).to_contain_text("1000 pieces")
    expect(tile(dad.page, "Jigsaw puzzle")).to_be_visible()


def test_someone_looking_appears_and_goes_for_the_others_without_a_reload(people, family):
    dad = people().login(family.emails["dad"])
    gran = people().login(family.emails["gran"])
    tom = people().login(family.emails["tom"])
    dad.goto(family.list_of("tom"))
    tom_page = tom.goto(family.list_of("tom"))
    owner_tile = tile(tom_page, "Rainbow kite").inner_html()

    gran.goto(family.gift("Rainbow kite"))
    expect(tile(dad.page, "Rainbow kite")).to_contain_text("Gran is looking")
    presence = dad.goto(family.gift("Rainbow kite")).locator(".presence")
    expect(presence).to_have_attribute("aria-live", "polite")
    expect(presence).to_contain_text("Gran is looking")

    gran.goto(f"/groups/{family.group}")
    expect(presence).to_have_text("")
    # No empty gap while nobody looks (issue 28): the line is last, so its coming moves no button.
    assert presence.bounding_box()["height"] == 0
    assert tile(tom_page, "Rainbow kite").inner_html() == owner_tile


def test_buying_and_undoing_reach_the_others_live_and_never_the_owner(people, family):
    dad = people().login(family.emails["dad"])
    gran = people(PHONE).login(family.emails["gran"])
    tom = people().login(family.emails["tom"])
    gran.goto(family.list_of("tom"))
    tom_page = tom.goto(family.list_of("tom"))
    before = tom_page.locator("main").inner_html()

    dad.goto(family.list_of("tom"))
    tile(dad.page, "Football boots").get_by_role("button", name="Mark as purchased").click()
    expect(tile(dad.page, "Football boots")).to_contain_text("Purchased by you")
    expect(tile(gran.page, "Football boots")).to_contain_text("Purchased by Dad")

    tile(dad.page, "Football boots").get_by_role("button", name="Undo").click()
    expect(tile(gran.page, "Football boots")).to_contain_text("Available")
    assert tom_page.locator("main").inner_html() == before
    tom_page.reload()
    expect(tile(tom_page, "Football boots")).not_to_contain_text("Purchased")


def test_mark_as_purchased_still_buys_when_someone_arrives_mid_click(people, family):
    dad = people().login(family.emails["dad"])
    gran = people().login(family.emails["gran"])
    mum = people().login(family.emails["mum"])
    watching = mum.goto(family.list_of("tom"))
    page = dad.goto(family.list_of("tom"))
    button = tile(page, "Rainbow kite").get_by_role("button", name="Mark as purchased")
    box = button.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    gran.goto(family.gift("Rainbow kite"))
    # Gran's arrival has reached the others (Mum sees it) while Dad's button is held down; the
    # refresh it brings Dad must not eat his click (it waits, or changes the tile in place).
    expect(tile(watching, "Rainbow kite")).to_contain_text("Gran is looking")
    page.on("dialog", lambda dialog: dialog.accept())
    page.mouse.up()
    expect(tile(page, "Rainbow kite")).to_contain_text("Purchased by you")


def test_the_lock_freezes_the_owners_controls_live(people, family):
    tom = people().login(family.emails["tom"])
    mum = people().login(family.emails["mum"])
    page = tom.goto(family.list_of("tom"))
    expect(tile(page, "Football boots").get_by_role("link", name="Edit")).to_be_visible()

    mum.goto(f"/admin/groups/{family.group}/")
    mum.page.get_by_role("button", name="Lock now").click()
    expect(mum.page.get_by_text(re.compile("locked", re.I)).first).to_be_visible()

    page.reload()
    expect(tile(page, "Football boots").get_by_role("link", name="Edit")).to_have_count(0)
    tom.goto(family.gift("Football boots"))
    expect(tom.page.get_by_role("button", name="Delete")).to_have_count(0)
    tom.goto(f"/groups/{family.group}/gifts/{family.gifts['Football boots']}/edit")
    expect(tom.page.get_by_text(re.compile("locked", re.I)).first).to_be_visible()


def test_the_forms_work_with_javascript_off(people, family):
    tom = people(DESKTOP, javascript=False).login(family.emails["tom"])
    page = tom.goto(f"/groups/{family.group}/gifts/add")
    expect(page.get_by_role("button", name="Fetch details")).to_be_hidden()
    page.get_by_label("Title").fill("Board game")
    page.get_by_label("Price").fill("abc")
    page.get_by_role("button", name="Save gift").click()
    expect(page.get_by_text(re.compile("price", re.I)).first).to_be_visible()
    page.get_by_label("Price").fill("25")
    page.get_by_role("button", name="Save gift").click()
    expect(tile(page, "Board game")).to_be_visible()

    dad = people(PHONE, javascript=False).login(family.emails["dad"])
    page = dad.goto(family.list_of("tom"))
    tile(page, "Board game").get_by_role("button", name="Mark as purchased").click()
    expect(tile(page, "Board game")).to_contain_text("Purchased by you")
    tile(page, "Board game").get_by_role("button", name="Undo").click()
    expect(tile(page, "Board game")).to_contain_text("Available")
