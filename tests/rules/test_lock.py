"""The lock: a frozen group refuses the owners' changes and the admins' category changes, and
still lets people buy and undo."""

from datetime import timedelta
from decimal import Decimal

from piglist.extensions import db
from piglist.models import today
from piglist.rules.lock import is_frozen

from .. import factories
from ..support.clients import error


def test_locked_group_refuses_owner_changes_but_allows_buying(api, family):
    gift = factories.make_gift(family.owner, family.group)
    family.group.is_locked = True
    db.session.commit()
    owner = api(family.owner)
    for response in (
        owner.post(f"/groups/{family.group.id}/gifts", json={"title": "Late"}),
        owner.patch(f"/gifts/{gift.id}", json={"title": "Changed"}),
        owner.delete(f"/gifts/{gift.id}"),
    ):
        assert response.status_code == 409
        assert error(response)["code"] == "group_locked"
    assert api(family.giver).post(f"/gifts/{gift.id}/purchase").status_code == 200
    assert api(family.giver).delete(f"/gifts/{gift.id}/purchase").status_code == 200


def test_locking_by_hand_freezes_categories(api, family):
    admin = api(family.admin)
    gid = family.group.id
    assert admin.patch(f"/groups/{gid}", json={"is_locked": True}).get_json()["locked"] is True
    response = admin.post(f"/groups/{gid}/categories", json={"name": "Late"})
    assert response.status_code == 409
    assert error(response)["code"] == "group_locked"
    assert admin.patch(f"/groups/{gid}", json={"is_locked": False}).get_json()["locked"] is False
    assert admin.post(f"/groups/{gid}/categories", json={"name": "Late"}).status_code == 201


def test_a_passed_lock_date_locks_and_moving_it_unlocks(api, family):
    admin = api(family.admin)
    gid = family.group.id
    assert admin.patch(f"/groups/{gid}", json={"lock_date": "2020-01-01"}).get_json()["locked"] is True
    assert admin.post(f"/groups/{gid}/categories", json={"name": "Late"}).status_code == 409
    assert admin.patch(f"/groups/{gid}", json={"lock_date": "2099-12-24"}).get_json()["locked"] is False


def test_the_lock_date_itself_is_still_open(app, family):
    from piglist.models import today

    family.group.lock_date = today()
    assert is_frozen(family.group) is False


def test_a_scrape_finishes_a_gift_added_before_the_lock(app, family):
    """Decided in piglist/rules/lock.py: the owner asked while the list was open; the scrape
    only fills fields still empty, never a price over a limit."""
    from piglist.scraping.gifts import apply_scrape

    gift = factories.make_gift(family.owner, family.group, title=None, scrape_status="pending")
    family.group.is_locked = True
    db.session.commit()
    assert apply_scrape(gift.id, {"title": "Rainbow Kite", "price": "19.99", "currency": "USD"}, None) == (
        "success"
    )
    db.session.refresh(gift)
    assert (gift.title, gift.price) == ("Rainbow Kite", Decimal("19.99"))


def test_the_lock_date_is_the_last_day_to_edit(app, family):
    group = family.group
    group.lock_date = today()
    assert not is_frozen(group)
    group.lock_date = today() - timedelta(days=1)
    assert is_frozen(group)
    group.lock_date, group.is_locked = None, True
    assert is_frozen(group)
