"""Lists in the API (SPEC 10.1): every list of a group, one list with its gifts, creating a
shared or a dependant's list, answering a shared list's invitation, its keepers, and adding a
wish or an idea to any list. Gifts go out through the surprise rule (piglist.gifts.reading)."""

from __future__ import annotations

from flask import request

from piglist.web.idempotency import idempotent

from ..gifts import edits, fields, reading
from ..gifts.loading import visible_list
from ..lists import service
from ..pictures.uploads import accepts_picture
from .access import api_user, json_body, token_or_session_required
from .blueprint import bp
from .gifts import gift_body


@bp.get("/groups/<int:group_id>/lists")
@token_or_session_required
def list_lists(group_id: int):
    return [service.list_dict(piglist) for piglist in service.group_lists(group_id, api_user())]


@bp.post("/groups/<int:group_id>/lists")
@token_or_session_required
def create_list(group_id: int):
    return service.list_dict(service.create_list(group_id, api_user(), json_body())), 201


@bp.get("/lists/<int:list_id>")
@token_or_session_required
def get_list(list_id: int):
    viewer = api_user()
    piglist = visible_list(list_id, viewer)
    view = reading.list_gifts(piglist, viewer, fields.parse_list_filters(request.args))
    return {**service.list_dict(piglist), "gifts": view.gifts, "totals": view.totals}


@bp.delete("/lists/<int:list_id>")
@token_or_session_required
def delete_list(list_id: int):
    service.delete_list(list_id, api_user())
    return "", 204


@bp.post("/lists/<int:list_id>/accept")
@token_or_session_required
def accept_list(list_id: int):
    return service.list_dict(service.accept(list_id, api_user()))


@bp.post("/lists/<int:list_id>/decline")
@token_or_session_required
def decline_list(list_id: int):
    service.decline(list_id, api_user())
    return "", 204


@bp.post("/lists/<int:list_id>/managers/<int:user_id>")
@token_or_session_required
def add_list_manager(list_id: int, user_id: int):
    return service.list_dict(service.add_manager(list_id, api_user(), user_id))


@bp.delete("/lists/<int:list_id>/managers/<int:user_id>")
@token_or_session_required
def remove_list_manager(list_id: int, user_id: int):
    service.remove_manager(list_id, api_user(), user_id)
    return "", 204


@bp.post("/lists/<int:list_id>/gifts")
@accepts_picture
@token_or_session_required
@idempotent
def add_to_list(list_id: int):
    data, picture = gift_body()
    gift = edits.add_to_list(list_id, api_user(), data, picture)
    return reading.gift_view(gift.id, api_user()), 201
