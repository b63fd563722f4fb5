"""Issue 28 on the pages themselves (the browser side is tests/e2e/test_forms_and_flows.py):
forms that keep your work through an error, the release section refreshed with the member table,
the flows a new family meets, one word for the thing on a list, and danger only where it is meant."""

from __future__ import annotations

import io
import re

import pytest

from piglist.extensions import db
from piglist.models import Gift, GroupMember

from . import factories
from .support.clients import PASSWORD, csrf_token, member_client, page_text, post_form, sign_up
from .support.pages import normalised
from .support.pictures import jpeg_bytes
from .support.rows import gift_count


def field_tag(page: str, name: str) -> str:
    match = re.search(rf'<(?:input|select|textarea)[^>]*\bname="{name}"[^>]*>', page)
    assert match, f"no field {name}"
    return match.group(0)


# --- forms keep your work ----------------------------------------------------------------------


def test_a_gift_form_sent_back_keeps_what_was_typed_and_asks_for_the_picture_by_name(app, family):
    tom = member_client(app, family.owner)
    before = gift_count()
    response = tom.post(
        f"/groups/{family.group.id}/gifts/add",
        data={
            "csrf_token": csrf_token(tom),
            "title": "Red bike",
            "price": "lots",
            "priority": "high",
            "description": "The one with a bell",
            "image": (io.BytesIO(jpeg_bytes()), "bike photo.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = page_text(response)
    assert gift_count() == before
    assert 'value="Red bike"' in field_tag(page, "title")
    assert 'value="high" selected' in page or '<option selected value="high">' in page
    assert "The one with a bell</textarea>" in page
    # Fields in error say so to assistive technology, and name their sentences.
    price = field_tag(page, "price")
    assert 'aria-invalid="true"' in price and 'aria-describedby="price-error"' in price
    image = field_tag(page, "image")
    assert 'aria-invalid="true"' in image and "image-error" in image
    assert "Choose “bike photo.jpg” again: a chosen file isn't kept when the form comes back." in page
    assert "aria-invalid" not in field_tag(page, "title")


def test_a_picture_that_was_itself_the_error_gets_its_own_sentence_only(app, family):
    tom = member_client(app, family.owner)
    response = tom.post(
        f"/groups/{family.group.id}/gifts/add",
        data={"csrf_token": csrf_token(tom), "title": "Kite", "image": (io.BytesIO(b"%PDF-1.4"), "kite.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Choose “kite.jpg” again" not in page and 'id="image-error"' in page


def test_a_form_saved_with_a_picture_asks_for_nothing(app, family):
    tom = member_client(app, family.owner)
    response = tom.post(
        f"/groups/{family.group.id}/gifts/add",
        data={
            "csrf_token": csrf_token(tom),
            "title": "Kite",
            "image": (io.BytesIO(jpeg_bytes()), "kite.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303


def test_two_errors_on_one_field_have_an_id_each(app, family):
    from wtforms import Form, StringField

    class One(Form):
        name = StringField("Name")

    form = One()
    form.name.errors = ["First.", "Second."]
    with app.test_request_context():
        html = app.jinja_env.from_string(
            '{% from "macros/forms.html" import field %}{{ field(form.name) }}'
        ).render(form=form)
    assert 'aria-describedby="name-error name-error-2"' in html
    assert html.count('id="name-error"') == 1 and html.count('id="name-error-2"') == 1


# --- the release section, refreshed with the member table ------------------------------------------


def members_frame(app, family):
    """The member table's frame after a removal, as Turbo follows the redirect."""
    client = member_client(app, family.admin)
    return normalised(
        client.get(f"/admin/groups/{family.group.id}/members", headers={"Turbo-Frame": "members"})
    )


def test_removing_a_buyer_brings_the_release_section_in_the_same_frame_answer(app, family):
    book = factories.make_gift(family.giver, family.group, title="Book")
    factories.make_purchase(db.session.get(Gift, book.id), family.other)
    mum = member_client(app, family.admin)
    removed = post_form(mum, f"/admin/groups/{family.group.id}/members/{family.other.id}/remove")
    assert removed.status_code == 302
    frame = page_text(mum.get(removed.headers["Location"], headers={"Turbo-Frame": "members"}))
    stream = frame[frame.index('<turbo-stream action="update" target="former-buyers-slot">') :]
    assert "Purchases by people who have left" in stream and '<th scope="row">Gran</th>' in stream
    assert "Gran is no longer in Smith Family" in frame
    # A page (no frame) has the slot filled in, and no stream.
    page = page_text(mum.get(f"/admin/groups/{family.group.id}/members"))
    assert "<turbo-stream" not in page and '<div id="former-buyers-slot" data-refresh-url=' in page


def test_the_frame_answer_is_the_same_for_mum_whether_the_leaver_bought_from_her_own_list(app, family):
    """The surprise rule: what the stream carries for an admin who keeps a list is counted like the
    page's section, so it can't tell her that her scarf was bought."""
    scarf = factories.make_gift(family.admin, family.group, title="Scarf")
    book = factories.make_gift(family.giver, family.group, title="Book")
    factories.make_purchase(db.session.get(Gift, book.id), family.other)
    db.session.delete(db.session.get(GroupMember, (family.group.id, family.other.id)))
    db.session.commit()
    before = members_frame(app, family)
    assert "former-buyers-slot" in before[2] and "<td>1</td>" in before[2]
    factories.make_purchase(db.session.get(Gift, scarf.id), family.other)
    assert members_frame(app, family) == before


def test_the_frame_answer_without_former_buyers_empties_the_slot(app, family):
    frame = members_frame(app, family)[2]
    assert '<turbo-stream action="update" target="former-buyers-slot"><template>' in frame
    assert "Purchases by people who have left" not in frame


# --- flows ----------------------------------------------------------------------------------------


def test_the_landing_starts_a_family_group_through_sign_up(client):
    page = page_text(client.get("/"))
    assert 'href="/register?next=/groups/new">Start a family group</a>' in page
    form = page_text(client.get("/register?next=/groups/new"))
    assert '<input type="hidden" name="next" value="/groups/new">' in form


def test_signing_up_from_start_a_family_group_lands_on_the_group_form(app, client, mailbox):
    """The ``next`` rides in the mailed sign-up link (piglist.auth.signups, whose own tests check
    that only a local path does)."""
    done = sign_up(app, client, "Carol", "carol@example.org", next_path="/groups/new", mailbox=mailbox)
    assert done.status_code == 302 and done.headers["Location"] == "/groups/new"
    assert "Start a group" in page_text(client.get("/groups/new"))
    # Already signed up: the same link goes straight to the form.
    assert client.get("/register?next=/groups/new").headers["Location"] == "/groups/new"


def test_a_logged_in_visitor_is_never_sent_off_the_site_by_register(app, family):
    mum = member_client(app, family.admin)
    for target in ("https://evil.example/groups/new", "//evil.example/", "/\\evil.example"):
        assert mum.get("/register", query_string={"next": target}).headers["Location"] == "/dashboard"


def test_the_only_admin_is_told_why_there_is_no_leave(app, family):
    page = page_text(member_client(app, family.admin).get(f"/groups/{family.group.id}"))
    assert "You're the only admin of Smith Family: to leave it, make someone else admin first." in page
    assert "Leave the group" not in page
    other = page_text(member_client(app, family.giver).get(f"/groups/{family.group.id}"))
    assert "Leave the group" in other and "only admin" not in other


def test_two_admins_are_each_offered_step_down_and_leave(app, family):
    membership = db.session.get(GroupMember, (family.group.id, family.giver.id))
    membership.role = "admin"
    db.session.commit()
    page = page_text(member_client(app, family.admin).get(f"/admin/groups/{family.group.id}/members"))
    assert "Step down as admin" in page and "only admin" not in page


def test_the_erase_form_lets_the_browser_check_its_tick_first(app, family):
    page = page_text(member_client(app, family.giver).get("/profile"))
    form = page[page.index("<form", page.index('id="delete-account"')) :]
    form = form[: form.index("</form>")]
    assert "novalidate" not in form.split(">")[0]
    assert " required" in field_tag(form, "confirm") and " required" in field_tag(form, "password")


def test_erasing_without_the_tick_still_changes_nothing(app, family):
    giver = member_client(app, family.giver)
    response = post_form(giver, "/profile/delete", {"password": PASSWORD})
    assert response.status_code == 422
    assert "Tick the box to confirm" in page_text(response)
    assert db.session.get(GroupMember, (family.group.id, family.giver.id)) is not None


# --- words and looks ------------------------------------------------------------------------------


def test_danger_only_on_what_cannot_be_undone(app, family):
    page = page_text(member_client(app, family.admin).get("/profile"))
    assert re.search(r'class="button button-secondary">Log out everywhere<', page)
    assert re.search(
        r'class="button button-danger"[^>]*value="Delete my account"|value="Delete my account"[^>]*class="button button-danger"',
        page,
    )
    settings = page_text(member_client(app, family.admin).get(f"/admin/groups/{family.group.id}/"))
    assert re.search(
        r'button-danger[^>]*value="Delete this group"|value="Delete this group"[^>]*button-danger', settings
    )


def test_the_stats_do_not_read_as_if_you_bought_everything(app, family):
    page = page_text(member_client(app, family.giver).get(f"/groups/{family.group.id}/stats"))
    assert "Already bought, by anyone" in page and "Of those, bought by you" in page
    assert "Wishes" not in page


@pytest.mark.parametrize(
    "path", ["/groups/{gid}/piglists", "/groups/{gid}/my-piglist", "/groups/{gid}/piglists/{uid}"]
)
def test_one_word_for_the_thing_on_a_list(app, family, path):
    factories.make_gift(family.owner, family.group, title="Kite")
    page = page_text(
        member_client(app, family.owner).get(path.format(gid=family.group.id, uid=family.giver.id))
    )
    assert not re.search(r"\bwish(es)?\b", re.sub(r"<[^>]*>", " ", page), re.I), "a page says wish"
    assert (
        '<a class="skip-link" href="#lists" data-turbo="false">' in page
        and '<div id="lists" class="lists" tabindex="-1">' in page
    )


def test_the_gift_page_keeps_no_room_for_nobody_looking_and_puts_the_line_last(app, family):
    gift = factories.make_gift(family.owner, family.group, title="Kite")
    page = page_text(member_client(app, family.giver).get(f"/groups/{family.group.id}/gifts/{gift.id}"))
    status = page[page.index('<div class="gift-status">') :]
    assert status.index("Mark as purchased") < status.index(f'id="presence_{gift.id}"')
