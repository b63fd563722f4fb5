"""The lists' gifts read as rows (piglist.gifts.rows, issue 27) read like the gifts they stand for:
the surprise rule and the limits answer the same of a row as of the ORM's gift, for the list's
recipient (an admin too), a buyer, a pledger and a member who did nothing; and nothing about
purchases is even read for the lists the reader is a recipient of."""

from __future__ import annotations

from sqlalchemy import or_

from piglist.extensions import db
from piglist.gifts import edits, group_gifts
from piglist.gifts.loading import gift_query
from piglist.gifts.rows import GIFT_FIELDS, member_list_gifts
from piglist.models import Gift, Piglist, Purchase
from piglist.rules.limits import counted
from piglist.rules.surprise import is_owner, may_see, present_gift

from . import factories
from .support.apps import both_backends


@both_backends
def test_rows_read_like_the_gifts_they_stand_for(app, family):
    owner, admin, giver, other, group = family.owner, family.admin, family.giver, family.other, family.group
    category = factories.make_category(group, "Books")
    plain = factories.make_gift(owner, group, price=12.5, category_id=category.id, options={"size": "M"})
    socks = factories.make_gift(owner, group, price=4, quantity=3, priority="high")
    factories.make_purchase(socks, giver)
    factories.make_purchase(socks, other)
    removed = factories.make_gift(owner, group, price=9)
    factories.make_purchase(removed, giver)
    edits.delete_gift(removed.id, owner)
    chipped = factories.make_gift(owner, group, price=60, category_id=category.id)
    group_gifts.start(chipped.id, giver)
    group_gifts.pledge(chipped.id, giver, "15")
    group_gifts.pledge(chipped.id, admin, "10")
    idea = factories.make_gift(owner, group, price=7, is_idea=True, added_by_id=giver.id)
    admins = factories.make_gift(admin, group, price=30, currency="EUR")
    factories.make_purchase(admins, owner)
    members = {user.id: user for user in (admin, owner, giver, other)}
    looking = {giver.id: giver, other.id: other}

    for viewer in members.values():
        db.session.expire_all()
        rows = {row.id: row for row in member_list_gifts(group, viewer, members)}
        gifts = {
            gift.id: gift
            for gift in db.session.scalars(
                gift_query().where(
                    Piglist.group_id == group.id,
                    or_(Gift.deleted_at.is_(None), Gift.purchases.any(Purchase.user_id == viewer.id)),
                )
            ).unique()
        }
        assert rows.keys() == gifts.keys(), viewer.display_name
        assert {idea.id, plain.id, admins.id} <= rows.keys()
        for gift_id, gift in gifts.items():
            row = rows[gift_id]
            about = (viewer.display_name, gift.title)
            assert {name: getattr(row, name) for name in GIFT_FIELDS} == {
                name: getattr(gift, name) for name in GIFT_FIELDS
            }, about
            assert is_owner(row, viewer) == is_owner(gift, viewer), about  # type: ignore[arg-type]
            assert may_see(row, viewer) == may_see(gift, viewer), about  # type: ignore[arg-type]
            assert counted(group, row) == counted(group, gift), about  # type: ignore[arg-type]
            if is_owner(gift, viewer):
                assert row.purchases == [], about  # never read for a recipient
                assert row.group_gift is None or row.group_gift.pledges == [], about
            if may_see(gift, viewer):
                shown = present_gift(row, viewer, looking)  # type: ignore[arg-type]
                assert shown == present_gift(gift, viewer, looking), about
