"""The occasions' pages: the admins' occasions page, the group's occasions (countdowns, past
occasions read-only, and for a recipient the reveal, their "Received" lists and the "thanked"
tick), the calendar feed and its address on the profile. Thin: the rules are the modules beside
this one."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from piglist.web.forms import form_status, save_form

from ..errors import PiglistError
from ..extensions import db
from ..groups.access import member_group
from ..groups.guards import admin_required
from ..models import Group, Piglist, Reveal
from ..rules.surprise import present_received
from . import calendar, reveal, service
from .forms import OccasionForm

bp = Blueprint("occasions", __name__)


@bp.app_template_global()
def upcoming_occasions(group: Group | None = None) -> list:
    """(occasion, days left) still to come, for the dashboard (every group) or a group's page."""
    return service.upcoming_for(current_user, group)


@bp.app_template_global()
def has_calendar_feed(user) -> bool:
    return calendar.has_feed(user)


# --- admins -----------------------------------------------------------------------------------


def group_lists(group: Group) -> list[Piglist]:
    return list(db.session.scalars(select(Piglist).where(Piglist.group_id == group.id).order_by(Piglist.id)))


@bp.route("/admin/groups/<int:group_id>/occasions", methods=["GET", "POST"])
@admin_required
def admin_occasions(group: Group):
    form = OccasionForm().offer(group_lists(group))
    saved, occasion = save_form(form, lambda: service.create_occasion(group, form.settings()))
    if saved:
        flash(f"{occasion.name} is set for {occasion.date:%-d %B %Y}.", "success")
        return redirect(url_for("occasions.admin_occasions", group_id=group.id))
    occasions = service.occasions_of(group)
    return render_template(
        "occasions/admin.html",
        group=group,
        form=form,
        occasions=occasions,
        active="occasions.admin_occasions",
    ), form_status(form)


@bp.route("/admin/groups/<int:group_id>/occasions/<int:occasion_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_occasion(group: Group, occasion_id: int):
    occasion = service.occasion_in(group, occasion_id)
    form = OccasionForm().offer(group_lists(group), occasion)
    saved, _ = save_form(form, lambda: service.update_occasion(group, occasion.id, form.settings()))
    if saved:
        flash("Occasion saved.", "success")
        return redirect(url_for("occasions.admin_occasions", group_id=group.id))
    return render_template(
        "occasions/edit.html", group=group, form=form, occasion=occasion, active="occasions.admin_occasions"
    ), form_status(form)


@bp.post("/admin/groups/<int:group_id>/occasions/<int:occasion_id>/delete")
@admin_required
def delete_occasion(group: Group, occasion_id: int):
    try:
        service.delete_occasion(group, occasion_id)
    except PiglistError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash("Occasion deleted.", "success")
    return redirect(url_for("occasions.admin_occasions", group_id=group.id))


# --- members ----------------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/occasions")
@login_required
def group_occasions(group_id: int):
    group = member_group(group_id, current_user)
    occasions = service.occasions_of(group)
    past = [o for o in occasions if service.has_passed(o)]
    revealed = {
        (r.occasion_id, r.piglist_id): r
        for r in db.session.scalars(select(Reveal).where(Reveal.occasion_id.in_([o.id for o in past])))
    }
    # A recipient's lists still to reveal: offered whatever was bought, so the offer says nothing.
    to_reveal = [
        (o, p)
        for o in past
        for p in service.lists_of(o)
        if service.is_recipient(p, current_user) and (o.id, p.id) not in revealed
    ]
    archive = [(o, [(done, reveal.received_on(done)) for done in _reveals_for(o, revealed)]) for o in past]
    return render_template(
        "occasions/group.html",
        group=group,
        upcoming=service.upcoming_for(current_user, group),
        to_reveal=to_reveal,
        archive=archive,
        received=present_received,
        is_mine=lambda piglist: service.is_recipient(piglist, current_user),
    )


def _reveals_for(occasion, revealed: dict) -> list[Reveal]:
    return [r for (oid, _), r in sorted(revealed.items()) if oid == occasion.id]


@bp.post("/groups/<int:group_id>/lists/<int:list_id>/reveal")
@login_required
def reveal_list(group_id: int, list_id: int):
    member_group(group_id, current_user)
    try:
        _, gifts = reveal.reveal(list_id, request.form.get("occasion_id"), current_user)
    except PiglistError as exc:
        if exc.status == 404:
            raise
        flash(exc.message, "error")
    else:
        flash(f"Revealed: {len(gifts)} gift{'' if len(gifts) == 1 else 's'} received.", "success")
    return redirect(url_for("occasions.group_occasions", group_id=group_id, _anchor="past"))


@bp.post("/groups/<int:group_id>/gifts/<int:gift_id>/thanked")
@login_required
def thanked(group_id: int, gift_id: int):
    member_group(group_id, current_user)
    reveal.set_thanked(gift_id, request.form.get("thanked") == "1", current_user)
    return redirect(url_for("occasions.group_occasions", group_id=group_id, _anchor=f"received-{gift_id}"))


# --- calendar ---------------------------------------------------------------------------------


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str):
    """No login: calendar apps can't log in, so the address's secret is the key."""
    user = calendar.feed_owner(token)
    return Response(
        calendar.calendar_bytes(user),
        mimetype="text/calendar",
        headers={
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": "inline; filename=piglist.ics",
        },
    )


@bp.post("/profile/calendar")
@login_required
def new_calendar():
    url = calendar.new_feed_url(current_user)
    return render_template("occasions/calendar.html", url=url)


@bp.post("/profile/calendar/off")
@login_required
def revoke_calendar():
    calendar.revoke_feed(current_user)
    flash("Your calendar address is turned off.", "success")
    return redirect(url_for("auth.profile", _anchor="calendar"))
