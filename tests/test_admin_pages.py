"""The group admin pages: settings, the lock, the invite link, members and categories."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Category, Gift, Group, GroupMember, Piglist, today
from piglist.rules.lock import is_frozen

from . import factories
from .support.apps import both_backends
from .support.clients import page_text as text
from .support.clients import post
from .support.rows import is_member


@pytest.fixture
def admin(client, auth, family):
    """Mum, the family's admin, logged in."""
    auth.login_as(family.admin)
    return family


def admin_url(family, rest: str = "") -> str:
    return f"/admin/groups/{family.group.id}/{rest}"


def fresh(group: Group) -> Group:
    db.session.expire_all()
    return db.session.get(Group, group.id)


def role_of(family, user) -> str | None:
    member = db.session.get(GroupMember, (family.group.id, user.id))
    return member.role if member else None


def categories(family) -> list[tuple]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(Category.name, Category.spending_limit, Category.max_item_price)
            .where(Category.group_id == family.group.id)
            .order_by(Category.display_order, Category.id)
        )
    )


# --- settings --------------------------------------------------------------------------------------------


def test_settings_page_shows_the_group_its_admin_nav_and_the_invite_link(client, admin):
    admin.group.lock_date = date(2026, 12, 20)
    db.session.commit()
    page = text(client.get(admin_url(admin)))
    assert re.search(r'name="name"[^>]*value="Smith Family"', page)
    assert re.search(r'name="currency"[^>]*value="USD"', page)
    assert re.search(r'type="date"[^>]*value="2026-12-20"', page)
    assert '<a href="/admin/groups/1/" aria-current="page">Settings</a>' in page
    assert '<a href="/admin/groups/1/members">Members</a>' in page
    assert '<a href="/admin/groups/1/categories">Categories</a>' in page
    assert f'value="http://localhost/join/{admin.group.invite_code}?from=' in page


@both_backends
def test_saving_the_settings(client, admin):
    response = post(client, admin_url(admin), name="The Smiths", currency="gbp", lock_date="2026-12-24")
    assert response.status_code == 302
    group = fresh(admin.group)
    assert (group.name, group.currency, group.lock_date) == ("The Smiths", "GBP", date(2026, 12, 24))
    assert "Settings saved." in text(client.get(response.headers["Location"]))


def test_an_empty_lock_date_removes_it(client, admin):
    admin.group.lock_date = date(2026, 12, 20)
    db.session.commit()
    post(client, admin_url(admin), name="Smith Family", currency="USD", lock_date="")
    assert fresh(admin.group).lock_date is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Please fill in the name."),
        ({"name": "x" * 300}, "The name can be at most 100 characters long."),
        ({"currency": "EURO"}, "'EURO' is not the ISO 4217 code of a currency in use, such as USD or EUR."),
        ({"currency": "XXY"}, "'XXY' is not the ISO 4217 code of a currency in use, such as USD or EUR."),
        ({"lock_date": "20/12/2026"}, "The lock date must be a date like 2026-12-20."),
        ({"lock_date": "soon"}, "The lock date must be a date like 2026-12-20."),
    ],
)
def test_bad_settings_say_why_and_change_nothing(client, admin, fields, message):
    before = admin.group.to_dict()
    data = {"name": "The Smiths", "currency": "EUR", "lock_date": "2026-12-24", **fields}
    response = post(client, admin_url(admin), **data)
    assert response.status_code == 422
    assert message in text(response)
    assert fresh(admin.group).to_dict() == before


# --- the lock ---------------------------------------------------------------------------------------------


def test_locking_by_hand_freezes_the_categories_with_a_clear_message(client, admin):
    response = post(client, admin_url(admin, "lock"), action="lock")
    assert response.headers["Location"] == admin_url(admin) + "#lock"
    assert fresh(admin.group).is_locked
    page = text(client.get(admin_url(admin)))
    assert "Locked by an admin" in page
    assert "Unlock now" in page

    refused = post(client, admin_url(admin, "categories"), name="Books")
    assert refused.status_code == 422
    assert "The categories of Smith Family are locked; an admin can unlock them." in text(refused)
    assert categories(admin) == []
    assert "The categories can't change while the group is locked." in text(
        client.get(admin_url(admin, "categories"))
    )


def test_unlocking_by_hand(client, admin):
    admin.group.is_locked = True
    db.session.commit()
    post(client, admin_url(admin, "lock"), action="unlock")
    group = fresh(admin.group)
    assert not group.is_locked and not is_frozen(group)
    assert "Everyone can change their lists again." in text(client.get(admin_url(admin)))


def test_the_lock_date_locks_the_day_after(client, admin):
    admin.group.lock_date = today()
    db.session.commit()
    assert post(client, admin_url(admin, "categories"), name="Books").status_code == 302
    admin.group.lock_date = today() - timedelta(days=1)
    db.session.commit()
    refused = post(client, admin_url(admin, "categories"), name="Games")
    assert refused.status_code == 422
    assert "are locked" in text(refused)
    assert [name for name, *_ in categories(admin)] == ["Books"]
    page = text(client.get(admin_url(admin)))
    assert "Locked: the lock date passed" in page
    assert "the lock date" in page and "has passed" in page


def test_unlocking_after_the_lock_date_clears_the_date(client, admin):
    passed = today() - timedelta(days=3)
    admin.group.lock_date = passed
    db.session.commit()
    response = post(client, admin_url(admin, "lock"), action="unlock")
    group = fresh(admin.group)
    assert (group.is_locked, group.lock_date, is_frozen(group)) == (False, None, False)
    assert f"The lock date ({passed.day} {passed:%b %Y}) had passed, so it is cleared" in text(
        client.get(response.headers["Location"])
    )


def test_a_lock_action_must_be_lock_or_unlock(client, admin):
    assert post(client, admin_url(admin, "lock"), action="maybe").status_code == 400
    assert not fresh(admin.group).is_locked


# --- the invite link ----------------------------------------------------------------------------------------


def test_a_new_invite_link_kills_the_old_one_at_once(client, auth, admin):
    old = admin.group.invite_code
    response = post(client, admin_url(admin, "invite"))
    assert response.headers["Location"] == admin_url(admin) + "#invite"
    new = fresh(admin.group).invite_code
    assert new != old
    page = text(client.get(admin_url(admin)))
    assert "The old one no longer works." in page
    assert f"/join/{new}" in page and f"/join/{old}" not in page

    auth.logout()
    newcomer = factories.make_user()
    auth.login_as(newcomer)
    assert client.get(f"/join/{old}").status_code == 404
    assert post(client, f"/join/{old}").status_code == 404
    assert post(client, "/join", code=old).status_code == 422
    assert not is_member(admin.group, newcomer)
    assert post(client, f"/join/{new}").status_code == 302
    assert is_member(admin.group, newcomer)


def test_making_a_new_link_asks_first_when_javascript_is_on(client, admin):
    page = text(client.get(admin_url(admin)))
    assert 'data-turbo-confirm="Make a new invite link? The current one stops working at once."' in page


# --- members ----------------------------------------------------------------------------------------------


def test_members_page_lists_everyone_with_roles_in_a_frame(client, admin):
    page = text(client.get(admin_url(admin, "members")))
    assert '<turbo-frame id="members">' in page
    for name in ("Mum", "Tom", "Dad", "Gran"):
        assert name in page
    assert re.search(r"Mum <span class=\"you-marker\">\(you\)</span>", page)
    # Mum is the only admin: she is told why she can't step down or leave, not offered it.
    assert "Step down as admin" not in page and ">Leave<" not in page
    assert "You're the only admin: make someone else admin first to step down or leave." in page
    assert page.count("Make admin") == 3


def test_promote_and_demote(client, admin):
    url = admin_url(admin, f"members/{admin.giver.id}/role")
    response = post(client, url, role="admin")
    assert response.headers["Location"] == admin_url(admin, "members")
    assert role_of(admin, admin.giver) == "admin"
    assert "Dad is now an admin." in text(client.get(response.headers["Location"]))
    post(client, url, role="member")
    assert role_of(admin, admin.giver) == "member"


def test_a_role_must_be_admin_or_member(client, admin):
    response = post(client, admin_url(admin, f"members/{admin.giver.id}/role"), role="owner")
    assert "The role must be &#39;admin&#39; or &#39;member&#39;." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)
    assert role_of(admin, admin.giver) == "member"


def test_the_last_admin_cannot_step_down(client, admin):
    response = post(client, admin_url(admin, f"members/{admin.admin.id}/role"), role="member")
    assert response.headers["Location"] == admin_url(admin, "members")
    assert "A group needs at least one admin: make someone else an admin first." in text(
        client.get(response.headers["Location"])
    )
    assert role_of(admin, admin.admin) == "admin"


def test_the_last_admin_cannot_be_removed_or_leave(client, admin):
    response = post(client, admin_url(admin, f"members/{admin.admin.id}/remove"))
    assert "The last admin can't leave" in text(client.get(response.headers["Location"]))
    assert role_of(admin, admin.admin) == "admin"


def test_an_admin_who_steps_down_lands_on_the_overview(client, admin):
    db.session.get(GroupMember, (admin.group.id, admin.giver.id)).role = "admin"
    db.session.commit()
    response = post(client, admin_url(admin, f"members/{admin.admin.id}/role"), role="member")
    assert response.headers["Location"] == f"/groups/{admin.group.id}"
    assert "You're no longer an admin of Smith Family." in text(client.get(response.headers["Location"]))
    assert client.get(admin_url(admin, "members")).status_code == 403


def test_removing_a_member_deletes_their_piglist(client, admin):
    factories.make_gift(admin.other, admin.group, price=5)
    response = post(client, admin_url(admin, f"members/{admin.other.id}/remove"))
    assert response.headers["Location"] == admin_url(admin, "members")
    assert "Gran is no longer in Smith Family" in text(client.get(response.headers["Location"]))
    assert role_of(admin, admin.other) is None
    assert db.session.scalar(select(func.count(Piglist.id)).where(Piglist.user_id == admin.other.id)) == 0
    assert db.session.scalar(select(func.count(Gift.id))) == 0


def test_an_admin_can_leave_when_another_admin_stays(client, admin):
    db.session.get(GroupMember, (admin.group.id, admin.giver.id)).role = "admin"
    db.session.commit()
    response = post(client, admin_url(admin, f"members/{admin.admin.id}/remove"))
    assert response.headers["Location"] == "/dashboard"
    assert not is_member(admin.group, admin.admin)


def test_removing_someone_not_in_the_group_says_so(client, admin):
    stranger = factories.make_user()
    response = post(client, admin_url(admin, f"members/{stranger.id}/remove"))
    assert "That person is not a member of this group." in text(client.get(response.headers["Location"]))


def test_own_row_buttons_leave_the_frame_and_removals_ask_first(client, admin):
    post(client, admin_url(admin, f"members/{admin.giver.id}/role"), role="admin")  # Mum isn't the only one
    page = text(client.get(admin_url(admin, "members")))
    own_row = page[page.index('id="member-1"') : page.index("</tr>", page.index('id="member-1"'))]
    assert own_row.count('data-turbo-frame="_top"') == 2
    assert (
        'data-turbo-confirm="Remove Gran from Smith Family? Their piglist in this group will be deleted."'
        in page
    )


def test_messages_of_a_frame_request_show_inside_the_frame(client, admin):
    post(client, admin_url(admin, f"members/{admin.giver.id}/role"), role="admin")
    page = text(client.get(admin_url(admin, "members"), headers={"Turbo-Frame": "members"}))
    frame = page[page.index('<turbo-frame id="members">') :]
    assert "Dad is now an admin." in frame


# --- categories -------------------------------------------------------------------------------------------


def test_categories_page_starts_empty_with_the_add_form_in_a_frame(client, admin):
    page = text(client.get(admin_url(admin, "categories")))
    assert '<turbo-frame id="categories">' in page
    assert "No categories yet — add one below." in page
    assert 'inputmode="decimal"' in page
    assert 'aria-current="page">Categories</a>' in page


@both_backends
def test_adding_a_category_with_limits(client, admin):
    response = post(
        client,
        admin_url(admin, "categories"),
        name="From Parents",
        spending_limit="150",
        max_item_price="59.99",
    )
    assert response.headers["Location"] == admin_url(admin, "categories")
    assert categories(admin) == [("From Parents", Decimal("150.00"), Decimal("59.99"))]
    page = text(client.get(response.headers["Location"]))
    assert "Added From Parents." in page
    assert "$150" in page and "$59.99" in page


def test_limits_may_be_left_empty(client, admin):
    post(client, admin_url(admin, "categories"), name="Stocking", spending_limit="", max_item_price=" ")
    assert categories(admin) == [("Stocking", None, None)]
    assert "No limit" in text(client.get(admin_url(admin, "categories")))


BAD_CATEGORIES = [
    ({"name": ""}, "Please fill in the name."),
    ({"name": "x" * 300}, "The name can be at most 100 characters long."),
    ({"spending_limit": "-1"}, "The spending limit can't be negative."),
    ({"spending_limit": "10.9999"}, "The spending limit can have at most two decimals."),
    (
        {"spending_limit": "10.999"},
        "“10.999” could be read two ways. Write the spending limit as an amount such as 1,234.50.",
    ),
    ({"spending_limit": "lots"}, "Write the spending limit as an amount such as 1,234.50."),
    ({"max_item_price": "-0.01"}, "The max item price can't be negative."),
    ({"max_item_price": "1.0051"}, "The max item price can have at most two decimals."),
    ({"max_item_price": "1000000"}, "The max item price can be at most 999,999.99."),
]


@pytest.mark.parametrize(("fields", "message"), BAD_CATEGORIES)
def test_adding_a_bad_category_says_why_and_adds_nothing(client, admin, fields, message):
    response = post(client, admin_url(admin, "categories"), **{"name": "Books", **fields})
    assert response.status_code == 422
    assert message in text(response)
    assert categories(admin) == []


def test_a_category_name_is_unique_in_its_group(client, admin):
    factories.make_category(admin.group, "Books")
    response = post(client, admin_url(admin, "categories"), name="books")
    assert response.status_code == 422
    assert "There is already a category called 'books'." in text(response)
    assert len(categories(admin)) == 1


def test_editing_a_category_shows_its_row_as_a_form(client, admin):
    category = factories.make_category(admin.group, "Books", spending_limit=Decimal("40"))
    factories.make_category(admin.group, "Games", display_order=1)
    page = text(client.get(admin_url(admin, f"categories/{category.id}/edit")))
    assert '<turbo-frame id="categories">' in page
    inputs = re.findall(r"<input [^>]*>", page)
    row = [tag for tag in inputs if 'form="edit-category"' in tag]
    assert [re.search(r'name="([^"]+)"', tag).group(1) for tag in row] == [
        "name",
        "spending_limit",
        "max_item_price",
    ]
    assert 'value="Books"' in row[0] and "autofocus" in row[0]
    assert 'value="40.00"' in row[1]
    assert f'action="/admin/groups/{admin.group.id}/categories/{category.id}/edit"' in page
    assert "Games" in page
    assert "Add a category" not in page


@both_backends
def test_saving_an_edited_category(client, admin):
    category = factories.make_category(admin.group, "Books", spending_limit=Decimal("40"))
    url = admin_url(admin, f"categories/{category.id}/edit")
    response = post(client, url, name="Stories", spending_limit="", max_item_price="20.50")
    assert response.headers["Location"] == admin_url(admin, "categories")
    assert categories(admin) == [("Stories", None, Decimal("20.50"))]
    assert "Saved Stories." in text(client.get(response.headers["Location"]))


@pytest.mark.parametrize(("fields", "message"), BAD_CATEGORIES)
def test_a_bad_edit_says_why_in_the_row_and_changes_nothing(client, admin, fields, message):
    category = factories.make_category(admin.group, "Books", spending_limit=Decimal("40"))
    url = admin_url(admin, f"categories/{category.id}/edit")
    response = post(client, url, **{"name": "Stories", "spending_limit": "30", **fields})
    assert response.status_code == 422
    assert message in text(response)
    assert categories(admin) == [("Books", Decimal("40.00"), None)]


def test_a_limit_cannot_drop_below_what_a_list_already_holds(client, admin):
    category = factories.make_category(admin.group, "Books")
    factories.make_gift(admin.owner, admin.group, price=30, category=category)
    response = post(
        client, admin_url(admin, f"categories/{category.id}/edit"), name="Books", spending_limit="20"
    )
    assert response.status_code == 422
    assert "Tom's list holds $30 in Books; the spending limit can't go below that." in text(response)
    assert categories(admin) == [("Books", None, None)]


def test_editing_is_refused_while_locked(client, admin):
    category = factories.make_category(admin.group, "Books")
    admin.group.is_locked = True
    db.session.commit()
    response = post(client, admin_url(admin, f"categories/{category.id}/edit"), name="Stories")
    assert response.status_code == 422
    assert "The categories of Smith Family are locked" in text(response)
    assert categories(admin) == [("Books", None, None)]


def test_an_unknown_category_is_404(client, admin):
    other_group = factories.make_group(admin.admin, name="Book Club")
    elsewhere = factories.make_category(other_group, "Elsewhere")
    assert client.get(admin_url(admin, f"categories/{elsewhere.id}/edit")).status_code == 404
    assert client.get(admin_url(admin, "categories/999/edit")).status_code == 404


def test_moving_categories_up_and_down(client, admin):
    for n, name in enumerate(["Books", "Games", "Music"]):
        factories.make_category(admin.group, name, display_order=n)
    music = db.session.scalar(select(Category.id).where(Category.name == "Music"))
    books = db.session.scalar(select(Category.id).where(Category.name == "Books"))
    response = post(client, admin_url(admin, f"categories/{music}/move"), direction="up")
    assert response.headers["Location"] == admin_url(admin, "categories")
    assert [name for name, *_ in categories(admin)] == ["Books", "Music", "Games"]
    post(client, admin_url(admin, f"categories/{books}/move"), direction="down")
    assert [name for name, *_ in categories(admin)] == ["Music", "Books", "Games"]
    post(client, admin_url(admin, f"categories/{music}/move"), direction="up")  # already first
    assert [name for name, *_ in categories(admin)] == ["Music", "Books", "Games"]
    page = text(client.get(admin_url(admin, "categories")))
    assert page.index("Music") < page.index("Books") < page.index("Games")


def test_moving_needs_up_or_down(client, admin):
    books = factories.make_category(admin.group, "Books")
    response = post(client, admin_url(admin, f"categories/{books.id}/move"), direction="sideways")
    assert "Move a category &#39;up&#39; or &#39;down&#39;." in client.get(
        response.headers["Location"]
    ).get_data(as_text=True)


def test_deleting_a_category_leaves_its_gifts_uncategorised(client, admin):
    books = factories.make_category(admin.group, "Books")
    gift = factories.make_gift(admin.owner, admin.group, price=10, category=books)
    gift_id = gift.id
    page = text(client.get(admin_url(admin, "categories")))
    assert 'data-turbo-confirm="Delete Books? Its gifts stay on the lists, without a category."' in page
    response = post(client, admin_url(admin, f"categories/{books.id}/delete"))
    assert "Deleted Books." in text(client.get(response.headers["Location"]))
    assert categories(admin) == []
    db.session.expire_all()
    assert db.session.get(Gift, gift_id).category_id is None


def test_locked_categories_show_no_buttons_and_refuse_stale_posts(client, admin):
    books = factories.make_category(admin.group, "Books")
    admin.group.lock_date = today() - timedelta(days=1)
    db.session.commit()
    page = text(client.get(admin_url(admin, "categories")))
    assert "Add a category" not in page
    assert f"categories/{books.id}/delete" not in page
    for action, data in [("delete", {}), ("move", {"direction": "down"})]:
        response = post(client, admin_url(admin, f"categories/{books.id}/{action}"), **data)
        assert "are locked; an admin can unlock them." in text(client.get(response.headers["Location"]))
    assert categories(admin) == [("Books", None, None)]
