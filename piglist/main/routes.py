from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from piglist.groups import notices
from piglist.stores.redis_store import redis_status

from ..extensions import db, limiter
from ..groups import service as groups_service
from ..groups.forms import JoinForm
from ..lists.service import managed_lists

bp = Blueprint("main", __name__)

log = logging.getLogger(__name__)


@bp.route("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html")


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_dashboard(JoinForm())


def render_dashboard(join_form: JoinForm, status: int = 200):
    """The dashboard, also when the join box was refused (with its form errors)."""
    groups = groups_service.user_groups(current_user)
    return render_template(
        "main/dashboard.html",
        groups=groups,
        join_form=join_form,
        notices=notices.notices_for(current_user),
        kept_lists=managed_lists(current_user),
    ), status


@bp.post("/notices/<int:notice_id>/dismiss")
@login_required
def dismiss_notice(notice_id: int):
    notices.dismiss(current_user, notice_id)
    return redirect(url_for("main.dashboard"))


@bp.route("/health")
@limiter.exempt
def health():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        log.warning("database unreachable: %s", exc.__class__.__name__)
        db.session.rollback()
        database = "down"
    body = {"database": database, "redis": redis_status()}
    return body, 200 if database == "ok" else 503
