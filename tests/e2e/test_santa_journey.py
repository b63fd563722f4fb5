"""Secret Santa in real browsers: the admin sets up the family's draw with a couple kept apart and
draws it, each person opens their own name, and one Santa asks their recipient a size and gets an
answer, live, without the recipient ever seeing who asked."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .support import PHONE

RECIPIENT = re.compile(r"You're Secret Santa for (\w+)")


def test_the_family_draw_with_a_couple_apart_and_an_anonymous_question(people, family):
    mum = people().login(family.emails["mum"])
    page = mum.goto(f"/groups/{family.group}")
    page.get_by_role("link", name="Secret Santa").click()
    page.get_by_label("Name").fill("Christmas")
    page.get_by_label("Dad & Mum").check()
    page.get_by_label("Budget (optional)").fill("30")
    page.get_by_role("button", name="Set up the exchange").click()
    expect(page.get_by_role("heading", name="Christmas", level=1)).to_be_visible()
    page.get_by_role("button", name="Draw the names").click()
    expect(page.get_by_text("The names are drawn. Everyone")).to_be_visible()
    exchange_page = page.url

    browsers = {"Mum": mum}
    for name, viewport in (("Tom", PHONE), ("Dad", None), ("Gran", None)):
        person = people(viewport) if viewport else people()
        browsers[name] = person.login(family.emails[name.lower()])
    drawn = {}
    for name, person in browsers.items():
        person.goto(exchange_page)
        person.page.get_by_role("button", name="Show me whose Santa I am").click()
        found = RECIPIENT.search(person.page.locator(".santa-recipient").inner_text())
        drawn[name] = found.group(1)
        expect(person.page.get_by_text("Budget: $30").first).to_be_visible()
    assert sorted(drawn.values()) == sorted(drawn) and all(santa != got for santa, got in drawn.items())
    assert drawn["Mum"] != "Dad" and drawn["Dad"] != "Mum"

    santa_name = next(santa for santa, got in drawn.items() if got == "Tom")
    santa = browsers[santa_name].page
    santa.get_by_label("Ask Tom something, without saying who you are").fill("What size are you?")
    santa.get_by_role("button", name="Send").first.click()
    expect(santa.get_by_text("You ask: What size are you?")).to_be_visible()

    tom = browsers["Tom"].page  # still on the exchange's page: the question arrives live
    expect(tom.get_by_text("Your Secret Santa asks: What size are you?")).to_be_visible()
    thread = tom.locator(".santa-thread").inner_text()
    assert santa_name not in thread
    tom.get_by_label("Answer your Secret Santa").fill("Medium, please")
    tom.locator("form.santa-message-form").filter(
        has=tom.get_by_label("Answer your Secret Santa")
    ).get_by_role("button", name="Send").click()
    expect(tom.get_by_text("You answer: Medium, please")).to_be_visible()

    expect(santa.get_by_text("Tom answers: Medium, please")).to_be_visible()  # live too
