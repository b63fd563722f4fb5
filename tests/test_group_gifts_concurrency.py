"""Group gifts under real concurrent requests on PostgreSQL: pledges never add up to more than
the price, and pledging races the organiser marking it bought without tearing either apart."""

from collections import Counter
from decimal import Decimal

from piglist.extensions import db
from piglist.models import Gift, GroupGift, Pledge, Purchase

from . import factories
from .support.concurrency import run_together


def relatives(family, count):
    people = []
    for n in range(count):
        person = factories.make_user(display_name=f"Cousin {n}")
        factories.add_member(family.group, person)
        people.append(person)
    return people


def pledged_in_db(gift_id):
    db.session.expire_all()
    return db.session.scalars(db.select(Pledge).join(GroupGift).where(GroupGift.gift_id == gift_id)).all()


def test_twenty_concurrent_pledges_never_exceed_the_price(app, api, family):
    gift = factories.make_gift(family.owner, family.group, price="100.00")
    assert api(family.giver).post(f"/gifts/{gift.id}/group-gift").status_code == 200
    clients = [api(person) for person in relatives(family, 20)]
    path = f"/gifts/{gift.id}/pledge"
    calls = [lambda c=c: c.call("PUT", path, json={"amount": "10.00"}) for c in clients]
    assert run_together(calls) == Counter({200: 10, 409: 10})
    pledges = pledged_in_db(gift.id)
    assert len(pledges) == 10
    assert sum(p.amount for p in pledges) == Decimal("100.00")


def test_twenty_concurrent_pledges_of_mixed_amounts_stay_within_the_price(app, api, family):
    gift = factories.make_gift(family.owner, family.group, price="99.99")
    assert api(family.giver).post(f"/gifts/{gift.id}/group-gift").status_code == 200
    clients = [api(person) for person in relatives(family, 20)]
    path = f"/gifts/{gift.id}/pledge"
    amounts = [f"{7 + 3 * n}.{n:02d}" for n in range(20)]
    calls = [
        lambda c=c, a=a: c.call("PUT", path, json={"amount": a})
        for c, a in zip(clients, amounts, strict=True)
    ]
    statuses = run_together(calls)
    assert set(statuses) <= {200, 409}
    pledges = pledged_in_db(gift.id)
    assert len(pledges) == statuses[200]
    assert sum(p.amount for p in pledges) <= Decimal("99.99")
    # The answer everyone reads agrees with what is stored.
    view = api(family.giver).get(f"/gifts/{gift.id}").get_json()["group_gift"]
    assert Decimal(view["pledged"]) == sum(p.amount for p in pledges)


def test_one_person_changing_their_pledge_at_once_keeps_one_row(app, api, family):
    gift = factories.make_gift(family.owner, family.group, price="50.00")
    giver = api(family.giver)
    giver.post(f"/gifts/{gift.id}/group-gift")
    path = f"/gifts/{gift.id}/pledge"
    tabs = [api(family.giver) for _ in range(10)]  # made here: a token is a database row
    calls = [lambda n=n: tabs[n].call("PUT", path, json={"amount": f"{n + 1}.00"}) for n in range(10)]
    assert run_together(calls) == Counter({200: 10})
    assert len(pledged_in_db(gift.id)) == 1


def test_withdrawing_races_the_organiser_marking_it_bought(app, api, family):
    """Either the purchase comes first (the withdrawal is refused: it was bought with that money)
    or the withdrawal does (the purchase is refused: not covered). Never a purchase the pledges
    don't cover, never a purchaser without a pledge."""
    outcomes = Counter()
    for _ in range(8):
        gift = factories.make_gift(family.owner, family.group, price="100.00")
        organiser, other = api(family.giver), api(family.other)
        organiser.post(f"/gifts/{gift.id}/group-gift")
        organiser.call("PUT", f"/gifts/{gift.id}/pledge", json={"amount": "60.00"})
        other.call("PUT", f"/gifts/{gift.id}/pledge", json={"amount": "40.00"})
        statuses = []

        # Ids read here: the threads have no app context to load an expired row with.
        def buy(gift_id=gift.id, organiser=organiser, statuses=statuses):
            response = organiser.post(f"/gifts/{gift_id}/purchase")
            statuses.append(("buy", response.status_code))
            return response

        def withdraw(gift_id=gift.id, other=other, statuses=statuses):
            response = other.delete(f"/gifts/{gift_id}/pledge")
            statuses.append(("withdraw", response.status_code))
            return response

        run_together([buy, withdraw])
        outcome = dict(statuses)
        outcomes[(outcome["buy"], outcome["withdraw"])] += 1
        db.session.expire_all()
        stored = db.session.get(Gift, gift.id)
        pledgers = {p.user_id for p in pledged_in_db(gift.id)}
        buyers = {
            p.user_id for p in db.session.scalars(db.select(Purchase).where(Purchase.gift_id == gift.id))
        }
        if outcome["buy"] == 200:
            assert outcome["withdraw"] == 409
            assert stored.status == "purchased"
            assert buyers == pledgers == {family.giver.id, family.other.id}
        else:
            assert (outcome["buy"], outcome["withdraw"]) == (409, 200)
            assert stored.status == "available" and buyers == set()
            assert pledgers == {family.giver.id}
    assert set(outcomes) <= {(200, 409), (409, 200)}


def test_pledges_race_a_plain_purchase_of_the_last_one(app, api, family):
    """While a group gift is open, a purchase must leave one of the gift for it: racing a plain
    purchase of the second of two against the organiser's, exactly one wins."""
    gift = factories.make_gift(family.owner, family.group, price="20.00", quantity=2)
    organiser = api(family.giver)
    organiser.post(f"/gifts/{gift.id}/group-gift")
    organiser.call("PUT", f"/gifts/{gift.id}/pledge", json={"amount": "20.00"})
    assert api(family.admin).post(f"/gifts/{gift.id}/purchase").status_code == 200
    other = api(family.other)
    path = f"/gifts/{gift.id}/purchase"  # read here: the threads have no app context
    calls = [lambda: organiser.post(path), lambda: other.post(path)]
    assert run_together(calls) == Counter({200: 1, 409: 1})
    db.session.expire_all()
    stored = db.session.get(Gift, gift.id)
    assert stored.status == "purchased" and stored.purchased_quantity == 2
