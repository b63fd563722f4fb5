"""Accounts in the API: register, tokens, and ``/me``."""

from __future__ import annotations

from flask import Response, g

from ..auth import accounts, signups
from ..auth.erase import erase_own_account
from ..auth.export import export_json
from ..auth.ratelimits import login_limit, register_limit, taken_address_limit
from ..errors import Duplicate, Unauthenticated
from .access import api_user, json_body, token_or_session_required
from .blueprint import bp
from .profile import me_json


@bp.post("/auth/register")
@register_limit()
@taken_address_limit()
def register():
    """201 {user, token} as SPEC §5 says; a taken address is 409 ``duplicate`` (an app has no inbox
    to wait on), told to the address's owner by mail and held to TAKEN_ADDRESS_LIMIT (README,
    Security). The pages answer the same either way (piglist.auth.signups)."""
    body = json_body()
    try:
        user = accounts.register(body.get("email"), body.get("password"), body.get("display_name"))
    except Duplicate:
        signups.tell_owner(body.get("email"))
        raise
    _, secret = accounts.issue_token(user, "Created at registration")
    return {"user": user.to_dict(), "token": secret}, 201


@bp.post("/auth/token")
@login_limit()
def create_token():
    body = json_body()
    user = accounts.authenticate(body.get("email"), body.get("password"))
    if user is None:
        raise Unauthenticated("That email and password don't match an account.")
    _, secret = accounts.issue_token(user, body.get("name") or "API token")
    return {"token": secret}


@bp.delete("/auth/token")
def revoke_token():
    if g.get("api_token") is None:
        raise Unauthenticated("Send the token to revoke as 'Authorization: Bearer <token>'.")
    accounts.revoke_token(g.api_user, g.api_token.id)
    return "", 204


@bp.get("/me")
@token_or_session_required
def me():
    return me_json(api_user())


@bp.get("/me/export")
@token_or_session_required
def export():
    return Response(export_json(api_user()), mimetype="application/json")


@bp.delete("/me")
@token_or_session_required
def erase():
    erase_own_account(api_user(), json_body().get("password"))
    return "", 204
