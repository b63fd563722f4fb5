"""Piglists and gifts on the website.

Thin routes: every rule is the service's, and every gift reaches a template only as the
view dict the surprise rule makes of it (piglist.rules.surprise), never as the ORM row,
so nothing on the owner's pages can depend on a purchase or a viewer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..errors import PiglistError
from ..forms import form_status, save_form
from ..groups.service import group_members, member_group
from ..models import Category, Group
from ..rules.surprise import may_see, tile_state
from ..security import safe_next
from . import fields, live, loading, reading, writes
from .forms import GiftForm
from .reading import PiglistView

bp = Blueprint("gifts", __name__)

# --- helpers -----------------------------------------------------------------------------------


@bp.app_template_filter("hostname")
def hostname(url: str | None) -> str:
    return (urlsplit(url).hostname or "") if url else ""


def gift_name(view: Mapping[str, Any]) -> str:
    return view["title"] or hostname(view["url"]) or "This gift"


def here() -> str:
    """This page's path and query, for buttons that come back to it."""
    query = request.query_string.decode()
    return request.path + ("?" + query if query else "")


def in_frame() -> bool:
    """Turbo sends this header when a link or form inside a <turbo-frame> loads only that frame."""
    return bool(request.headers.get("Turbo-Frame"))


def gift_in_group(group_id: int, gift_id: int) -> dict[str, Any]:
    return reading.gift_view(gift_id, current_user, group_id)


class GiftRoles(NamedTuple):
    """How the viewer stands to one gift, as its templates need it."""

    state: str | None  # tile_state: None on the viewer's own gift
    mine: bool
    bought_by_me: bool


def gift_roles(view: Mapping[str, Any]) -> GiftRoles:
    """One set-up for the tile and the gift page (a Jinja macro can only return markup)."""
    state = tile_state(view)
    buyer = view.get("purchased_by")
    return GiftRoles(
        state=state,
        mine=view["owner"]["id"] == current_user.id,
        bought_by_me=state == "purchased" and buyer is not None and buyer["id"] == current_user.id,
    )


@dataclass
class Section:
    """One category's part of a list; ``totals`` is set only on the owner's own list."""

    category: Category | None
    gifts: list[dict[str, Any]]
    totals: dict[str, Any] | None


def sections(piglist: PiglistView, categories: Iterable[Category], *, everything: bool) -> list[Section]:
    """A list's gifts grouped by category in display order, then "Other wishes". The service's
    sort order holds inside each group. ``everything`` keeps empty categories (edit mode)."""
    mine = piglist.user.id == current_user.id
    totals = {t["category_id"]: t for t in piglist.totals} if mine else {}
    known = set()
    result = []
    for category in categories:
        known.add(category.id)
        gifts = [g for g in piglist.gifts if g["category_id"] == category.id]
        if gifts or everything:
            result.append(Section(category, gifts, totals.get(category.id)))
    rest = [g for g in piglist.gifts if g["category_id"] not in known]
    if rest:
        result.append(Section(None, rest, None))
    return result


def page_context(group: Group, **context: Any) -> dict[str, Any]:
    """What every gift template uses; the categories are read once per page, whatever it shows."""
    categories = list(group.categories)
    return {
        "group": group,
        "categories": categories,
        "category_names": {c.id: c.name for c in categories},
        "sections": lambda piglist, everything=False: sections(piglist, categories, everything=everything),
        "gift_name": gift_name,
        "gift_roles": gift_roles,
        "tile_url": tile_url,
        "back": here(),
        **context,
    }


def tile_url(group_id: int, gift_id: int, back: str) -> str:
    return url_for("gifts.tile", group_id=group_id, gift_id=gift_id) + "?" + urlencode({"next": back})


# --- lists -------------------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/piglists")
@login_required
def piglists(group_id: int):
    group = member_group(group_id, current_user)
    filters = fields.parse_list_filters(request.args)
    lists = reading.group_piglists(group_id, current_user, filters)
    return render_template(
        "gifts/piglists.html",
        **page_context(group, lists=lists, filters=filters, members=group_members(group)),
    )


@bp.route("/groups/<int:group_id>/piglists/<int:user_id>")
@login_required
def piglist(group_id: int, user_id: int):
    group = member_group(group_id, current_user)
    filters = fields.parse_list_filters(request.args)
    shown = reading.one_piglist(group_id, user_id, current_user, filters)
    return render_template("gifts/piglist.html", **page_context(group, piglist=shown, filters=filters))


@bp.route("/groups/<int:group_id>/my-piglist")
@login_required
def my_piglist(group_id: int):
    group = member_group(group_id, current_user)
    filters = fields.parse_list_filters(request.args)
    mine = reading.one_piglist(group_id, current_user.id, current_user, filters)
    return render_template("gifts/my_piglist.html", **page_context(group, piglist=mine, filters=filters))


# --- one gift ----------------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>")
@login_required
def detail(group_id: int, gift_id: int):
    group = member_group(group_id, current_user)
    view = gift_in_group(group_id, gift_id)
    connection = None
    # Opening someone else's gift page is what "viewing" means (nobody views their own wish);
    # Turbo's hover prefetches and frame refreshes are not someone opening it. The page's
    # script keeps this connection alive.
    theirs = view["owner"]["id"] != current_user.id
    if theirs and not in_frame() and request.headers.get("X-Sec-Purpose") != "prefetch":
        connection = secrets.token_hex(8)
        live.view_gift(gift_id, current_user, connection)
    return render_template("gifts/detail.html", **page_context(group, view=view, connection=connection))


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/tile")
@login_required
def tile(group_id: int, gift_id: int):
    group = member_group(group_id, current_user)
    view = gift_in_group(group_id, gift_id)
    return render_tile(group, view)


def render_tile(group: Group, view: dict[str, Any], notice: str | None = None, status: int = 200):
    default = url_for("gifts.piglist", group_id=group.id, user_id=view["owner"]["id"])
    context = page_context(group, view=view, notice=notice, back=safe_next(default))
    return render_template("gifts/_gift_tile.html", **context), status


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/leave", methods=["POST"])
@login_required
def leave(group_id: int, gift_id: int):
    gift_in_group(group_id, gift_id)
    live.leave_gift(gift_id, current_user, request.form.get("connection", "")[:64])
    return "", 204


# --- the owner's changes -----------------------------------------------------------------------


def render_form(template: str, group: Group, form: GiftForm, **context: Any):
    return render_template(template, **page_context(group, form=form, **context)), form_status(form)


@bp.route("/groups/<int:group_id>/gifts/add", methods=["GET", "POST"])
@login_required
def add(group_id: int):
    group = member_group(group_id, current_user)
    form = GiftForm(currency=group.currency, category_id=request.args.get("category", ""))
    form.offer_categories(group.categories)
    saved, gift = save_form(form, lambda: writes.add_gift(group_id, current_user, form.gift_data()))
    if saved:
        if gift.scrape_status == "pending":
            flash(
                f"We're fetching the details from {hostname(gift.url)}. You can edit the gift meanwhile.",
                "info",
            )
        else:
            flash(f"“{gift.title}” is on your piglist.", "success")
        return redirect(url_for("gifts.my_piglist", group_id=group_id), 303)
    return render_form("gifts/add.html", group, form)


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/edit", methods=["GET", "POST"])
@login_required
def edit(group_id: int, gift_id: int):
    group = member_group(group_id, current_user)
    view = gift_in_group(group_id, gift_id)
    loading.own_gift(gift_id, current_user)  # Forbidden for anyone but the owner
    form = GiftForm() if request.method == "POST" else GiftForm.for_gift(view)
    form.offer_categories(group.categories)
    next_url = safe_next(url_for("gifts.my_piglist", group_id=group_id))
    saved, _ = save_form(
        form,
        lambda: writes.update_gift(
            gift_id, current_user, form.gift_data(), expected_updated_at=form.seen_at()
        ),
    )
    if saved:
        flash("Your changes are saved.", "success")
        return redirect(next_url, 303)
    return render_form("gifts/edit.html", group, form, view=view, next_url=next_url)


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/delete", methods=["POST"])
@login_required
def delete(group_id: int, gift_id: int):
    view = gift_in_group(group_id, gift_id)
    try:
        writes.delete_gift(gift_id, current_user)
    except PiglistError as exc:
        flash(exc.message, "error")
        return redirect(safe_next(url_for("gifts.detail", group_id=group_id, gift_id=gift_id)), 303)
    flash(f"“{gift_name(view)}” is removed from your piglist.", "success")
    return redirect(url_for("gifts.my_piglist", group_id=group_id), 303)


# --- buying ------------------------------------------------------------------------------------


def gift_action(group_id: int, gift_id: int, action: Callable, done: Callable[[dict[str, Any]], str]):
    """Buy or undo. Inside a tile's frame the answer is the tile itself, with any error written in
    it; without JavaScript, a flash and the page the button was on."""
    group = member_group(group_id, current_user)
    before = gift_in_group(group_id, gift_id)
    default = url_for("gifts.detail", group_id=group_id, gift_id=gift_id)
    try:
        gift = action(gift_id, current_user)
    except PiglistError as exc:
        if in_frame():
            return render_tile(group, gift_in_group(group_id, gift_id), notice=exc.message, status=exc.status)
        flash(exc.message, "error")
        return redirect(safe_next(default), 303)
    if not may_see(gift, current_user):
        # Undoing a gift its owner had removed: it is gone from every list now, so back to the
        # list (from a tile's frame too: that answer lacks the frame and shows as the page).
        flash(done(before), "success")
        return redirect(url_for("gifts.piglist", group_id=group_id, user_id=before["owner"]["id"]), 303)
    if in_frame():
        return redirect(tile_url(group_id, gift_id, safe_next(default)), 303)
    flash(done(before), "success")
    return redirect(safe_next(default), 303)


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/purchase", methods=["POST"])
@login_required
def purchase(group_id: int, gift_id: int):
    return gift_action(
        group_id,
        gift_id,
        writes.purchase,
        lambda view: f"You bought “{gift_name(view)}”. {view['owner']['display_name']} won't see that.",
    )


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/unpurchase", methods=["POST"])
@login_required
def unpurchase(group_id: int, gift_id: int):
    def done(view: dict[str, Any]) -> str:
        if view.get("removed"):
            return (
                f"Undone. {view['owner']['display_name']} had removed “{gift_name(view)}”, so it's gone now."
            )
        return f"Undone: “{gift_name(view)}” is available again."

    return gift_action(group_id, gift_id, writes.unpurchase, done)
