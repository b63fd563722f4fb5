"""Issue 28 in Chromium: the release section appears live for every admin on the Members page, not
only for the one who pressed "Remove" (tests/test_release_live.py covers the streams and the feed).
Two people at their own browsers: Mum removes Gran, and Dad's Members page shows "Purchases by
people who have left" without a reload; Dad releases them, and Mum's section goes, again without a
reload. Each state axe-clean."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from piglist.extensions import db
from piglist.models import Gift, GroupMember, User

from .. import factories
from .support import WIDTHS, assert_axe_clean, both_widths, not_reloaded, stays_on_the_page

KEEP = "document.body.dataset.kept = 'yes'"  # a page Turbo visits again (a reload in place) loses it
KEPT = "document.body.dataset.kept === 'yes'"


def dad_is_admin_and_gran_bought_the_kite(site, family) -> None:
    with site.app().app_context():
        db.session.get(GroupMember, (family.group, family.ids["dad"])).role = "admin"
        kite = db.session.get(Gift, family.gifts["Rainbow kite"])
        factories.make_purchase(kite, db.session.get(User, family.ids["gran"]))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@both_widths
def test_another_admins_members_page_shows_the_release_section_without_a_reload(people, family, site, width):
    dad_is_admin_and_gran_bought_the_kite(site, family)
    members = f"/admin/groups/{family.group}/members"
    dad = people(WIDTHS[width]).login(family.emails["dad"])
    dad_page = dad.goto(members)
    expect(dad_page.get_by_role("heading", name="Purchases by people who have left")).to_have_count(0)
    stays_on_the_page(dad_page)
    dad_page.evaluate(KEEP)
    mum = people(WIDTHS[width]).login(family.emails["mum"])
    mum_page = mum.goto(members)
    stays_on_the_page(mum_page)
    mum_page.evaluate(KEEP)

    mum_page.once("dialog", lambda dialog: dialog.accept())
    mum_page.get_by_role("button", name="Remove Gran").click()
    expect(mum_page.get_by_text("Gran is no longer in")).to_be_visible()

    section = dad_page.locator("#former-buyers")
    expect(section.get_by_role("heading", name="Purchases by people who have left")).to_be_visible()
    expect(section.get_by_role("rowheader", name="Gran")).to_be_visible()
    expect(section.get_by_role("row", name=re.compile("Gran"))).to_contain_text("1")
    assert not_reloaded(dad_page) and dad_page.evaluate(KEPT)
    assert_axe_clean(dad_page)

    # Dad releases them: Mum's section goes from her page, which she didn't reload either.
    expect(mum_page.locator("#former-buyers").get_by_role("rowheader", name="Gran")).to_be_visible()
    dad_page.once("dialog", lambda dialog: dialog.accept())
    section.get_by_role("button", name=re.compile("Release")).click()
    expect(dad_page.get_by_text("1 gift is available again")).to_be_visible()
    expect(mum_page.locator("#former-buyers")).to_have_count(0)
    assert not_reloaded(mum_page) and mum_page.evaluate(KEPT)
    assert_axe_clean(mum_page)


def test_without_a_socket_the_long_poll_brings_the_release_section(people, family, site):
    """Dad's browser can't keep a socket (closed as soon as it opens): his page falls back on the
    long poll, which fetches his own section afresh when he is told."""
    dad_is_admin_and_gran_bought_the_kite(site, family)
    members = f"/admin/groups/{family.group}/members"
    dad = people()
    dad.context.route_web_socket(re.compile(r"/ws/groups/"), lambda ws: ws.close())
    dad.login(family.emails["dad"])
    with dad.page.expect_request(re.compile(r"/api/v1/groups/\d+/changes\?since=")):
        dad_page = dad.goto(members)
    dad_page.evaluate(KEEP)
    mum = people().login(family.emails["mum"])
    mum_page = mum.goto(members)
    mum_page.once("dialog", lambda dialog: dialog.accept())
    mum_page.get_by_role("button", name="Remove Gran").click()
    expect(mum_page.get_by_text("Gran is no longer in")).to_be_visible()

    section = dad_page.locator("#former-buyers")
    expect(section.get_by_role("rowheader", name="Gran")).to_be_visible()
    assert dad_page.evaluate(KEPT)
    assert_axe_clean(dad_page)
