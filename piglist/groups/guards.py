"""The check in front of a group's admin pages, wherever they live (the admin area, occasions):
one decorator, so every admin page asks the same question the same way."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask_login import current_user, login_required

from . import access


def admin_required(view: Callable) -> Callable:
    """Logged in, then the service's admin rule (non-members get 404, members 403). The view
    receives the group instead of its id."""

    @wraps(view)
    @login_required
    def checked(group_id: int, **kwargs):
        return view(access.admin_group(group_id, current_user), **kwargs)

    return checked
