"""Occasions in real browsers (issue 25): an admin sets Christmas, a reminder arrives by mail (a
real SMTP server), a relative follows its link and buys, and on Boxing Day the recipient reveals
what was bought and ticks "thanked"."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

from playwright.sync_api import expect
from sqlalchemy import update

from config import TestingConfig
from piglist import create_app
from piglist.extensions import db
from piglist.models import Occasion, today
from piglist.occasions.reminders import queue_due_reminders

from ..support.mailbox import Mailbox
from .support import PHONE


def reminders_through(site, on) -> Mailbox:
    """The reminders due ``on``, sent to a real SMTP server by the same code the worker runs (the
    site's own worker logs its mail: it has no SMTP_URL)."""
    box = Mailbox()
    app = create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=site.database_url,
        REDIS_URL=None,
        SMTP_URL=box.url,
        PUBLIC_URL="https://piglist.example/",
    )
    with app.app_context():
        assert queue_due_reminders(on) == 4
        deadline = time.monotonic() + 20
        while len(box.messages) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        db.session.remove()
        db.engine.dispose()
    return box


def the_day_after(site, name: str) -> None:
    """Time passes: the occasion was yesterday."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=site.database_url, REDIS_URL=None)
    with app.app_context():
        db.session.execute(
            update(Occasion).where(Occasion.name == name).values(date=today() - timedelta(days=1))
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_christmas_is_set_reminded_bought_revealed_and_thanked(people, family, site, audit):
    mum = people().login(family.emails["mum"])
    mum.goto(f"/groups/{family.group}")
    mum.page.get_by_role("link", name="Set occasions").click()
    christmas = today() + timedelta(days=21)
    mum.page.get_by_label("Name").fill("Christmas")
    mum.page.get_by_label("Date").fill(christmas.isoformat())
    mum.page.get_by_role("button", name="Save occasion").click()
    expect(mum.page.get_by_text(re.compile(r"Christmas is set for"))).to_be_visible()
    audit("occasions-admin", f"/admin/groups/{family.group}/occasions", mum)
    mum.goto(f"/groups/{family.group}")
    expect(mum.page.locator("#occasions")).to_contain_text("in 21 days")

    box = reminders_through(site, christmas - timedelta(days=21))
    assert box.to(family.emails["tom"]) and "Tom's list" not in Mailbox.text(box.to(family.emails["tom"])[0])
    [mail] = box.to(family.emails["dad"])
    assert mail["Subject"] == "Christmas is in 21 days"
    text = Mailbox.text(mail)
    assert "Tom's list: 2 gifts still available" in text
    tom_list = f"/groups/{family.group}/piglists/{family.ids['tom']}"
    assert f"https://piglist.example{tom_list}" in text
    link = tom_list
    box.close()

    dad = people(PHONE).login(family.emails["dad"])
    dad.goto(link)
    kite = dad.page.locator("article.gift-tile").filter(has=dad.page.get_by_role("link", name="Rainbow kite"))
    kite.get_by_role("button", name="Mark as purchased").click()
    expect(kite).to_contain_text("Purchased by you")

    the_day_after(site, "Christmas")
    tom = people().login(family.emails["tom"])
    tom.goto(f"/groups/{family.group}")
    tom.page.get_by_role("link", name="Past occasions and received gifts").click()
    audit("occasions-group", urlsplit(tom.page.url).path, tom)
    tom.page.get_by_role("button", name="Reveal Christmas").click()
    expect(tom.page.get_by_text("Revealed: 1 gift received.")).to_be_visible()
    received = tom.page.locator("#past")
    expect(received.get_by_role("heading", name="Received")).to_be_visible()
    expect(received).to_contain_text("Rainbow kite")
    expect(received).to_contain_text("from Dad")
    expect(received).not_to_contain_text("Football boots")
    received.get_by_role("button", name="Mark thanked").click()
    expect(tom.page.locator("#past").get_by_role("button", name="✓ Thanked")).to_be_visible()

    # The kite has left the active list, for Tom and for Dad; the boots stay.
    tom.goto(family.list_of("tom"))
    expect(tom.page.get_by_role("link", name="Football boots")).to_be_visible()
    expect(tom.page.get_by_role("link", name="Rainbow kite")).to_have_count(0)
    dad.goto(family.list_of("tom"))
    expect(dad.page.get_by_role("link", name="Rainbow kite")).to_have_count(0)
    dad.goto(f"/groups/{family.group}/occasions")
    expect(dad.page.locator("#past")).to_contain_text("Rainbow kite")
    expect(dad.page.locator("#past")).to_contain_text("Thanked")
