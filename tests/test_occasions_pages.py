"""The occasions' pages: the admins' page (add, edit, delete, errors on the form), who may open it,
the countdowns on the dashboard and group page, the reminders setting on the profile, and tagging
a gift on the add and edit forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from piglist.extensions import db
from piglist.models import Gift, Occasion, today

from . import factories
from .support.clients import member_client, page_text, post_form
from .support.occasions import list_of, make_occasion


def admin_path(family, rest: str = "") -> str:
    return f"/admin/groups/{family.group.id}/occasions{rest}"


def test_an_admin_adds_christmas_and_a_birthday_on_the_page(app, family):
    mum = member_client(app, family.admin)
    christmas = (today() + timedelta(days=30)).isoformat()
    saved = post_form(
        mum, admin_path(family), {"name": "Christmas", "date": christmas, "time_zone": "Europe/London"}
    )
    assert saved.status_code == 302
    tom = list_of(family.group, family.owner)
    birthday = (today() + timedelta(days=5)).isoformat()
    post_form(
        mum, admin_path(family), {"name": "Tom's birthday", "date": birthday, "list_ids": [str(tom.id)]}
    )
    occasions = db.session.scalars(select(Occasion).order_by(Occasion.date)).all()
    assert [(o.name, o.all_lists, o.time_zone) for o in occasions] == [
        ("Tom's birthday", False, "UTC"),
        ("Christmas", True, "Europe/London"),
    ]
    page = page_text(mum.get(admin_path(family)))
    assert "Every list" in page and "1 list" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "date": "IN"}, "Please fill in the name."),
        ({"name": "Christmas", "date": "someday"}, "The date must be a date like"),
        ({"name": "Christmas", "date": "FAR"}, "between a year ago and two years from now"),
        ({"name": "Christmas", "date": "IN", "time_zone": "Narnia"}, "The time zone must be a name like"),
        (
            {"name": "Christmas", "date": "IN", "list_ids": ["999999"]},
            "Every list must be one of this group's",
        ),
        ({"name": "Christmas", "date": "IN", "list_ids": ["x"]}, "The lists must be a list of list ids"),
    ],
)
def test_a_bad_occasion_shows_the_reason_on_the_form_and_saves_nothing(app, family, fields, message):
    dates = {
        "IN": (today() + timedelta(days=3)).isoformat(),
        "FAR": (today() + timedelta(days=900)).isoformat(),
    }
    fields = {k: dates.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    answer = post_form(member_client(app, family.admin), admin_path(family), fields)
    assert answer.status_code in (400, 422)
    if answer.status_code == 422:
        assert message in page_text(answer)
    assert db.session.scalar(select(func.count()).select_from(Occasion)) == 0


def test_an_admin_edits_and_deletes_an_occasion(app, family):
    occasion = make_occasion(family.group, days_from_now=20)
    mum = member_client(app, family.admin)
    edit = admin_path(family, f"/{occasion.id}/edit")
    assert 'value="Christmas"' in mum.get(edit).get_data(as_text=True)
    saved = post_form(mum, edit, {"name": "Xmas", "date": occasion.date.isoformat(), "time_zone": "UTC"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Occasion, occasion.id).name == "Xmas"
    assert post_form(mum, admin_path(family, f"/{occasion.id}/delete")).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Occasion)) == 0


def test_an_occasion_with_a_revealed_list_stays(app, api, family):
    occasion = make_occasion(family.group, days_from_now=-1)
    assert (
        api(family.owner)
        .post(f"/lists/{list_of(family.group, family.owner).id}/reveal", json={"occasion_id": occasion.id})
        .status_code
        == 200
    )
    mum = member_client(app, family.admin)
    answer = post_form(mum, admin_path(family, f"/{occasion.id}/delete"), follow_redirects=True)
    assert "Lists were revealed for this occasion" in page_text(answer)
    assert api(family.admin).delete(f"/occasions/{occasion.id}").status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Occasion)) == 1


def test_members_and_strangers_cant_open_the_admin_page(app, family):
    occasion = make_occasion(family.group, days_from_now=20)
    dad = member_client(app, family.giver)
    stranger = member_client(app, factories.make_user(display_name="Stranger"))
    for path in (admin_path(family), admin_path(family, f"/{occasion.id}/edit")):
        assert dad.get(path).status_code == 403
        assert stranger.get(path).status_code == 404
    assert post_form(dad, admin_path(family, f"/{occasion.id}/delete")).status_code == 403
    assert (
        post_form(dad, admin_path(family), {"name": "Mine", "date": today().isoformat()}).status_code == 403
    )
    other_group = factories.make_group(factories.make_user(display_name="Other admin"), name="Others")
    theirs = make_occasion(other_group, days_from_now=3)
    mum = member_client(app, family.admin)
    assert mum.get(admin_path(family, f"/{theirs.id}/edit")).status_code == 404
    assert post_form(mum, admin_path(family, f"/{theirs.id}/delete")).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Occasion)) == 2


def test_members_see_the_countdown_on_the_dashboard_and_the_group_page(app, family):
    make_occasion(family.group, "Christmas", days_from_now=18)
    make_occasion(family.group, "Tom's birthday", days_from_now=1)
    make_occasion(family.group, "Last year", days_from_now=-30)
    dad = member_client(app, family.giver)
    for path in ("/dashboard", f"/groups/{family.group.id}", f"/groups/{family.group.id}/occasions"):
        page = page_text(dad.get(path))
        assert "Christmas" in page and "in 18 days" in page, path
        assert "Tom's birthday" in page and "tomorrow" in page, path
    assert "Last year" not in page_text(dad.get("/dashboard"))
    assert "No past occasions yet." not in page_text(dad.get(f"/groups/{family.group.id}/occasions"))


def test_the_profile_turns_reminders_off(app, family):
    dad = member_client(app, family.giver)
    assert "Remind me of my groups' occasions" in page_text(dad.get("/profile"))
    assert post_form(dad, "/profile/email", {"purchase_alerts": "y"}).status_code == 302
    db.session.expire_all()
    assert (family.giver.purchase_alerts, family.giver.reminders) == (True, False)
    post_form(dad, "/profile/email", {"purchase_alerts": "y", "reminders": "y"})
    db.session.expire_all()
    assert family.giver.reminders is True


def test_the_owner_tags_a_gift_on_the_form(app, family):
    tom = list_of(family.group, family.owner)
    birthday = make_occasion(family.group, "Tom's birthday", days_from_now=9, lists=[tom])
    make_occasion(
        family.group, "Gran's birthday", days_from_now=9, lists=[list_of(family.group, family.other)]
    )
    owner = member_client(app, family.owner)
    form = page_text(owner.get(f"/groups/{family.group.id}/gifts/add"))
    assert "Tom's birthday" in form and "Gran's birthday" not in form
    saved = post_form(
        owner,
        f"/groups/{family.group.id}/gifts/add",
        {"title": "Kite", "quantity": "1", "occasion_id": str(birthday.id), "priority": "normal"},
    )
    assert saved.status_code == 303, page_text(saved)[:2000]
    gift = db.session.scalar(select(Gift))
    assert gift.occasion_id == birthday.id
    edit_form = owner.get(f"/groups/{family.group.id}/gifts/{gift.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{birthday.id}">', edit_form), edit_form
    # Gran's birthday isn't for Tom's list.
    other = db.session.scalar(select(Occasion).where(Occasion.name == "Gran's birthday"))
    refused = post_form(
        owner,
        f"/groups/{family.group.id}/gifts/add",
        {"title": "Ball", "quantity": "1", "occasion_id": str(other.id), "priority": "normal"},
    )
    assert refused.status_code == 422
    assert "Choose one of this list's occasions" in page_text(refused)


def test_the_gift_form_has_no_occasion_field_without_occasions(app, family):
    owner = member_client(app, family.owner)
    assert 'name="occasion_id"' not in owner.get(f"/groups/{family.group.id}/gifts/add").get_data(
        as_text=True
    )
