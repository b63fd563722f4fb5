"""Export: everything Piglist stores about one person, as one JSON document — the same for the
API (``GET /api/v1/me/export``), the profile page's download and ``flask piglist export-user``.

The surprise rule applies as for the person themselves: their own gifts go through
:func:`~piglist.rules.surprise.present_gift` as they would see them (nothing about purchases or
viewers, and no idea others added to their list), and the purchases and pledges listed are
counted over :func:`~piglist.rules.surprise.purchases_visible_to`. The other lists they keep (a
child's, a shared one) and the ideas they added to others' lists are theirs too, seen as they
see them. Gifts they deleted are left out: for them
those are gone (one already bought stays stored for its buyer only). The document carries no
time of its own, so two exports with nothing changed for the person are byte for byte the same.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import select

from piglist.groups.notices import notices_for

from ..extensions import db
from ..gifts.loading import gift_query
from ..lists.service import list_dict, managed_lists
from ..models import (
    Gift,
    GroupGift,
    GroupMember,
    Piglist,
    Pledge,
    Purchase,
    PurchaseAlert,
    User,
    UserSession,
)
from ..occasions.export import occasions_export
from ..rules.surprise import may_see, present_gift, purchases_visible_to
from ..santa.export import export_for as santa_export
from .accounts import list_tokens


def export_user(user: User) -> dict[str, Any]:
    memberships = db.session.scalars(
        select(GroupMember).where(GroupMember.user_id == user.id).order_by(GroupMember.group_id)
    ).all()
    own = db.session.scalars(
        gift_query()
        .where(Piglist.user_id == user.id, Gift.deleted_at.is_(None))
        .order_by(Gift.created_at, Gift.id)
    ).all()
    own = [gift for gift in own if may_see(gift, user)]
    kept = [p for p in managed_lists(user) if user.id in p.manager_ids]
    kept_gifts = db.session.scalars(
        gift_query()
        .where(Gift.piglist_id.in_([p.id for p in kept]), Gift.deleted_at.is_(None))
        .order_by(Gift.created_at, Gift.id)
    ).all()
    ideas = db.session.scalars(
        gift_query()
        .where(Gift.added_by_id == user.id, Gift.is_idea.is_(True), Gift.deleted_at.is_(None))
        .order_by(Gift.created_at, Gift.id)
    ).all()
    bought = db.session.scalars(
        gift_query()
        .where(Gift.purchases.any(Purchase.user_id == user.id))
        .order_by(Gift.purchased_at, Gift.id)
    ).all()
    lists = {p.group_id: p for p in db.session.scalars(select(Piglist).where(Piglist.user_id == user.id))}
    return {
        "account": {**user.to_dict(), "created_at": user.created_at, "purchase_alerts": user.purchase_alerts},
        "groups": [
            {
                **member.group.to_dict(),
                "role": member.role,
                "joined_at": member.joined_at,
                "piglist": {
                    "created_at": lists[member.group_id].created_at if member.group_id in lists else None,
                    "gifts": [present_gift(g, user) for g in own if g.piglist.group_id == member.group_id],
                },
            }
            for member in memberships
        ],
        "kept_lists": [
            {
                **list_dict(piglist),
                "gifts": [
                    present_gift(g, user)
                    for g in kept_gifts
                    if g.piglist_id == piglist.id and may_see(g, user)
                ],
            }
            for piglist in kept
        ],
        "ideas": [present_gift(g, user) for g in ideas if may_see(g, user)],
        "purchases": [present_gift(g, user) for g in purchases_visible_to(bought, user)],
        "pledges": _pledges(user),
        "tokens": [token.to_dict() for token in list_tokens(user)],
        # Each logged-in browser; its key is kept only as a hash, and neither is exported.
        "logins": [
            {"created_at": created}
            for created in db.session.scalars(
                select(UserSession.created_at).where(UserSession.user_id == user.id).order_by(UserSession.id)
            )
        ],
        "notices": [notice.to_dict() for notice in notices_for(user)],
        "occasions": occasions_export(user),
        # Their own name and threads only: piglist.santa.secrecy decides.
        "secret_santa": santa_export(user),
        # Mails about gifts they bought, waiting to be sent (piglist.gifts.alerts).
        "pending_purchase_alerts": [
            {"gift_id": gift_id, "due_at": due}
            for gift_id, due in db.session.execute(
                select(PurchaseAlert.gift_id, PurchaseAlert.due_at)
                .where(PurchaseAlert.user_id == user.id)
                .order_by(PurchaseAlert.id)
            )
        ],
    }


def _pledges(user: User) -> list[dict[str, Any]]:
    """What they promised toward group gifts (SPEC §10.3), each with the gift as they see it: only
    gifts the rule lets them know the purchases of, and still visible to them."""
    gifts = db.session.scalars(
        gift_query()
        .join(GroupGift, GroupGift.gift_id == Gift.id)
        .where(GroupGift.pledges.any(Pledge.user_id == user.id))
        .order_by(Gift.id)
    ).all()
    return [
        {
            "gift": present_gift(gift, user),
            **next(
                {"amount": p.amount, "created_at": p.created_at, "updated_at": p.updated_at}
                for p in (gift.group_gift.pledges if gift.group_gift else [])  # joined: never None
                if p.user_id == user.id
            ),
        }
        for gift in purchases_visible_to(gifts, user)
        if may_see(gift, user)
    ]


def export_json(user: User) -> str:
    """The export as the text every door hands out."""
    return current_app.json.dumps(export_user(user), indent=2, ensure_ascii=False) + "\n"
