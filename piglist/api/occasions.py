"""Occasions in the API (SPEC §10.4): the group's occasions, revealing a list after one, the
"Received" list and its "thanked" tick, and the person's calendar feed address."""

from __future__ import annotations

from ..groups.access import admin_group, member_group
from ..occasions import calendar, reveal, service
from ..rules.surprise import present_received
from ..rules.values import parse_bool
from .access import api_user, json_body, optional_json_body, token_or_session_required
from .blueprint import bp


@bp.get("/groups/<int:group_id>/occasions")
@token_or_session_required
def list_occasions(group_id: int):
    group = member_group(group_id, api_user())
    return [service.occasion_json(o) for o in service.occasions_of(group)]


@bp.post("/groups/<int:group_id>/occasions")
@token_or_session_required
def create_occasion(group_id: int):
    group = admin_group(group_id, api_user())
    return service.occasion_json(service.create_occasion(group, json_body())), 201


@bp.get("/occasions/<int:occasion_id>")
@bp.get("/groups/<int:group_id>/occasions/<int:occasion_id>")
@token_or_session_required
def get_occasion(occasion_id: int, group_id: int | None = None):
    occasion, _ = _occasion(occasion_id, group_id, admin=False)
    return service.occasion_json(occasion)


@bp.patch("/occasions/<int:occasion_id>")
@bp.patch("/groups/<int:group_id>/occasions/<int:occasion_id>")
@token_or_session_required
def update_occasion(occasion_id: int, group_id: int | None = None):
    occasion, group = _occasion(occasion_id, group_id, admin=True)
    return service.occasion_json(service.update_occasion(group, occasion.id, json_body()))


@bp.delete("/occasions/<int:occasion_id>")
@bp.delete("/groups/<int:group_id>/occasions/<int:occasion_id>")
@token_or_session_required
def delete_occasion(occasion_id: int, group_id: int | None = None):
    occasion, group = _occasion(occasion_id, group_id, admin=True)
    service.delete_occasion(group, occasion.id)
    return "", 204


def _occasion(occasion_id: int, group_id: int | None, admin: bool):
    """The occasion, by its own path or under its group's (which must be its group)."""
    user = api_user()
    if group_id is not None:
        group = admin_group(group_id, user) if admin else member_group(group_id, user)
        return service.occasion_in(group, occasion_id), group
    return service.admin_occasion(occasion_id, user) if admin else service.member_occasion(occasion_id, user)


@bp.get("/occasions/<int:occasion_id>/received")
@token_or_session_required
def past_occasion(occasion_id: int):
    """Past occasions: every list revealed for it, read-only, as any member of the group sees it."""
    user = api_user()
    _, reveals = reveal.reveals_of(occasion_id, user)
    return [reveal.reveal_json(done, gifts, user) for done, gifts in reveals]


@bp.post("/lists/<int:list_id>/reveal")
@token_or_session_required
def reveal_list(list_id: int):
    user = api_user()
    done, gifts = reveal.reveal(list_id, json_body().get("occasion_id"), user)
    return reveal.reveal_json(done, gifts, user)


@bp.get("/groups/<int:group_id>/received")
@token_or_session_required
def my_received(group_id: int):
    """The caller's "Received" lists in a group: one per reveal of a list they are a recipient of."""
    user = api_user()
    return [reveal.reveal_json(done, gifts, user) for done, gifts in reveal.received_for(group_id, user)]


@bp.put("/gifts/<int:gift_id>/thanked")
@token_or_session_required
def set_thanked(gift_id: int):
    user = api_user()
    thanked = parse_bool(json_body().get("thanked"), "thanked")
    return present_received(reveal.set_thanked(gift_id, thanked, user), user)


@bp.post("/me/calendar")
@token_or_session_required
def new_calendar_feed():
    """A new private calendar address (the old one stops working), shown once."""
    optional_json_body()
    return {"url": calendar.new_feed_url(api_user())}, 201


@bp.delete("/me/calendar")
@token_or_session_required
def revoke_calendar_feed():
    calendar.revoke_feed(api_user())
    return "", 204
