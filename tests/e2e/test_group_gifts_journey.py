"""Chipping in, in real browsers (SPEC §10.3): three relatives pledge toward Tom's kite and each
sees the bar fill live, on the gift page and on the list's tile; Tom, the recipient, sees none of
it; the organiser marks it bought together; and it all works with JavaScript off on a phone."""

from __future__ import annotations

from playwright.sync_api import expect

from .support import DESKTOP, PHONE, tile


def pledge(page, amount: str) -> None:
    panel = page.get_by_role("region", name="Chipping in")
    panel.get_by_role("textbox").fill(amount)
    panel.get_by_role("button", name="Pledge").click()


def bar(page):
    return page.locator("#gift_detail_" + page.url.rsplit("/", 1)[1]).locator("progress")


def test_three_relatives_chip_in_and_each_sees_the_bar_fill_live(people, family, audit):
    kite = family.gift("Rainbow kite")  # $19.99
    dad = people().login(family.emails["dad"])
    gran = people(PHONE).login(family.emails["gran"])
    mum = people().login(family.emails["mum"])
    tom = people().login(family.emails["tom"])
    for person in (dad, gran, mum):
        person.goto(kite)
    mum_list = people().login(family.emails["mum"])
    mum_list.goto(family.list_of("tom"))
    tom_page = tom.goto(family.list_of("tom"))
    tom_before = tom_page.locator("main").inner_html()

    dad.page.get_by_role("button", name="Chip in together").click()
    expect(dad.page.get_by_text("Organised by you")).to_be_visible()
    expect(gran.page.get_by_text("Organised by Dad")).to_be_visible()  # live, no reload

    pledge(dad.page, "10")
    for person in (dad, gran, mum):
        expect(bar(person.page)).to_have_attribute("value", "10.00")
    expect(tile(mum_list.page, "Rainbow kite").locator("progress")).to_have_attribute("value", "10.00")

    pledge(gran.page, "5")
    for person in (dad, gran, mum):
        expect(bar(person.page)).to_have_attribute("value", "15.00")
    expect(mum.page.get_by_text("$15 of $19.99 pledged · $4.99 to go")).to_be_visible()
    audit("gift-chipping-in", kite, person=mum, screenshot=True)

    pledge(mum.page, "9.99")  # more than remains: refused, nothing changes
    expect(mum.page.get_by_text("Only $4.99 is still needed.")).to_be_visible()
    pledge(mum.page, "4.99")
    for person in (dad, gran, mum):
        expect(bar(person.page)).to_have_attribute("value", "19.99")
    expect(tile(mum_list.page, "Rainbow kite")).to_contain_text("covered")

    dad.page.get_by_role("button", name="Mark as bought together").click()
    expect(gran.page.get_by_text("Bought together by Dad, you and Mum")).to_be_visible()
    expect(tile(mum_list.page, "Rainbow kite")).to_contain_text("Purchased by")

    audit("gift-chipped-in", kite, person=gran, screenshot=True)
    # Tom's list never moved, and a fresh look shows nothing either.
    assert tom_page.locator("main").inner_html() == tom_before
    tom_page.goto(kite)
    expect(tom_page.get_by_text("Chip")).to_have_count(0)
    expect(tom_page.locator("progress")).to_have_count(0)


def test_a_pledge_being_typed_keeps_its_amount_when_another_pledge_arrives(people, family):
    """The pledge box holds what is still needed; a relative's pledge arriving live moves that, and
    must not overwrite the amount someone is typing (CI once pledged $19.99 for a typed 10)."""
    kite = family.gift("Rainbow kite")  # $19.99
    dad = people().login(family.emails["dad"])
    gran = people(PHONE).login(family.emails["gran"])
    dad.goto(kite)
    dad.page.get_by_role("button", name="Chip in together").click()
    expect(dad.page.get_by_text("Organised by you")).to_be_visible()
    gran.goto(kite)
    box = dad.page.get_by_role("region", name="Chipping in").get_by_role("textbox")
    box.fill("10")
    pledge(gran.page, "5")
    expect(bar(dad.page)).to_have_attribute("value", "5.00")  # the change reached Dad's page
    expect(box).to_have_value("10")
    dad.page.get_by_role("region", name="Chipping in").get_by_role("button", name="Pledge").click()
    for person in (dad, gran):
        expect(bar(person.page)).to_have_attribute("value", "15.00")


def test_chipping_in_works_with_javascript_off_on_a_phone(people, family):
    kite = family.gift("Rainbow kite")
    dad = people(PHONE, javascript=False).login(family.emails["dad"])
    page = dad.goto(kite)
    page.get_by_role("button", name="Chip in together").click()
    pledge(page, "abc")
    expect(page.get_by_text("Write an amount such as 1,234.50.")).to_be_visible()
    pledge(page, "12.50")
    expect(page.get_by_text("$12.50 of $19.99 pledged")).to_be_visible()
    page.get_by_role("button", name="Withdraw my pledge").click()
    expect(page.get_by_text("$0 of $19.99 pledged")).to_be_visible()
    gran = people(DESKTOP, javascript=False).login(family.emails["gran"])
    expect(tile(gran.goto(family.list_of("tom")), "Rainbow kite")).to_contain_text("$0 of $19.99 pledged")
