"""Races on PostgreSQL with real threads: one purchase wins, limits hold under parallel adds."""

import threading
from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift

from . import factories


def run_together(calls):
    """Start every call at the same moment, each in its own thread; their responses' statuses."""
    barrier = threading.Barrier(len(calls))
    statuses = [None] * len(calls)

    def worker(index, call):
        barrier.wait()
        statuses[index] = call().status_code

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return Counter(statuses)


def test_forty_simultaneous_purchases_have_exactly_one_winner(app, api, family):
    gift = factories.make_gift(family.owner, family.group)
    buyers = [api(person) for person in (family.admin, family.giver, family.other)]
    fourth = factories.make_user(display_name="Uncle")
    factories.add_member(family.group, fourth)
    buyers.append(api(fourth))
    path = f"/gifts/{gift.id}/purchase"
    calls = [lambda b=buyers[n % 4]: b.post(path) for n in range(40)]
    assert run_together(calls) == Counter({200: 1, 409: 39})
    db.session.refresh(gift)
    assert gift.status == "purchased"


def test_twelve_simultaneous_adds_under_a_limit_let_exactly_three_in(app, api, family):
    category = factories.make_category(family.group, spending_limit=Decimal("100.00"))
    owner = api(family.owner)
    path, category_id = f"/groups/{family.group.id}/gifts", category.id
    calls = [
        lambda n=n: owner.post(
            path, json={"title": f"Gift {n}", "price": "30.00", "category_id": category_id}
        )
        for n in range(12)
    ]
    assert run_together(calls) == Counter({201: 3, 422: 9})
    total = db.session.scalar(select(func.sum(Gift.price)).where(Gift.category_id == category.id))
    assert total == Decimal("90.00")


def test_simultaneous_edits_cannot_push_a_list_over_its_limit(app, api, family):
    category = factories.make_category(family.group, spending_limit=Decimal("100.00"))
    gifts = [
        factories.make_gift(family.owner, family.group, price="10", category_id=category.id) for _ in range(4)
    ]
    owner = api(family.owner)
    paths = [f"/gifts/{g.id}" for g in gifts]
    calls = [lambda p=p: owner.patch(p, json={"price": "45.00"}) for p in paths]
    # 4 × 10 = 40; one raise to 45 makes 75, a second would make 110.
    assert run_together(calls) == Counter({200: 1, 422: 3})
    total = db.session.scalar(select(func.sum(Gift.price)).where(Gift.category_id == category.id))
    assert total <= Decimal("100.00")


def test_the_same_link_added_twice_at_once_is_kept_once(app, api, family):
    owner = api(family.owner)
    path = f"/groups/{family.group.id}/gifts"
    calls = [
        lambda: owner.post(path, json={"title": "x", "url": "https://shop.example/same"}) for _ in range(6)
    ]
    assert run_together(calls) == Counter({201: 1, 409: 5})
