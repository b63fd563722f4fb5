"""Secret Santa in the API (SPEC §10.5): exchanges, the draw, and the anonymous messages.

What an answer may say about who drew whom is piglist.santa.secrecy's decision; this door only
picks which of its views to send. Listing exchanges never opens anyone's assignment: only
reading one exchange does, for the caller's own.
"""

from __future__ import annotations

from ..errors import Forbidden
from ..groups import access
from ..rules.values import parse_bool
from ..santa import exchanges, messages, secrecy
from .access import api_user, json_body, optional_json_body, token_or_session_required
from .blueprint import bp


@bp.get("/groups/<int:group_id>/exchanges")
@token_or_session_required
def list_exchanges(group_id: int):
    user = api_user()
    member = access.membership(group_id, user)
    found = []
    for exchange in exchanges.group_exchanges(member.group):
        view = secrecy.present_exchange(exchange, user, is_admin=member.is_admin)
        view.pop("my_recipient")  # reading it is opening it: only GET /exchanges/<eid> does
        found.append(view)
    return found


@bp.post("/groups/<int:group_id>/exchanges")
@token_or_session_required
def create_exchange(group_id: int):
    user = api_user()
    group = access.admin_group(group_id, user)
    exchange = exchanges.create_exchange(group, user, json_body())
    return secrecy.present_exchange(exchange, user, is_admin=True), 201


@bp.get("/exchanges/<int:exchange_id>")
@token_or_session_required
def get_exchange(exchange_id: int):
    user = api_user()
    exchange, member = exchanges.member_exchange(exchange_id, user)
    exchanges.open_assignment(exchange, user)
    return secrecy.present_exchange(exchange, user, is_admin=member.is_admin)


@bp.post("/exchanges/<int:exchange_id>/draw")
@token_or_session_required
def draw_exchange(exchange_id: int):
    redraw = optional_json_body().get("redraw", False)
    exchange = exchanges.draw_exchange(exchange_id, api_user(), redraw=parse_bool(redraw, "redraw"))
    # Not the exchange as the admin reads it: that would show them their own name without opening it.
    return {"id": exchange.id, "status": exchange.status, "drawn_at": exchange.drawn_at}


@bp.get("/exchanges/<int:exchange_id>/messages")
@token_or_session_required
def list_messages(exchange_id: int):
    user = api_user()
    exchange, _ = exchanges.member_exchange(exchange_id, user)
    if exchanges.participation(exchange, user) is None:
        raise Forbidden("Only the people taking part in this exchange have messages in it.")
    return messages.thread(exchange, user)


@bp.post("/exchanges/<int:exchange_id>/messages")
@token_or_session_required
def post_message(exchange_id: int):
    user = api_user()
    exchange, _ = exchanges.member_exchange(exchange_id, user)
    return messages.send(exchange, user, json_body()), 201
