"""Issue 28, the rest of "the release section appears live": every admin on the Members page (the
one who removed someone, in another tab, or another admin) has "Purchases by people who have left"
brought up to date without a reload, when someone leaves or is removed, joins again, or has their
purchases released — each admin's section rendered for them, as the surprise rule counts it for
them (Mum keeps a list: what Gran bought on it is never counted on her page, nor in her stream).
Members get nothing of it. The browser side is tests/e2e/test_release_live.py."""

from __future__ import annotations

import json

import requests

from piglist.extensions import db
from piglist.models import Gift, Group, GroupMember, User

from . import factories
from .support.apps import both_backends
from .support.clients import cursor_of, member_client, post_form
from .support.pages import VOLATILE
from .support.sites import live_socket, receive_until, site_family, site_login

SLOT_STREAM = '<turbo-stream action="update" target="former-buyers-slot">'


def events_after(client, group_id: int, cursor: str) -> list[dict]:
    response = client.get(f"/groups/{group_id}/changes?since={cursor}&wait=0")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["events"]


def without_volatile(text: str) -> str:
    for pattern, blank in VOLATILE:
        text = pattern.sub(blank, text)
    return text


def slot_stream(text: str) -> str:
    """The Turbo Stream that fills the release section, from a socket message or a frame answer."""
    start = text.index(SLOT_STREAM)
    return without_volatile(text[start : text.index("</turbo-stream>", start) + len("</turbo-stream>")])


def second_admin_and_purchases(family) -> dict[str, int]:
    """Dad is an admin too; Gran bought a scarf on Mum's own list and a book on Tom's."""
    db.session.get(GroupMember, (family.group.id, family.giver.id)).role = "admin"
    scarf = factories.make_gift(family.admin, family.group, title="Scarf")
    book = factories.make_gift(family.owner, family.group, title="Book")
    gran = db.session.get(User, family.other.id)
    factories.make_purchase(db.session.get(Gift, scarf.id), gran)
    factories.make_purchase(db.session.get(Gift, book.id), gran)
    db.session.commit()
    return {"scarf": scarf.id, "book": book.id}


# --- the feed: each admin alone is told ----------------------------------------------------------


@both_backends
def test_a_removal_a_release_and_a_return_reach_each_admin_and_no_member(app, api, family):
    second_admin_and_purchases(family)
    gid = family.group.id
    mum, tom, dad = family.admin, family.owner, family.giver
    clients = {user.display_name: api(user) for user in (mum, tom, dad)}
    cursors = {name: cursor_of(client, gid) for name, client in clients.items()}
    told = {"type": "former_buyers_changed", "group_id": gid}

    assert clients["Mum"].delete(f"/groups/{gid}/members/{family.other.id}").status_code == 204
    for name in ("Mum", "Dad"):
        assert told in events_after(clients[name], gid, cursors[name])
    # Nothing for Tom, whose feed doesn't even move (Gran's list was empty).
    answer = clients["Tom"].get(f"/groups/{gid}/changes?since={cursors['Tom']}&wait=0").get_json()
    assert answer == {"cursor": cursors["Tom"], "events": []}

    cursors = {name: cursor_of(client, gid) for name, client in clients.items()}
    released = clients["Dad"].delete(f"/groups/{gid}/purchases/{family.other.id}")
    assert released.status_code == 200 and released.get_json() == {"released": 2}
    for name in ("Mum", "Dad"):
        assert told in events_after(clients[name], gid, cursors[name])
    assert all(
        e["type"] != "former_buyers_changed" for e in events_after(clients["Tom"], gid, cursors["Tom"])
    )

    # Gran joins again: her purchases are hers to undo again, and the admins are told.
    cursors = {name: cursor_of(client, gid) for name, client in clients.items()}
    joined = api(family.other).post("/groups/join", json={"invite_code": family.group.invite_code})
    assert joined.status_code in (200, 201)
    for name in ("Mum", "Dad"):
        assert told in events_after(clients[name], gid, cursors[name])
    assert events_after(clients["Tom"], gid, cursors["Tom"]) == []


@both_backends
def test_a_release_of_purchases_only_on_an_admins_own_list_tells_that_admin_nothing(app, api, family):
    """Gran bought only on Mum's list and was removed. Dad releases: Mum, an admin who keeps that
    list, must learn nothing from her feed — no "what is left to release changed" either, which
    would tell her something on her own list had been bought (the section she sees stays empty)."""
    db.session.get(GroupMember, (family.group.id, family.giver.id)).role = "admin"
    scarf = factories.make_gift(family.admin, family.group, title="Scarf")
    factories.make_purchase(db.session.get(Gift, scarf.id), db.session.get(User, family.other.id))
    db.session.commit()
    gid = family.group.id
    mum, dad = api(family.admin), api(family.giver)
    assert dad.delete(f"/groups/{gid}/members/{family.other.id}").status_code == 204
    cursors = {"Mum": cursor_of(mum, gid), "Dad": cursor_of(dad, gid)}
    released = dad.delete(f"/groups/{gid}/purchases/{family.other.id}")
    assert released.status_code == 200 and released.get_json() == {"released": 1}
    told = {"type": "former_buyers_changed", "group_id": gid}
    assert told in events_after(dad, gid, cursors["Dad"])
    answer = mum.get(f"/groups/{gid}/changes?since={cursors['Mum']}&wait=0").get_json()
    assert answer == {"cursor": cursors["Mum"], "events": []}


@both_backends
def test_a_refused_removal_or_release_tells_nobody(app, api, family):
    """Hostile: Tom (a member) tries to remove Gran and to release purchases; nothing changes and
    no admin's feed moves."""
    second_admin_and_purchases(family)
    gid = family.group.id
    mum = api(family.admin)
    before = cursor_of(mum, gid)
    tom = api(family.owner)
    refused = tom.delete(f"/groups/{gid}/members/{family.other.id}")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"]
    refused = tom.delete(f"/groups/{gid}/purchases/{family.other.id}")
    assert refused.status_code in (403, 404) and refused.get_json()["error"]["code"]
    # Releasing someone still in the group is refused too, and tells no one.
    refused = mum.delete(f"/groups/{gid}/purchases/{family.other.id}")
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "user_id"
    assert events_after(mum, gid, before) == []
    assert db.session.get(GroupMember, (gid, family.other.id)) is not None


def test_a_member_has_no_members_page_to_follow(app, family):
    """Hostile: the Members page (where the live section is) is the admins' alone."""
    tom = member_client(app, family.owner)
    answer = tom.get(f"/admin/groups/{family.group.id}/members")
    assert answer.status_code in (403, 404)
    assert "former-buyers" not in answer.get_data(as_text=True)


def test_the_members_page_follows_its_group_live(app, family):
    page = member_client(app, family.admin).get(f"/admin/groups/{family.group.id}/members")
    text = page.get_data(as_text=True)
    assert f'data-live-group="{family.group.id}"' in text and f'/ws/groups/{family.group.id}"' in text
    assert f'<div id="former-buyers-slot" data-refresh-url="/admin/groups/{family.group.id}/members">' in text


def test_the_stream_is_rendered_for_each_admin_and_for_nobody_else(app, family):
    """The rendering the sockets send (piglist.live.streams.former_buyers), as each person:
    byte for byte the stream their own Members frame carries, and nothing for a member or for an
    admin who stepped down."""
    from flask import g

    from piglist.live import streams

    second_admin_and_purchases(family)
    gid = family.group.id
    mum_client = member_client(app, family.admin)
    assert post_form(mum_client, f"/admin/groups/{gid}/members/{family.other.id}/remove").status_code == 302

    def rendered_for(user_id: int) -> str:
        with app.test_request_context("/ws/groups/1"):
            g._login_user = db.session.get(User, user_id)
            return streams.former_buyers(gid)

    for user in (family.admin, family.giver):
        frame = member_client(app, user).get(
            f"/admin/groups/{gid}/members", headers={"Turbo-Frame": "members"}
        )
        assert slot_stream(rendered_for(user.id)) == slot_stream(frame.get_data(as_text=True))
    assert "<td>1</td>" in rendered_for(family.admin.id)  # the book; never the scarf on her list
    assert "<td>2</td>" in rendered_for(family.giver.id)
    assert rendered_for(family.owner.id) == ""
    db.session.get(GroupMember, (gid, family.giver.id)).role = "member"
    db.session.commit()
    assert rendered_for(family.giver.id) == ""


# --- real sockets on the Procfile's site ------------------------------------------------------------


def test_two_admins_sockets_each_receive_their_own_section_and_a_member_nothing(procfile_site):
    site = procfile_site
    family = site_family(site)
    gid = family.group_id
    with site.app().app_context():
        db.session.get(GroupMember, (gid, family.ids["giver"])).role = "admin"
        group = db.session.get(Group, gid)
        scarf = factories.make_gift(db.session.get(User, family.ids["admin"]), group, title="Scarf")
        book = factories.make_gift(db.session.get(User, family.ids["owner"]), group, title="Book")
        gran = db.session.get(User, family.ids["other"])
        factories.make_purchase(scarf, gran)
        factories.make_purchase(book, gran)
        scarf_id = scarf.id
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    mum_ws = live_socket(site, gid, family.tokens["admin"])
    dad_ws = live_socket(site, gid, family.tokens["giver"])
    tom_ws = live_socket(site, gid, family.tokens["owner"])
    tom_json = live_socket(site, gid, family.tokens["owner"], format="json")

    removed = requests.delete(
        f"{site.url}/api/v1/groups/{gid}/members/{family.ids['other']}",
        headers={"Authorization": f"Bearer {family.tokens['admin']}"},
        timeout=30,
    )
    assert removed.status_code == 204
    got = {}
    for who, ws, email in (("admin", mum_ws, "admin"), ("giver", dad_ws, "giver")):
        message = receive_until(ws, lambda m: SLOT_STREAM in m)[-1]
        # What their page shows after a reload: the same stream the Members frame carries.
        session = site_login(site, family.emails[email])
        frame = session.get(
            f"{site.url}/admin/groups/{gid}/members", headers={"Turbo-Frame": "members"}, timeout=30
        )
        assert slot_stream(message) == slot_stream(frame.text)
        page = without_volatile(session.get(f"{site.url}/admin/groups/{gid}/members", timeout=30).text)
        inner = slot_stream(message)[
            len(SLOT_STREAM) + len("<template>") : -len("</template></turbo-stream>")
        ]
        assert inner in page
        got[who] = message
    assert "<td>1</td>" in got["admin"] and "<td>2</td>" in got["giver"]
    assert "Gran" in got["admin"]

    # Tom hears of someone looking at the scarf, published after the removal: whatever came before
    # it reached him already, and none of it is about purchases by people who have left.
    dad_ws.send(json.dumps({"type": "view", "gift_id": scarf_id}))
    for ws, mark in ((tom_ws, f'target="gift_{scarf_id}"'), (tom_json, f'"gift_id":{scarf_id}')):
        messages = receive_until(ws, lambda m, mark=mark: mark in m)
        assert not any("former-buyers" in m or "former_buyers" in m for m in messages), messages
    for ws in (mum_ws, dad_ws, tom_ws, tom_json):
        ws.close()
