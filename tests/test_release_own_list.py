"""Issue 22, finding 3: an admin who keeps a list in the group is also a recipient. The Members
page's "Purchases by people who have left" and the release's count go through the surprise rule,
so nothing there tells Mum that a gift on her own list was bought.

The group of the issue: Mum (admin, keeps a list), Dad, Gran. Gran buys Mum's scarf and Dad's
book, then leaves."""

from __future__ import annotations

import pytest

from piglist.extensions import db
from piglist.models import Gift, GroupMember

from . import factories
from .support.clients import member_client, post_form
from .support.pages import normalised


@pytest.fixture
def gifts(api, family):
    scarf = factories.make_gift(family.admin, family.group, title="Scarf")
    book = factories.make_gift(family.giver, family.group, title="Book")
    return scarf, book


def leave(api, family) -> None:
    response = api(family.other).delete(f"/groups/{family.group.id}/members/{family.other.id}")
    assert response.status_code == 204


def bought_before_leaving(gift: Gift, buyer) -> None:
    """A purchase Gran made while still in the group (she can't buy once she has left)."""
    factories.make_purchase(db.session.get(Gift, gift.id), buyer)


def status_for(api, viewer, gift_id: int) -> tuple[str, list[str]]:
    seen = api(viewer).get(f"/gifts/{gift_id}").get_json()
    return seen["status"], [p["user"]["display_name"] for p in seen["purchases"]]


def members_page(app, family):
    return normalised(member_client(app, family.admin).get(f"/admin/groups/{family.group.id}/members"))


def test_the_members_page_is_the_same_for_mum_whether_gran_bought_her_scarf(app, api, family, gifts):
    scarf, book = gifts
    assert api(family.other).post(f"/gifts/{book.id}/purchase").status_code == 200
    leave(api, family)
    before = members_page(app, family)
    assert "Purchases by people who have left" in before[2]
    bought_before_leaving(scarf, family.other)
    assert members_page(app, family) == before
    assert '<th scope="row">Gran</th>\n              <td>1</td>' in before[2]


def test_mum_sees_no_former_buyer_whose_only_purchase_is_on_her_list(app, api, family, gifts):
    scarf, _ = gifts
    leave(api, family)
    before = members_page(app, family)
    bought_before_leaving(scarf, family.other)
    after = members_page(app, family)
    assert after == before
    assert "Purchases by people who have left" not in after[2]
    # Dad, an admin without a purchase on his list, is told and can release it.
    db.session.get(GroupMember, (family.group.id, family.giver.id)).role = "admin"
    db.session.commit()
    dads = member_client(app, family.giver).get(f"/admin/groups/{family.group.id}/members")
    assert f'id="former-buyer-{family.other.id}"' in dads.get_data(as_text=True)


def test_the_release_counts_and_takes_back_only_what_mum_may_know_of(api, family, gifts):
    scarf, book = gifts
    gran = api(family.other)
    assert gran.post(f"/gifts/{scarf.id}/purchase").status_code == 200
    assert gran.post(f"/gifts/{book.id}/purchase").status_code == 200
    leave(api, family)
    mums_scarf = api(family.admin).get(f"/gifts/{scarf.id}").get_data()

    response = api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")

    assert (response.status_code, response.get_data()) == (200, b'{"released":1}\n')
    assert status_for(api, family.giver, scarf.id) == ("purchased", ["Gran"])
    assert status_for(api, family.owner, book.id) == ("available", [])
    assert api(family.admin).get(f"/gifts/{scarf.id}").get_data() == mums_scarf
    # Another admin releases the scarf, and Mum's view of it still doesn't move.
    db.session.get(GroupMember, (family.group.id, family.giver.id)).role = "admin"
    db.session.commit()
    again = api(family.giver).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    assert again.get_json() == {"released": 1}
    assert status_for(api, family.owner, scarf.id) == ("available", [])
    assert api(family.admin).get(f"/gifts/{scarf.id}").get_data() == mums_scarf


@pytest.mark.parametrize("scarf_bought", [False, True])
def test_the_release_answers_mum_the_same_whether_gran_bought_her_scarf(api, family, gifts, scarf_bought):
    scarf, _ = gifts
    leave(api, family)
    if scarf_bought:
        bought_before_leaving(scarf, family.other)
    response = api(family.admin).delete(f"/groups/{family.group.id}/purchases/{family.other.id}")
    assert (response.status_code, response.get_data()) == (200, b'{"released":0}\n')
    assert status_for(api, family.giver, scarf.id)[0] == ("purchased" if scarf_bought else "available")


def test_the_release_page_tells_mum_only_of_what_she_may_know(app, api, family, gifts):
    scarf, book = gifts
    assert api(family.other).post(f"/gifts/{book.id}/purchase").status_code == 200
    leave(api, family)
    bought_before_leaving(scarf, family.other)
    browser = member_client(app, family.admin)
    response = post_form(
        browser,
        f"/admin/groups/{family.group.id}/purchases/{family.other.id}/release",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "1 gift is available again" in page
    assert "Purchases by people who have left" not in page
    assert status_for(api, family.owner, scarf.id) == ("purchased", ["Gran"])
