from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from piglist.web.forms import form_status, save_form
from piglist.web.security import FOLLOWING_INVITE

from ..auth.ratelimits import invitation_limit
from ..errors import NotFound, PiglistError
from ..lists.service import group_lists
from ..models import Group
from . import access, invitations, joining, lifecycle, members
from .dashboard import render_dashboard
from .forms import GroupForm, InviteForm, JoinForm

bp = Blueprint("groups", __name__)


@bp.route("/groups/new", methods=["GET", "POST"])
@login_required
def create():
    form = GroupForm()
    saved, group = save_form(form, lambda: lifecycle.create_group(current_user, form.settings()))
    if saved:
        flash(f"{group.name} is ready. Send your family the invite link below.", "success")
        return redirect(url_for("groups.overview", group_id=group.id))
    return render_template("groups/create.html", form=form), form_status(form)


@bp.route("/groups/<int:group_id>")
@login_required
def overview(group_id: int):
    return render_overview(group_id)


def render_overview(group_id: int, invite_form: InviteForm | None = None, status: int = 200):
    me = access.membership(group_id, current_user)
    return render_template(
        "groups/overview.html",
        group=me.group,
        me=me,
        members=access.group_members(me.group),
        lists=[p for p in group_lists(group_id, current_user) if p.kind != "member"],
        invite_form=invite_form or InviteForm(formdata=None),
    ), status


@bp.route("/groups/<int:group_id>/invitations", methods=["POST"])
@login_required
@invitation_limit()
def invite_by_email(group_id: int):
    group = access.admin_group(group_id, current_user)
    form = InviteForm()
    saved, result = save_form(
        form, lambda: invitations.invite_by_email(group, current_user, form.addresses.data)
    )
    if not saved:
        return render_overview(group.id, form, form_status(form))
    invited, members = result
    if invited:
        flash(f"Invitations to {group.name} are on their way to {', '.join(invited)}.", "success")
    if members:
        flash(f"Already in {group.name}: {', '.join(members)}.", "info")
    return redirect(url_for("groups.overview", group_id=group.id, _anchor="invite"))


@bp.route("/join/<code>", methods=["GET", "POST"])
def join(code: str):
    """The invite link. A dead link says so to anyone; a logged-out visitor sees whose family it is
    and who invited them, and signs up (or logs in) first, which brings them back here joined (the
    code, remembered in the session, must still be this group's). Anyone else is asked first:
    joining changes something, so it takes a POST after a one-button question."""
    try:
        group = joining.group_by_invite(code)
    except NotFound:
        return render_template("groups/invite_dead.html"), 404
    count = len(access.group_members(group))
    if not current_user.is_authenticated:
        if request.method == "POST":
            return redirect(url_for("groups.join", code=code))
        inviter = joining.inviter(group, request.args.get("from"))
        session[FOLLOWING_INVITE] = code
        return render_template(
            "groups/invite.html",
            group=group,
            code=code,
            inviter=inviter,
            member_count=count,
            email=request.args.get("email") if inviter else None,
        )
    if request.method == "POST":
        return joined(*joining.join_group(current_user, code))
    if session.pop(FOLLOWING_INVITE, None) == code:
        return joined(*joining.join_group(current_user, code), after_signing_in=True)
    try:
        access.membership(group.id, current_user)
    except NotFound:
        return render_template("groups/join.html", group=group, code=code, member_count=count)
    return joined(group, False)


@bp.route("/join", methods=["POST"])
@login_required
def join_by_code():
    form = JoinForm()
    saved, outcome = save_form(form, lambda: joining.join_group(current_user, form.code.data))
    if saved:
        return joined(*outcome)
    return render_dashboard(form, 422)


@bp.route("/groups/<int:group_id>/leave", methods=["POST"])
@login_required
def leave(group_id: int):
    group = access.member_group(group_id, current_user)
    try:
        members.remove_member(group, current_user, current_user.id)
    except PiglistError as exc:
        flash(exc.message, "error")
        return redirect(url_for("groups.overview", group_id=group_id))
    flash(f"You've left {group.name}; your piglist there is deleted.", "info")
    return redirect(url_for("main.dashboard"))


def joined(group: Group, new: bool, after_signing_in: bool = False):
    if new and after_signing_in:
        flash(f"You joined {group.name}. Your piglist here is ready for your first gift.", "success")
    elif new:
        flash(f"Welcome to {group.name}! Your piglist here is ready for your first gift.", "success")
    else:
        flash(f"You're already in {group.name}.", "info")
    return redirect(url_for("groups.overview", group_id=group.id))
