"""Every page a family meets, at a phone's and a desktop's width: axe-core finds no violation,
nothing is wider than the screen, every control shows where the keyboard is, and no page logs an
error or breaks the CSP. The demo family (``flask piglist demo``) fills the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from piglist.extensions import db
from piglist.models import Category, Gift, Group, User

from .support import DESKTOP


@pytest.fixture(scope="module")
def demo(site):
    site.cli("piglist", "demo")
    app = site.app()
    with app.app_context():
        group = db.session.scalar(select(Group).where(Group.name == "The Demo Family"))
        users = {u.email.split("@")[0]: u.id for u in db.session.scalars(select(User))}
        gifts = {g.title: (g.id, g.piglist.user_id) for g in db.session.scalars(select(Gift))}
        category = db.session.scalar(select(Category.id).where(Category.group_id == group.id))
        ids = {
            "group": group.id,
            "code": group.invite_code,
            "users": users,
            "gifts": gifts,
            "category": category,
        }
        db.session.remove()
        db.engine.dispose()
    return ids


def gift_of(demo, owner: str) -> int:
    return next(gift for gift, who in demo["gifts"].values() if who == demo["users"][owner])


def test_pages_for_visitors_pass_axe_at_both_widths(audit, demo):
    audit("home", "/", screenshot=True)
    audit("login", "/login", screenshot=True)
    audit("register", "/register")
    audit("signup-sent", "/register/sent")
    audit("invite", f"/join/{demo['code']}")
    audit("invite-dead", "/join/not-a-real-code")
    audit("not-found", "/no-such-page")


def test_pages_for_a_member_pass_axe_at_both_widths(audit, people, demo):
    mum = people(DESKTOP).login("mum@demo.piglist.example", "Piglist-Demo-1")
    group = demo["group"]
    audit("dashboard", "/dashboard", mum, screenshot=True)
    audit("group", f"/groups/{group}", mum)
    audit("start-group", "/groups/new", mum)
    audit("piglists", f"/groups/{group}/piglists", mum, screenshot=True)
    audit("my-piglist", f"/groups/{group}/my-piglist", mum, screenshot=True)
    audit("piglist", f"/groups/{group}/piglists/{demo['users']['tom']}", mum, screenshot=True)
    audit("gift", f"/groups/{group}/gifts/{gift_of(demo, 'tom')}", mum, screenshot=True)
    audit("own-gift", f"/groups/{group}/gifts/{gift_of(demo, 'mum')}", mum)
    audit("add-gift", f"/groups/{group}/gifts/add", mum, screenshot=True)
    audit("edit-gift", f"/groups/{group}/gifts/{gift_of(demo, 'mum')}/edit", mum)
    audit("admin-settings", f"/admin/groups/{group}/", mum)
    audit("admin-members", f"/admin/groups/{group}/members", mum)
    audit("admin-categories", f"/admin/groups/{group}/categories", mum)
    audit("edit-category", f"/admin/groups/{group}/categories/{demo['category']}/edit", mum)
    audit("profile", "/profile", mum)
