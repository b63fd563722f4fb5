"""The lists pages: every list of a group with who it is for, creating a child's or a couple's
list, answering an invitation to share one, keeping a child's list (its wishes, its keepers) as
one keeps one's own, and adding an idea to someone else's list. Thin routes over
piglist.lists.service and piglist.gifts; forms post and redirect, so nothing needs JavaScript."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from piglist.web.forms import save_form

from ..errors import NotFound, PiglistError
from ..extensions import db
from ..gifts import edits, reading
from ..gifts.forms import GiftForm
from ..gifts.loading import NO_LIST, visible_list
from ..gifts.rendering import page_context
from ..groups.access import group_members, member_group
from ..live import page_start
from ..models import Piglist
from ..rules.surprise import is_recipient
from . import service

bp = Blueprint("lists", __name__)


def list_in_group(group_id: int, list_id: int) -> Piglist:
    piglist = visible_list(list_id, current_user)
    if piglist.group_id != group_id:
        raise NotFound(NO_LIST)
    return piglist


def done(message: str, target: str):
    flash(message, "success")
    return redirect(target, 303)


def refused(exc: PiglistError, target: str):
    """A refusal on a lists page: its sentence shown on the page the form was on, nothing changed."""
    flash(exc.message, "error")
    return redirect(target, 303)


@bp.route("/groups/<int:group_id>/lists")
@login_required
def index(group_id: int):
    lists = service.group_lists(group_id, current_user)
    group = member_group(group_id, current_user)
    return render_template(
        "lists/index.html",
        group=group,
        lists=lists,
        invitations=[p for p in lists if service.invitation_for(p, current_user)],
        others=[m for m in group_members(group) if m.user_id != current_user.id],
        is_recipient=is_recipient,
    )


@bp.route("/groups/<int:group_id>/lists", methods=["POST"])
@login_required
def create(group_id: int):
    back = url_for("lists.index", group_id=group_id)
    try:
        piglist = service.create_list(group_id, current_user, request.form.to_dict())
    except PiglistError as exc:
        return refused(exc, back)
    if piglist.kind == "shared":
        partner = next(u for u in piglist.recipients if u.id != current_user.id)
        return done(f"We've asked {partner.display_name} to share the list with you.", back)
    return done(
        f"{piglist.title}'s list is ready: add her or his gifts.",
        url_for("lists.page", group_id=group_id, list_id=piglist.id),
    )


@bp.route("/groups/<int:group_id>/lists/<int:list_id>")
@login_required
def page(group_id: int, list_id: int):
    piglist = list_in_group(group_id, list_id)
    if piglist.kind == "member":
        if piglist.user_id == current_user.id:
            return redirect(url_for("gifts.my_piglist", group_id=group_id))
        return redirect(url_for("gifts.piglist", group_id=group_id, user_id=piglist.user_id))
    mine = is_recipient(current_user, piglist)
    live = page_start(group_id, current_user.id, looking=not mine)
    view = reading.list_gifts(piglist, current_user)
    group = piglist.group
    return render_template(
        "lists/page.html",
        **page_context(
            group,
            live=live,
            piglist=piglist,
            view=view,
            mine=mine,
            kept=current_user.id in piglist.manager_ids,
            invited=service.invitation_for(piglist, current_user),
            others=[m for m in group_members(group) if m.user_id not in piglist.manager_ids],
        ),
    )


@bp.route("/groups/<int:group_id>/lists/<int:list_id>/add", methods=["GET", "POST"])
@login_required
def add(group_id: int, list_id: int):
    """A wish on a list one keeps, or an idea on anyone else's ("Add an idea for Tom")."""
    piglist = list_in_group(group_id, list_id)
    group = piglist.group
    idea = current_user.id not in piglist.manager_ids
    if idea and is_recipient(current_user, piglist):
        raise NotFound(NO_LIST)
    form = GiftForm(currency=group.currency, url=request.args.get("url"))
    form.offer_choices(group.categories, group.currency)
    back = url_for("lists.page", group_id=group_id, list_id=list_id)
    saved, gift = save_form(
        form, lambda: edits.add_to_list(list_id, current_user, form.gift_data(), form.picture())
    )
    if saved:
        what = "idea" if gift.is_idea else "gift"
        return done(f"Your {what} is on {piglist.title}'s list.", back)
    return render_template(
        "lists/add.html", **page_context(group, form=form, piglist=piglist, idea=idea, cancel_url=back)
    ), (422 if form.errors or form.form_errors else 200)


@bp.route("/groups/<int:group_id>/piglists/<int:user_id>/idea")
@login_required
def idea_for_member(group_id: int, user_id: int):
    """ "Add an idea for Tom" on a member's piglist page, which knows the member, not the list."""
    group = member_group(group_id, current_user)
    piglist = db.session.scalar(
        select(Piglist).where(Piglist.group_id == group.id, Piglist.user_id == user_id)
    )
    if piglist is None:
        raise NotFound(NO_LIST)
    return redirect(url_for("lists.add", group_id=group_id, list_id=piglist.id))


@bp.route("/groups/<int:group_id>/lists/<int:list_id>/accept", methods=["POST"])
@login_required
def accept(group_id: int, list_id: int):
    list_in_group(group_id, list_id)
    try:
        piglist = service.accept(list_id, current_user)
    except PiglistError as exc:
        return refused(exc, url_for("lists.index", group_id=group_id))
    return done(
        f"You share “{piglist.title}” now.", url_for("lists.page", group_id=group_id, list_id=list_id)
    )


@bp.route("/groups/<int:group_id>/lists/<int:list_id>/decline", methods=["POST"])
@login_required
def decline(group_id: int, list_id: int):
    list_in_group(group_id, list_id)
    back = url_for("lists.index", group_id=group_id)
    try:
        service.decline(list_id, current_user)
    except PiglistError as exc:
        return refused(exc, back)
    return done("Declined: that shared list is gone.", back)


@bp.route("/groups/<int:group_id>/lists/<int:list_id>/delete", methods=["POST"])
@login_required
def delete(group_id: int, list_id: int):
    piglist = list_in_group(group_id, list_id)
    title = piglist.title
    try:
        service.delete_list(list_id, current_user)
    except PiglistError as exc:
        return refused(exc, url_for("lists.page", group_id=group_id, list_id=list_id))
    return done(f"{title}'s list is deleted.", url_for("lists.index", group_id=group_id))


@bp.route("/groups/<int:group_id>/lists/<int:list_id>/managers", methods=["POST"])
@login_required
def add_manager(group_id: int, list_id: int):
    list_in_group(group_id, list_id)
    back = url_for("lists.page", group_id=group_id, list_id=list_id)
    try:
        service.add_manager(list_id, current_user, request.form.get("user_id"))
    except PiglistError as exc:
        return refused(exc, back)
    return done("They keep this list with you now.", back)


@bp.route("/groups/<int:group_id>/lists/<int:list_id>/managers/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_manager(group_id: int, list_id: int, user_id: int):
    list_in_group(group_id, list_id)
    back = url_for("lists.page", group_id=group_id, list_id=list_id)
    try:
        service.remove_manager(list_id, current_user, user_id)
    except PiglistError as exc:
        return refused(exc, back)
    if user_id == current_user.id:
        return done("You no longer keep that list.", url_for("lists.index", group_id=group_id))
    return done("They no longer keep this list.", back)
