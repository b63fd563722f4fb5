from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from piglist.groups import notices
from piglist.stores.redis_store import redis_status

from ..extensions import db, limiter
from ..groups.dashboard import render_dashboard
from ..groups.forms import JoinForm

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
