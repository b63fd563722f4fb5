"""Races on PostgreSQL with real threads, for lists: relatives adding ideas while the recipient
adds and edits wishes near a category's limit. The wishes stay within it (ideas don't count),
every idea lands, and the recipient never sees one."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift, Piglist

from . import factories
from .support.concurrency import run_together


def test_ideas_racing_the_recipients_wishes_leave_the_limit_holding(app, api, family):
    category = factories.make_category(family.group, name="Toys", spending_limit="90")
    tom_list = db.session.scalar(select(Piglist.id).where(Piglist.user_id == family.owner.id))
    kite = factories.make_gift(family.owner, family.group, title="Kite", price="30", category_id=category.id)
    tom, dad, gran = api(family.owner), api(family.giver), api(family.other)
    # Ids read here: the threads have no app context to load a row's attributes in.
    gid, kite_id, category_id = family.group.id, kite.id, category.id
    wish = {"price": "30", "category_id": category_id}
    calls = [
        # Tom: two wishes of 30 and a raise of his kite to 40; at most 90 may stand.
        *[
            lambda n=n: tom.post(f"/groups/{gid}/gifts", json={"title": f"Wish {n}", **wish})
            for n in range(2)
        ],
        lambda: tom.patch(f"/gifts/{kite_id}", json={"price": "40"}),
        # Dad and Gran: five ideas of 50 in the same category, which no limit holds back.
        *[
            lambda n=n, who=(dad if n % 2 else gran): who.post(
                f"/lists/{tom_list}/gifts",
                json={"title": f"Idea {n}", "price": "50", "category_id": category_id},
            )
            for n in range(5)
        ],
    ]
    statuses = run_together(calls)
    assert statuses[201] >= 5  # every idea, and the wishes that fit
    assert set(statuses) <= {200, 201, 422}
    db.session.expire_all()
    wishes = db.session.scalars(
        select(Gift).where(Gift.piglist_id == tom_list, Gift.is_idea.is_(False), Gift.deleted_at.is_(None))
    ).all()
    assert sum(g.price for g in wishes) <= Decimal("90")
    ideas = db.session.scalar(select(func.count()).where(Gift.piglist_id == tom_list, Gift.is_idea.is_(True)))
    assert ideas == 5
    shown = tom.get(f"/groups/{family.group.id}/piglists/{family.owner.id}").get_json()
    assert not [g for g in shown["gifts"] if g["title"].startswith("Idea")]
    assert {t["category_id"]: t["total"] for t in shown["totals"]}[category.id] == str(
        sum(g.price for g in wishes).quantize(Decimal("0.01"))
    )
