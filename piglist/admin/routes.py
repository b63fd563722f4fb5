from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from piglist.web.forms import form_status, save_form

from ..errors import PiglistError
from ..gifts import releasing
from ..groups import access, joining, lifecycle
from ..groups import categories as group_categories
from ..groups import members as group_members
from ..groups.guards import admin_required
from ..live import page_start
from ..models import Category, Group
from .forms import CategoryForm, DeleteGroupForm, SettingsForm

bp = Blueprint("admin", __name__)


# --- settings, lock and invite link ---------------------------------------------------------


@bp.route("/groups/<int:group_id>/", methods=["GET", "POST"])
@admin_required
def settings(group: Group):
    form = SettingsForm(obj=group)
    saved, _ = save_form(form, lambda: lifecycle.update_group(group, form.settings()))
    if saved:
        flash("Settings saved.", "success")
        return redirect(url_for("admin.settings", group_id=group.id))
    return render_settings(group, form)


def render_settings(group: Group, form: SettingsForm, delete_form: DeleteGroupForm | None = None):
    delete_form = delete_form or DeleteGroupForm(formdata=None)
    return render_template(
        "admin/settings.html", group=group, form=form, delete_form=delete_form
    ), form_status(form, delete_form)


@bp.post("/groups/<int:group_id>/delete")
@admin_required
def delete_group(group: Group):
    form = DeleteGroupForm()
    name = group.name
    deleted, _ = save_form(
        form, lambda: lifecycle.delete_group(group, current_user, form.confirm_name.data or "")
    )
    if deleted:
        flash(f"{name} is deleted, with every piglist in it. Its members will see a note.", "info")
        return redirect(url_for("main.dashboard"))
    return render_settings(group, SettingsForm(obj=group), delete_form=form)


@bp.post("/groups/<int:group_id>/lock")
@admin_required
def set_lock(group: Group):
    action = request.form.get("action")
    if action == "lock":
        lifecycle.update_group(group, {"is_locked": True})
        flash("Locked. Lists and categories stay as they are until you unlock them.", "success")
    elif action == "unlock":
        passed = lifecycle.unlock_now(group)
        if passed is not None:
            flash(
                f"Unlocked. The lock date ({passed.day} {passed:%b %Y}) had passed, so it is cleared; "
                "set a new one below if you like.",
                "success",
            )
        else:
            flash("Unlocked. Everyone can change their lists again.", "success")
    else:
        abort(400)
    return redirect(url_for("admin.settings", group_id=group.id, _anchor="lock"))


@bp.post("/groups/<int:group_id>/invite")
@admin_required
def regenerate_invite(group: Group):
    joining.regenerate_invite(group)
    flash("Here is a new invite link. The old one no longer works.", "success")
    return redirect(url_for("admin.settings", group_id=group.id, _anchor="invite"))


# --- members ------------------------------------------------------------------------------------


@bp.get("/groups/<int:group_id>/members")
@admin_required
def members(group: Group):
    # Read first, like every live page's: a removal or release meanwhile comes over the socket.
    live = page_start(group.id, current_user.id, looking=False)
    return render_template(
        "admin/members.html",
        group=group,
        live=live,
        members=access.group_members(group),
        former_buyers=releasing.former_buyers(group, current_user),
    )


@bp.post("/groups/<int:group_id>/members/<int:user_id>/role")
@admin_required
def set_role(group: Group, user_id: int):
    try:
        member = group_members.set_role(group, user_id, request.form.get("role"))
    except PiglistError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.members", group_id=group.id))
    if member.user_id == current_user.id and not member.is_admin:
        flash(f"You're no longer an admin of {group.name}.", "info")
        return redirect(url_for("groups.overview", group_id=group.id))
    name = member.user.display_name
    flash(f"{name} is now {'an admin' if member.is_admin else 'a member'}.", "success")
    return redirect(url_for("admin.members", group_id=group.id))


@bp.post("/groups/<int:group_id>/members/<int:user_id>/remove")
@admin_required
def remove_member(group: Group, user_id: int):
    try:
        removed = group_members.remove_member(group, current_user, user_id)
    except PiglistError as exc:
        flash(exc.message, "error")
        return redirect(url_for("admin.members", group_id=group.id))
    if user_id == current_user.id:
        flash(f"You've left {group.name}; your piglist there is deleted.", "info")
        return redirect(url_for("main.dashboard"))
    flash(f"{removed.display_name} is no longer in {group.name}; their piglist there is deleted.", "success")
    return redirect(url_for("admin.members", group_id=group.id))


@bp.post("/groups/<int:group_id>/purchases/<int:user_id>/release")
@admin_required
def release_purchases(group: Group, user_id: int):
    try:
        released = releasing.release_purchases(group, current_user, user_id)
    except PiglistError as exc:
        flash(exc.message, "error")
    else:
        gifts = "gift is" if released == 1 else "gifts are"
        flash(f"{released} {gifts} available again; the others see it now.", "success")
    return redirect(url_for("admin.members", group_id=group.id))


# --- categories --------------------------------------------------------------------------------


def render_categories(
    group: Group,
    form: CategoryForm | None = None,
    editing: Category | None = None,
    edit_form: CategoryForm | None = None,
    status: int = 200,
):
    """The categories page; while a row is being edited it shows that row's form in the table."""
    return render_template(
        "admin/categories.html",
        group=group,
        categories=group.categories,
        form=form or CategoryForm(formdata=None),
        editing=editing,
        edit_form=edit_form,
    ), status


@bp.get("/groups/<int:group_id>/categories")
@admin_required
def categories(group: Group):
    return render_categories(group)


@bp.post("/groups/<int:group_id>/categories")
@admin_required
def create_category(group: Group):
    form = CategoryForm()
    form.written_in = group.currency
    saved, category = save_form(form, lambda: group_categories.create_category(group, form.fields()))
    if saved:
        flash(f"Added {category.name}.", "success")
        return redirect(url_for("admin.categories", group_id=group.id))
    return render_categories(group, form=form, status=422)


@bp.route("/groups/<int:group_id>/categories/<int:category_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_category(group: Group, category_id: int):
    category = group_categories.group_category(group, category_id)
    form = CategoryForm(obj=category)
    form.written_in = group.currency
    saved, _ = save_form(form, lambda: group_categories.update_category(group, category.id, form.fields()))
    if saved:
        flash(f"Saved {category.name}.", "success")
        return redirect(url_for("admin.categories", group_id=group.id))
    return render_categories(group, editing=category, edit_form=form, status=form_status(form))


@bp.post("/groups/<int:group_id>/categories/<int:category_id>/move")
@admin_required
def move_category(group: Group, category_id: int):
    try:
        group_categories.move_category(group, category_id, request.form.get("direction", ""))
    except PiglistError as exc:
        flash(exc.message, "error")
    return redirect(url_for("admin.categories", group_id=group.id))


@bp.post("/groups/<int:group_id>/categories/<int:category_id>/delete")
@admin_required
def delete_category(group: Group, category_id: int):
    try:
        name = group_categories.group_category(group, category_id).name
        group_categories.delete_category(group, category_id)
    except PiglistError as exc:
        flash(exc.message, "error")
    else:
        flash(f"Deleted {name}. Its gifts stay on the lists, without a category.", "success")
    return redirect(url_for("admin.categories", group_id=group.id))
