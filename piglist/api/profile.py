"""Your own account in the API, everything the profile page and the dashboard let you do: your
name and mail settings, your password, your tokens and logins, and your notices.

Changing the password revokes every token (whoever knew the old password may have made some), the
one in use included, so the answer carries a new token for the program that asked."""

from __future__ import annotations

from typing import Any

from flask import g

from ..auth import accounts
from ..groups import notices
from ..models import User
from ..rules.values import parse_bool
from .access import api_user, json_body, token_or_session_required
from .blueprint import bp


def me_json(user: User) -> dict[str, Any]:
    return {**user.to_dict(), "purchase_alerts": user.purchase_alerts, "reminders": user.reminders}


@bp.patch("/me")
@token_or_session_required
def update_me():
    """``{display_name?, purchase_alerts?, reminders?}``: every field is checked before anything is
    saved."""
    user = api_user()
    body = json_body()
    name = accounts.clean_display_name(body["display_name"]) if "display_name" in body else None
    alerts = parse_bool(body["purchase_alerts"], "purchase_alerts") if "purchase_alerts" in body else None
    reminders = parse_bool(body["reminders"], "reminders") if "reminders" in body else None
    if name is not None:
        accounts.update_display_name(user, name)
    if alerts is not None:
        accounts.set_purchase_alerts(user, alerts)
    if reminders is not None:
        accounts.set_reminders(user, reminders)
    return me_json(user)


@bp.post("/me/password")
@token_or_session_required
def change_own_password():
    user = api_user()
    body = json_body()
    accounts.change_password(user, body.get("current_password"), body.get("new_password"))
    name = g.api_token.name if g.get("api_token") is not None else "API token"
    _, secret = accounts.issue_token(user, name)
    return {"token": secret}


@bp.get("/me/tokens")
@token_or_session_required
def list_tokens():
    in_use = g.api_token.id if g.get("api_token") is not None else None
    return [{**token.to_dict(), "current": token.id == in_use} for token in accounts.list_tokens(api_user())]


@bp.post("/me/tokens")
@token_or_session_required
def create_named_token():
    token, secret = accounts.issue_token(api_user(), json_body().get("name") or "API token")
    return {**token.to_dict(), "current": False, "token": secret}, 201


@bp.delete("/me/tokens/<int:token_id>")
@token_or_session_required
def revoke_token_by_id(token_id: int):
    accounts.revoke_token(api_user(), token_id)
    return "", 204


@bp.delete("/me/sessions")
@token_or_session_required
def log_out_everywhere():
    """ "Log out everywhere": every browser login of yours ends; tokens are left alone."""
    accounts.end_all_logins(api_user())
    return "", 204


@bp.get("/me/notices")
@token_or_session_required
def list_notices():
    return [notice.to_dict() for notice in notices.notices_for(api_user())]


@bp.delete("/me/notices/<int:notice_id>")
@token_or_session_required
def dismiss_notice(notice_id: int):
    notices.dismiss(api_user(), notice_id)
    return "", 204
