"""The lists pages, without JavaScript (forms post and redirect): a parent keeps a child's list as
their own, a couple shares one, relatives add ideas that the list's recipient never sees, and
outsiders find nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift, Piglist

from . import factories
from .support.apps import both_backends
from .support.clients import member_client, page_text, post_form


def lily_list(app, family):
    mum = member_client(app, family.admin)
    response = post_form(mum, f"/groups/{family.group.id}/lists", {"kind": "dependant", "name": "Lily"})
    assert response.status_code == 303
    return mum, response.headers["Location"]


@both_backends  # SQLite too: `make run`'s database, migrated by flask db upgrade
def test_a_parent_keeps_a_childs_list_like_their_own(app, family):
    mum, page = lily_list(app, family)
    assert "Lily's list" in page_text(mum.get(page))
    add = page + "/add"
    assert "Add a gift for Lily" in page_text(mum.get(add))
    saved = post_form(
        mum,
        add,
        {"title": "Rocking horse", "price": "80", "currency": "USD", "priority": "normal", "quantity": "1"},
    )
    assert saved.status_code == 303
    shown = page_text(mum.get(page))
    assert "Rocking horse" in shown and "Edit" in shown
    dad = member_client(app, family.giver)
    assert "Rocking horse" in page_text(dad.get(page))
    gift = db.session.scalar(select(Gift).where(Gift.title == "Rocking horse"))
    assert post_form(dad, f"/groups/{family.group.id}/gifts/{gift.id}/purchase").status_code == 303
    # Mum keeps the list but isn't Lily: she sees the purchase, as a giver would.
    assert "Purchased by Dad" in page_text(mum.get(page))
    # The group page and Mum's dashboard show the list under Lily's name.
    assert "Lily" in page_text(mum.get(f"/groups/{family.group.id}"))
    dashboard = page_text(mum.get("/dashboard"))
    assert "Lists you keep" in dashboard and "Lily" in dashboard


def test_a_grandparent_adds_an_idea_that_dad_never_sees(app, family):
    gid = family.group.id
    gran, dad = member_client(app, family.other), member_client(app, family.giver)
    dads_page = f"/groups/{gid}/piglists/{family.giver.id}"
    before = page_text(dad.get(dads_page))
    assert "Add an idea for Dad" in page_text(gran.get(dads_page))
    form = gran.get(f"/groups/{gid}/piglists/{family.giver.id}/idea")
    assert form.status_code == 302
    add = form.headers["Location"]
    assert "Add an idea for Dad" in page_text(gran.get(add))
    saved = post_form(
        gran,
        add,
        {"title": "Fishing rod", "price": "45", "currency": "USD", "priority": "normal", "quantity": "1"},
    )
    assert saved.status_code == 303
    shown = page_text(gran.get(dads_page))
    assert "Fishing rod" in shown and "Idea from Gran" in shown
    assert "Idea from Gran" in page_text(member_client(app, family.admin).get(dads_page))
    assert page_text(dad.get(dads_page)) == before or "Fishing rod" not in page_text(dad.get(dads_page))
    assert "Fishing rod" not in page_text(dad.get(f"/groups/{gid}/piglists"))


def test_a_recipient_never_gets_an_idea_form_for_their_own_list(app, family):
    tom = member_client(app, family.owner)
    response = tom.get(f"/groups/{family.group.id}/piglists/{family.owner.id}/idea")
    form = page_text(tom.get(response.headers["Location"]))
    assert "Add a gift for Tom" in form and "idea" not in form.lower()
    assert "Add an idea" not in page_text(tom.get(f"/groups/{family.group.id}/piglists/{family.owner.id}"))


@both_backends  # SQLite too: `make run`'s database, migrated by flask db upgrade
def test_a_shared_list_invitation_is_accepted_or_declined_on_the_page(app, family):
    gid = family.group.id
    tom, dad = member_client(app, family.owner), member_client(app, family.giver)
    assert (
        post_form(
            tom, f"/groups/{gid}/lists", {"kind": "shared", "with_user_id": str(family.giver.id)}
        ).status_code
        == 303
    )
    lists = page_text(dad.get(f"/groups/{gid}/lists"))
    assert "Waiting for your answer" in lists and "Tom & Dad" in lists
    shared = db.session.scalar(select(Piglist).where(Piglist.kind == "shared"))
    assert post_form(dad, f"/groups/{gid}/lists/{shared.id}/accept").status_code == 303
    assert "Waiting for your answer" not in page_text(dad.get(f"/groups/{gid}/lists"))
    assert "Your shared list with Tom" in page_text(dad.get(f"/groups/{gid}/lists/{shared.id}"))
    # A second invitation, declined.
    gran = member_client(app, family.other)
    post_form(gran, f"/groups/{gid}/lists", {"kind": "shared", "with_user_id": str(family.admin.id)})
    other = db.session.scalar(select(Piglist).where(Piglist.kind == "shared", Piglist.status == "pending"))
    mum = member_client(app, family.admin)
    assert post_form(mum, f"/groups/{gid}/lists/{other.id}/decline").status_code == 303
    assert gran.get(f"/groups/{gid}/lists/{other.id}").status_code == 404


def test_a_bad_form_shows_its_message_and_changes_nothing(app, family):
    mum = member_client(app, family.admin)
    before = db.session.scalar(select(func.count(Piglist.id)))
    for data in (
        {"kind": "dependant", "name": ""},
        {"kind": "shared", "with_user_id": "abc"},
        {"kind": "nonsense"},
    ):
        response = post_form(mum, f"/groups/{family.group.id}/lists", data, follow_redirects=True)
        assert response.status_code == 200
        assert "flash-error" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Piglist.id))) == before


def test_outsiders_find_no_list_pages(app, family):
    _, page = lily_list(app, family)
    eve = member_client(app, factories.make_user(display_name="Eve"))
    for path in (f"/groups/{family.group.id}/lists", page, page + "/add"):
        assert eve.get(path).status_code == 404
    assert post_form(eve, page + "/delete").status_code == 404


def test_keepers_add_and_remove_keepers_on_the_page(app, family):
    mum, page = lily_list(app, family)
    assert post_form(mum, page + "/managers", {"user_id": str(family.giver.id)}).status_code == 303
    assert "Kept by Mum, Dad" in page_text(mum.get(page)) or "Kept by Dad, Mum" in page_text(mum.get(page))
    assert post_form(mum, page + f"/managers/{family.admin.id}/remove").status_code == 303
    dad = member_client(app, family.giver)
    last = post_form(dad, page + f"/managers/{family.giver.id}/remove", follow_redirects=True)
    assert "at least one keeper" in page_text(last)
