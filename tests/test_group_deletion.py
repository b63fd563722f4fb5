"""Deleting a group: its admins only, on the admin page (the name typed to confirm) or through the API;
every list in it goes, the members find a notice on their dashboard, and nothing else of theirs is
touched."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift, Group, GroupMember, Notice, Piglist, User

from . import factories
from .support.clients import member_client, page_text, post_form


@pytest.fixture
def world(family):
    """The Smiths with wishes and a purchase, and Dad's other group, which must not be touched."""
    factories.make_gift(family.owner, family.group, title="Kite")
    factories.make_purchase(factories.make_gift(family.giver, family.group, title="Socks"), family.other)
    other = factories.make_group(family.giver, family.other, name="Dad's side")
    keeps = factories.make_gift(family.other, other, title="Scarf")
    factories.make_purchase(keeps, family.giver)
    return {"group_id": family.group.id, "other_id": other.id, "keeps_id": keeps.id}


def assert_deleted_and_nothing_else(family, world) -> None:
    db.session.expire_all()
    assert db.session.get(Group, world["group_id"]) is None
    assert (
        db.session.scalar(
            select(func.count()).select_from(Piglist).where(Piglist.group_id == world["group_id"])
        )
        == 0
    )
    assert {g.title for g in db.session.scalars(select(Gift))} == {"Scarf"}
    assert db.session.scalar(select(func.count()).select_from(User)) == 4
    kept = db.session.get(Gift, world["keeps_id"])
    assert kept.status == "purchased" and kept.purchased_by_id == family.giver.id
    assert (
        db.session.scalar(
            select(func.count()).select_from(GroupMember).where(GroupMember.group_id == world["other_id"])
        )
        == 2
    )


def notices_of(user) -> list[str]:
    return list(db.session.scalars(select(Notice.message).where(Notice.user_id == user.id)))


def test_an_admin_deletes_the_group_through_the_api(api, family, world):
    response = api(family.admin).delete(f"/groups/{world['group_id']}")
    assert response.status_code == 204 and response.get_data() == b""
    assert_deleted_and_nothing_else(family, world)
    message = "Mum deleted the group Smith Family; your piglist there was deleted with it."
    assert notices_of(family.owner) == notices_of(family.giver) == notices_of(family.other) == [message]
    assert notices_of(family.admin) == []
    assert api(family.owner).get(f"/groups/{world['group_id']}").status_code == 404


@pytest.mark.parametrize("who, status, code", [("owner", 403, "forbidden"), ("stranger", 404, "not_found")])
def test_only_an_admin_may_delete_a_group(api, family, world, who, status, code):
    user = family.owner if who == "owner" else factories.make_user()
    response = api(user).delete(f"/groups/{world['group_id']}")
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    db.session.expire_all()
    assert db.session.get(Group, world["group_id"]) is not None
    assert db.session.scalar(select(func.count()).select_from(Notice)) == 0


def test_deleting_a_group_twice_says_it_is_not_found(api, family, world):
    client = api(family.admin)
    assert client.delete(f"/groups/{world['group_id']}").status_code == 204
    assert client.delete(f"/groups/{world['group_id']}").status_code == 404


def test_the_admin_page_offers_deletion_with_the_name_to_type(app, family, world):
    browser = member_client(app, family.admin)
    page = page_text(browser.get(f"/admin/groups/{world['group_id']}/"))
    assert f'action="/admin/groups/{world["group_id"]}/delete"' in page
    assert "Type the group's name to confirm" in page


@pytest.mark.parametrize("typed", ["", "Smith", "Jones Family", "   "])
def test_a_wrong_name_on_the_page_says_why_and_deletes_nothing(app, family, world, typed):
    browser = member_client(app, family.admin)
    response = post_form(browser, f"/admin/groups/{world['group_id']}/delete", {"confirm_name": typed})
    assert response.status_code == 422
    assert "Type the group's name, Smith Family, to delete it." in page_text(response)
    db.session.expire_all()
    assert db.session.get(Group, world["group_id"]) is not None


def test_a_member_cannot_delete_on_the_page(app, family, world):
    browser = member_client(app, family.owner)
    response = post_form(
        browser, f"/admin/groups/{world['group_id']}/delete", {"confirm_name": "Smith Family"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Group, world["group_id"]) is not None


def test_deleting_on_the_page_and_the_members_notice(app, family, world):
    browser = member_client(app, family.admin)
    response = post_form(
        browser, f"/admin/groups/{world['group_id']}/delete", {"confirm_name": " smith family "}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert "Smith Family is deleted" in page_text(browser.get("/dashboard"))
    assert_deleted_and_nothing_else(family, world)

    tom = member_client(app, family.owner)
    dashboard = page_text(tom.get("/dashboard"))
    assert "Mum deleted the group Smith Family" in dashboard
    assert "Mum deleted the group" in page_text(tom.get("/dashboard")), "shown until dismissed"
    [notice_id] = db.session.scalars(select(Notice.id).where(Notice.user_id == family.owner.id))
    # Someone else's notice can't be dismissed by guessing its number.
    post_form(member_client(app, family.giver), f"/notices/{notice_id}/dismiss")
    assert db.session.get(Notice, notice_id) is not None
    dismissed = post_form(tom, f"/notices/{notice_id}/dismiss")
    assert dismissed.status_code == 302 and dismissed.headers["Location"] == "/dashboard"
    assert "Mum deleted the group" not in page_text(tom.get("/dashboard"))
    assert post_form(tom, f"/notices/{notice_id}/dismiss").status_code == 302, "twice is harmless"


def test_dismissing_needs_the_csrf_token(app, family, world):
    notice = Notice(user_id=family.owner.id, message="Hello")
    db.session.add(notice)
    db.session.commit()
    tom = member_client(app, family.owner)
    assert tom.post(f"/notices/{notice.id}/dismiss").status_code == 400
    assert db.session.get(Notice, notice.id) is not None
