"""A gift bought together whose pledger or holder has since gone (issue 24): an erased account's
share stays, shown as "a former member", and the pledges still add up to what was paid; the
organiser can't take it back then; an admin's release of a departed member's purchases leaves
their shares of it alone. Never a "bought" group gift with nothing bought, nor money counted
twice."""

from piglist.auth.erase import erase_user
from piglist.extensions import db
from piglist.gifts import releasing as writes
from piglist.models import Gift

from . import factories
from .support.clients import error, member_client, page_text


def bought_together(api, family, organiser, *shares):
    """Tom's bike, bought together: ``shares`` are (person, amount) and the organiser marks it."""
    bike = factories.make_gift(family.owner, family.group, title="Bike", price="200.00")
    assert api(organiser).post(f"/gifts/{bike.id}/group-gift").status_code in (200, 201)
    for person, amount in shares:
        assert api(person).call("PUT", f"/gifts/{bike.id}/pledge", json={"amount": amount}).status_code == 200
    assert api(organiser).post(f"/gifts/{bike.id}/purchase").status_code == 200
    return bike


def seen_by(api, person, gift):
    view = api(person).get(f"/gifts/{gift.id}").get_json()
    return {
        "status": view["status"],
        "purchased_quantity": view["purchased_quantity"],
        "purchases": sorted(
            ((p["user"] or {}).get("display_name", "a former member"), p["quantity"])
            for p in view["purchases"]
        ),
        "group_gift": (view["group_gift"]["status"], view["group_gift"]["pledged"]),
        "pledgers": sorted(
            (p["user"] or {}).get("display_name", "a former member") for p in view["group_gift"]["pledges"]
        ),
    }


def test_an_erased_pledgers_share_stays_as_a_former_members_and_the_pledges_still_add_up(app, api, family):
    bike = bought_together(api, family, family.giver, (family.giver, "120.00"), (family.other, "80.00"))
    tom_before = api(family.owner).get(f"/gifts/{bike.id}").get_data()
    erase_user(family.other)
    assert seen_by(api, family.giver, bike) == {
        "status": "purchased",
        "purchased_quantity": 1,
        "purchases": [("Dad", 1), ("a former member", 0)],
        "group_gift": ("bought", "200.00"),
        "pledgers": ["Dad", "a former member"],
    }
    page = page_text(member_client(app, family.giver).get(f"/groups/{family.group.id}/gifts/{bike.id}"))
    assert "a former member" in page and "someone" not in page
    # The organiser can't take back what a former member paid toward: nothing changes.
    before = seen_by(api, family.giver, bike)
    refused = api(family.giver).delete(f"/gifts/{bike.id}/purchase")
    assert refused.status_code == 409 and error(refused)["code"] == "group_gift_conflict"
    assert "left Piglist" in error(refused)["message"]
    assert seen_by(api, family.giver, bike) == before
    # Tom, whose bike it is, sees nothing of any of it.
    assert api(family.owner).get(f"/gifts/{bike.id}").get_data() == tom_before


def test_an_erased_holder_leaves_the_gift_bought_and_nobody_can_buy_it_twice(app, api, family):
    bike = bought_together(api, family, family.giver, (family.giver, "150.00"), (family.other, "50.00"))
    erase_user(family.giver)  # the organiser, who held the one bought
    assert seen_by(api, family.other, bike) == {
        "status": "purchased",
        "purchased_quantity": 1,
        "purchases": [("Gran", 0), ("a former member", 1)],
        "group_gift": ("bought", "200.00"),
        "pledgers": ["Gran", "a former member"],
    }
    # Gran decides now the organiser is gone, but can't reopen a gift a former member holds.
    refused = api(family.other).delete(f"/gifts/{bike.id}/purchase")
    assert refused.status_code == 409 and error(refused)["code"] == "group_gift_conflict"
    again = api(family.admin).post(f"/gifts/{bike.id}/purchase")
    assert again.status_code == 409
    assert api(family.admin).post(f"/gifts/{bike.id}/group-gift").status_code == 409
    assert seen_by(api, family.other, bike)["purchased_quantity"] == 1


def test_releasing_a_departed_holder_leaves_their_share_of_a_gift_bought_together(app, api, family):
    bike = bought_together(api, family, family.giver, (family.giver, "150.00"), (family.other, "50.00"))
    alone = factories.make_gift(family.owner, family.group, title="Socks", price="5.00")
    assert api(family.giver).post(f"/gifts/{alone.id}/purchase").status_code == 200
    gid = family.group.id
    assert api(family.giver).delete(f"/groups/{gid}/members/{family.giver.id}").status_code == 204
    before = seen_by(api, family.other, bike)
    # Only the socks Dad bought alone are his to release; the bike is everyone's who chipped in.
    db.session.expire_all()
    assert [(buyer.id, count) for buyer, count in writes.former_buyers(family.group, family.admin)] == [
        (family.giver.id, 1)
    ]
    released = api(family.admin).delete(f"/groups/{gid}/purchases/{family.giver.id}")
    assert released.status_code == 200 and released.get_json() == {"released": 1}
    assert seen_by(api, family.other, bike) == before
    db.session.expire_all()
    assert db.session.get(Gift, alone.id).purchased_quantity == 0
    assert db.session.get(Gift, bike.id).purchased_quantity == 1
    # A second release finds nothing more: the bike never turns available to be bought twice.
    assert api(family.admin).delete(f"/groups/{gid}/purchases/{family.giver.id}").get_json() == {
        "released": 0
    }
    assert writes.former_buyers(family.group, family.admin) == []
    assert api(family.admin).post(f"/gifts/{bike.id}/purchase").status_code == 409
