"""Group gifts in the API (SPEC §10.3): start one, pledge, change or withdraw a pledge, call it
off. Marking it bought is the organiser's POST /gifts/<id>/purchase (piglist.api.gifts). Every
answer is the gift as the surprise rule shows it to the caller."""

from __future__ import annotations

from piglist.web.idempotency import idempotent

from ..gifts import group_gifts, reading
from .access import api_user, json_body, token_or_session_required
from .blueprint import bp


@bp.post("/gifts/<int:gift_id>/group-gift")
@token_or_session_required
def start_group_gift(gift_id: int):
    return reading.view_of(group_gifts.start(gift_id, api_user()), api_user())


@bp.delete("/gifts/<int:gift_id>/group-gift")
@token_or_session_required
def cancel_group_gift(gift_id: int):
    return reading.view_of(group_gifts.cancel(gift_id, api_user()), api_user())


@bp.put("/gifts/<int:gift_id>/pledge")
@token_or_session_required
@idempotent
def pledge(gift_id: int):
    amount = json_body().get("amount")
    return reading.view_of(group_gifts.pledge(gift_id, api_user(), amount), api_user())


@bp.delete("/gifts/<int:gift_id>/pledge")
@token_or_session_required
def withdraw_pledge(gift_id: int):
    return reading.view_of(group_gifts.withdraw(gift_id, api_user()), api_user())
