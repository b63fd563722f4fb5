"""The dashboard page: one's groups, the join box and the notices. Main's ``/dashboard`` shows it,
and so does a refused join (with its form errors), so it lives here, not in either door."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..lists.service import managed_lists
from ..santa.exchanges import user_exchanges
from . import access, notices
from .forms import JoinForm


def render_dashboard(join_form: JoinForm, status: int = 200):
    """The dashboard, also when the join box was refused (with its form errors)."""
    groups = access.user_groups(current_user)
    return render_template(
        "main/dashboard.html",
        groups=groups,
        join_form=join_form,
        notices=notices.notices_for(current_user),
        exchanges=user_exchanges(current_user),
        kept_lists=managed_lists(current_user),
    ), status
