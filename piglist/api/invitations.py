"""Invitations by e-mail in the API, as the group page sends them: an admin names addresses, each
that isn't a member's gets the invite link by mail (from the worker). The same hourly budget as the
page's, counted per person whichever door they use."""

from __future__ import annotations

from ..auth.ratelimits import invitation_limit
from ..groups import access, invitations
from .access import api_user, json_body, token_or_session_required
from .blueprint import bp


@bp.post("/groups/<int:group_id>/invitations")
@token_or_session_required
@invitation_limit()
def invite_by_email(group_id: int):
    """``{"emails": "a@example.org, b@example.org"}`` (or a list of addresses) → who was invited
    and who is a member already."""
    group = access.admin_group(group_id, api_user())
    emails = json_body().get("emails")
    if isinstance(emails, list) and all(isinstance(e, str) for e in emails):
        emails = ", ".join(emails)
    invited, members = invitations.invite_by_email(group, api_user(), emails)
    return {"invited": invited, "already_members": members}
