"""Lists in real browsers (SPEC 10.1, 10.2): a parent keeps a child's list, and a grandparent's
idea on Dad's list reaches everyone but Dad."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .support import PHONE, tile


def test_a_parent_creates_lilys_list_and_adds_wishes(people, family):
    mum = people().login(family.emails["mum"])
    dad = people(PHONE).login(family.emails["dad"])
    page = mum.goto(f"/groups/{family.group}/lists")
    page.get_by_label("Their name").fill("Lily")
    page.get_by_role("button", name="Start their list").click()
    expect(page.get_by_role("heading", name="Lily's list", level=1)).to_be_visible()
    lily = page.url
    for title in ("Rocking horse", "Picture book"):
        page.get_by_role("link", name="Add a gift").click()
        page.get_by_label("Title").fill(title)
        page.get_by_role("button", name="Save gift").click()
        expect(tile(page, title)).to_be_visible()
    # Dad sees her wishes and buys one; Mum, who keeps the list but isn't Lily, sees it bought.
    dad.goto(re.sub(r"^https?://[^/]+", "", lily))
    tile(dad.page, "Picture book").get_by_role("button", name="Mark as purchased").click()
    expect(tile(dad.page, "Picture book")).to_contain_text("Purchased by you")
    page.reload()
    expect(tile(page, "Picture book")).to_contain_text("Purchased by Dad")


def test_a_grandparents_idea_never_appears_on_dads_screen(people, family):
    dad = people().login(family.emails["dad"])
    mum = people().login(family.emails["mum"])
    gran = people(PHONE).login(family.emails["gran"])
    dad_page = dad.goto(family.list_of("dad"))
    before = dad_page.locator("main").inner_html()
    mum_page = mum.goto(family.list_of("dad"))

    page = gran.goto(family.list_of("dad"))
    page.get_by_role("link", name="Add an idea for Dad").click()
    expect(page.get_by_role("heading", name="Add an idea for Dad")).to_be_visible()
    page.get_by_label("Title").fill("Fishing rod")
    page.get_by_role("button", name="Save gift").click()
    expect(tile(page, "Fishing rod")).to_contain_text("Idea from Gran")
    # It reached Mum's open page live; Dad's, open all along, never moved.
    expect(tile(mum_page, "Fishing rod")).to_contain_text("Idea from Gran")
    assert dad_page.locator("main").inner_html() == before
    dad_page.reload()
    expect(dad_page.get_by_text("Fishing rod")).to_have_count(0)
