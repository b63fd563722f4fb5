"""Export my data and delete my account, through the API, the profile page and the CLI: one function
behind each, the surprise rule applied to the export as for the person, and an erased account
leaving nothing behind that still works."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from piglist.extensions import db
from piglist.live.viewing import view_gift
from piglist.models import ApiToken, Gift, Group, GroupMember, Piglist, User, UserSession

from . import factories
from .support.clients import PASSWORD, changes, member_client, page_text, post_form
from .support.rows import count

# --- export -----------------------------------------------------------------------------------


@pytest.fixture
def tom(app, api, family):
    """Tom's world: a wish on his list, a present he bought for Dad, one he deleted, a token."""
    client = api(family.owner)
    wish = factories.make_gift(family.owner, family.group, title="Kite", price="19.99")
    deleted = factories.make_gift(family.owner, family.group, title="Old idea")
    client.delete(f"/gifts/{deleted.id}")
    dads = factories.make_gift(family.giver, family.group, title="Socks")
    assert client.post(f"/gifts/{dads.id}/purchase").status_code == 200
    return client, wish, dads


def test_export_holds_the_account_groups_list_purchases_and_tokens(family, tom):
    client, _, dads = tom
    response = client.get("/me/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert data["account"]["email"] == family.owner.email
    assert data["account"]["display_name"] == "Tom"
    [group] = data["groups"]
    assert (group["id"], group["name"], group["role"]) == (family.group.id, "Smith Family", "member")
    assert [g["title"] for g in group["piglist"]["gifts"]] == ["Kite"]  # the deleted wish is gone for him
    assert group["piglist"]["gifts"][0]["price"] == "19.99"
    [bought] = data["purchases"]
    assert (bought["id"], bought["title"], bought["purchased_by"]["id"]) == (
        dads.id,
        "Socks",
        family.owner.id,
    )
    assert [t["name"] for t in data["tokens"]] == ["tests"]
    assert data["notices"] == [] and data["logins"] == []


def test_export_never_carries_secrets(app, family, tom):
    client, _, _ = tom
    member_client(app, family.owner)
    raw = page_text(client.get("/me/export"))
    assert len(json.loads(raw)["logins"]) == 1
    assert db.session.scalar(select(UserSession.key_hash)) not in raw
    assert client.token not in raw
    assert family.owner.password_hash not in raw
    token_hash = db.session.scalar(select(ApiToken.token_hash))
    assert token_hash not in raw
    assert "password" not in raw and "token_hash" not in raw


def test_export_gifts_of_ones_own_list_carry_nothing_about_purchases_or_viewers(family, tom):
    client, _, _ = tom
    [gift] = client.get("/me/export").get_json()["groups"][0]["piglist"]["gifts"]
    assert not {"status", "purchased_by", "purchased_at", "viewers", "removed"} & gift.keys()


def owners_exports(app, client, browser, family) -> list[bytes]:
    """Tom's export through the three doors, as bytes."""
    api_export = client.get("/me/export").get_data()
    page_export = browser.get("/profile/export").get_data()
    cli = app.test_cli_runner().invoke(args=["piglist", "export-user", family.owner.email])
    assert cli.exit_code == 0, cli.output
    return [api_export, page_export, cli.stdout_bytes]


@pytest.mark.parametrize("action", ["buy", "buy_and_undo", "view", "buy_then_owner_deletes"])
def test_owners_export_is_identical_byte_for_byte_after_their_gift_is_bought(app, api, family, tom, action):
    client, wish, _ = tom
    browser = member_client(app, family.owner)
    before = owners_exports(app, client, browser, family)
    assert before[0] == before[1] == before[2], "one function behind all three doors"
    giver = api(family.giver)
    if action != "view":
        assert giver.post(f"/gifts/{wish.id}/purchase").status_code == 200
    if action == "buy_and_undo":
        assert giver.delete(f"/gifts/{wish.id}/purchase").status_code == 200
    if action == "view":
        with app.test_request_context():
            view_gift(wish.id, family.giver, "tab-1")
    if action == "buy_then_owner_deletes":
        # The same as deleting an unbought wish: compare with a twin deleted unbought.
        twin = factories.make_gift(family.owner, family.group, title="Twin")
        client.delete(f"/gifts/{twin.id}")
        client.delete(f"/gifts/{wish.id}")
        after_both = owners_exports(app, client, browser, family)
        assert "Kite" not in after_both[0].decode() and "Twin" not in after_both[0].decode()
        return
    assert owners_exports(app, client, browser, family) == before


def test_export_needs_a_login(client, api):
    assert api().get("/me/export").status_code == 401
    response = client.get("/profile/export")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_profile_page_offers_the_export_as_a_download(app, family):
    browser = member_client(app, family.owner)
    page = page_text(browser.get("/profile"))
    assert 'href="/profile/export"' in page and "Export my data" in page
    response = browser.get("/profile/export")
    assert response.headers["Content-Disposition"] == 'attachment; filename="piglist-export.json"'
    assert json.loads(response.get_data())["account"]["id"] == family.owner.id


# --- erase through the API ------------------------------------------------------------------------


def test_erasing_needs_the_right_password_and_changes_nothing_otherwise(api, family):
    client = api(family.giver)
    users = count(User)
    wrong = client.delete("/me", json={"password": "Not-The-One-1"})
    assert wrong.status_code == 422
    assert wrong.get_json()["error"] == {
        "code": "validation_failed",
        "message": "That isn't your current password.",
        "field": "password",
    }
    assert client.delete("/me", json={}).get_json()["error"]["field"] == "password"
    assert client.delete("/me", json={"password": 12345678}).status_code == 422
    assert client.delete("/me", data="password", content_type="text/plain").status_code == 400
    assert api().delete("/me", json={"password": PASSWORD}).status_code == 401
    assert count(User) == users
    assert client.get("/me").status_code == 200


def test_an_erased_users_token_and_session_stop_working(app, api, family):
    browser = member_client(app, family.giver)
    assert browser.get("/dashboard").status_code == 200
    client = api(family.giver)
    assert client.delete("/me", json={"password": PASSWORD}).status_code == 204
    assert client.get("/me").status_code == 401
    assert browser.get("/api/v1/me").status_code == 401
    response = browser.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert count(ApiToken) == 0 and count(UserSession) == 0


def test_erasing_removes_the_account_its_lists_and_memberships(api, family):
    factories.make_gift(family.giver, family.group, title="Dad's wish")
    gone = family.giver.id
    assert api(family.giver).delete("/me", json={"password": PASSWORD}).status_code == 204
    db.session.expire_all()
    assert db.session.get(User, gone) is None
    assert db.session.scalar(select(Piglist).where(Piglist.user_id == gone)) is None
    assert db.session.scalar(select(GroupMember).where(GroupMember.user_id == gone)) is None
    assert db.session.scalar(select(Gift).where(Gift.title == "Dad's wish")) is None
    # Everyone else is as they were.
    assert count(User) == 3 and count(GroupMember) == 3


def test_an_erased_purchasers_gifts_stay_bought_by_a_former_member_and_nothing_flips(app, api, family):
    """Issue 22, finding 6: erasing an account keeps its purchases (as leaving does), not its name."""
    wish = factories.make_gift(family.owner, family.group, title="Kite")
    removed = factories.make_gift(family.owner, family.group, title="Removed after buying")
    dad = api(family.giver)
    dad.post(f"/gifts/{wish.id}/purchase")
    dad.post(f"/gifts/{removed.id}/purchase")
    api(family.owner).delete(f"/gifts/{removed.id}")
    gran, tom = api(family.other), api(family.owner)
    gid = family.group.id
    gran_cursor, tom_cursor = changes(gran, gid)["cursor"], changes(tom, gid)["cursor"]
    toms_gift = tom.get(f"/gifts/{wish.id}").get_data()
    grans_browser = member_client(app, family.other)
    list_page = f"/groups/{gid}/piglists/{family.owner.id}"
    assert "Purchased by Dad" in grans_browser.get(list_page).get_data(as_text=True)  # now cached

    assert dad.delete("/me", json={"password": PASSWORD}).status_code == 204

    # Nobody's page flips to "Available": no event about the gift at all.
    seen = changes(gran, gid, since=gran_cursor, wait=1)
    assert wish.id not in [e.get("gift_id") for e in seen["events"]]
    assert changes(tom, gid, since=tom_cursor, wait=0) == {"cursor": tom_cursor, "events": []}
    view = gran.get(f"/gifts/{wish.id}").get_json()
    assert (view["status"], view["purchased_by"], view["purchased_quantity"]) == ("purchased", None, 1)
    assert view["purchases"][0]["user"] is None
    assert gran.post(f"/gifts/{wish.id}/purchase").get_json()["error"]["code"] == "already_purchased"
    page = grans_browser.get(f"/groups/{gid}/gifts/{wish.id}").get_data(as_text=True)
    assert "Purchased by a former member" in page and "Dad" not in page
    listed = grans_browser.get(list_page).get_data(as_text=True)
    assert "Purchased by a former member" in listed and "Purchased by Dad" not in listed
    assert tom.get(f"/gifts/{wish.id}").get_data() == toms_gift
    db.session.expire_all()
    assert db.session.get(Gift, removed.id).status == "purchased"
    assert db.session.get(Gift, wish.id).purchased_by_id is None


def test_the_erased_persons_own_gifts_vanish_live_from_the_others_pages(api, family):
    wish_id = factories.make_gift(family.giver, family.group, title="Dad's wish").id
    gran = api(family.other)
    cursor = changes(gran, family.group.id)["cursor"]
    api(family.giver).delete("/me", json={"password": PASSWORD})
    events = changes(gran, family.group.id, since=cursor, wait=5)["events"]
    assert ("gift_deleted", wish_id) in [(e["type"], e["gift_id"]) for e in events]


def test_a_last_admins_group_goes_to_its_longest_standing_member(api, family):
    db.session.get(GroupMember, (family.group.id, family.other.id)).joined_at -= timedelta(days=30)
    db.session.get(GroupMember, (family.group.id, family.giver.id)).joined_at -= timedelta(days=10)
    db.session.commit()
    assert api(family.admin).delete("/me", json={"password": PASSWORD}).status_code == 204
    members = api(family.other).get(f"/groups/{family.group.id}").get_json()["members"]
    roles = {m["display_name"]: m["role"] for m in members}
    assert roles == {"Gran": "admin", "Dad": "member", "Tom": "member"}


def test_a_group_keeps_its_other_admins_when_one_admin_is_erased(api, family):
    factories.make_group(family.giver, family.admin, name="Dad's side")
    db.session.get(GroupMember, (family.group.id, family.giver.id)).role = "admin"
    db.session.commit()
    assert api(family.admin).delete("/me", json={"password": PASSWORD}).status_code == 204
    members = api(family.giver).get(f"/groups/{family.group.id}").get_json()["members"]
    assert [m["display_name"] for m in members if m["role"] == "admin"] == ["Dad"]


def test_a_group_with_nobody_else_in_it_is_deleted_with_its_last_admin(api, family):
    alone = factories.make_user(display_name="Hermit")
    solo = factories.make_group(alone, name="Just me")
    factories.make_gift(alone, solo, title="Quiet")
    solo_id = solo.id
    assert api(alone).delete("/me", json={"password": PASSWORD}).status_code == 204
    db.session.expire_all()
    assert db.session.get(Group, solo_id) is None
    assert db.session.get(Group, family.group.id) is not None


# --- erase on the profile page ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        ({"password": "Wrong-Password-1", "confirm": "y"}, "That isn't your current password."),
        ({"password": "", "confirm": "y"}, "Please type your current password."),
        ({"password": PASSWORD}, "Tick the box to confirm"),
    ],
)
def test_deleting_on_the_page_needs_password_and_tick_and_says_why(app, family, data, message):
    browser = member_client(app, family.giver)
    response = post_form(browser, "/profile/delete", data)
    assert response.status_code == 422
    assert message in page_text(response)
    assert db.session.get(User, family.giver.id) is not None
    assert browser.get("/dashboard").status_code == 200


def test_deleting_on_the_page_needs_the_csrf_token(app, family):
    browser = member_client(app, family.giver)
    response = browser.post("/profile/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 400
    assert db.session.get(User, family.giver.id) is not None


def test_deleting_on_the_page_erases_and_logs_out(app, family):
    browser = member_client(app, family.giver)
    dad_id, dad_email = family.giver.id, family.giver.email
    page = page_text(browser.get("/profile"))
    assert 'action="/profile/delete"' in page and "data-turbo-confirm" in page
    response = post_form(browser, "/profile/delete", {"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Your account and everything in it are deleted" in page_text(browser.get("/"))
    db.session.expire_all()
    assert db.session.get(User, dad_id) is None
    login = post_form(browser, "/login", {"email": dad_email, "password": PASSWORD})
    assert login.status_code == 422


def test_erasing_a_partial_buyer_keeps_their_part_without_their_name(api, family):
    wish = factories.make_gift(family.owner, family.group, title="Socks", quantity=3)
    dad, gran = api(family.giver), api(family.other)
    assert dad.post(f"/gifts/{wish.id}/purchase", json={"quantity": 2}).status_code == 200
    assert gran.post(f"/gifts/{wish.id}/purchase").status_code == 200
    owner_before = api(family.owner).get(f"/gifts/{wish.id}").get_data()
    assert dad.delete("/me", json={"password": PASSWORD}).status_code == 204
    seen = gran.get(f"/gifts/{wish.id}").get_json()
    assert (seen["status"], seen["purchased_quantity"]) == ("purchased", 3)
    assert [(p["user"], p["quantity"]) for p in seen["purchases"]] == [
        (None, 2),
        ({"id": family.other.id, "display_name": "Gran"}, 1),
    ]
    assert api(family.owner).get(f"/gifts/{wish.id}").get_data() == owner_before


def test_the_export_lists_gifts_one_bought_part_of(api, family):
    wish = factories.make_gift(family.owner, family.group, title="Socks", quantity=3)
    gran = api(family.other)
    gran.post(f"/gifts/{wish.id}/purchase")
    [bought] = gran.get("/me/export").get_json()["purchases"]
    assert (bought["title"], bought["purchased_quantity"]) == ("Socks", 1)
    assert [p["quantity"] for p in bought["purchases"]] == [1]
