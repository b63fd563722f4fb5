"""Piglists and gifts on the website.

Thin routes: every rule is the service's, and every gift reaches a template only as the
view dict the surprise rule makes of it (piglist.rules.surprise), never as the ORM row,
so nothing on the owner's pages can depend on a purchase or a viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from piglist.web.forms import form_status, save_form
from piglist.web.idempotency import idempotent
from piglist.web.security import safe_next

from ..errors import NotFound, PiglistError, ValidationFailed
from ..groups.access import member_group, membership
from ..live import PageStart, page_start
from ..live.viewing import leave_gift, view_gift
from ..models import Group
from ..occasions.service import occasion_choices
from ..pictures.uploads import accepts_picture
from ..rules.surprise import may_see, present_gift
from ..rules.values import parse_money
from . import buying, edits, fields, group_gifts, listcache, loading, reading
from .forms import GiftForm
from .rendering import gift_name, hostname, list_title, list_url, owner_list_url, page_context, tile_url

bp = Blueprint("gifts", __name__)

# --- helpers -----------------------------------------------------------------------------------


@bp.app_template_filter("hostname")
def hostname_filter(url: str | None) -> str:
    return hostname(url)


def in_frame() -> bool:
    """Turbo sends this header when a link or form inside a <turbo-frame> loads only that frame."""
    return bool(request.headers.get("Turbo-Frame"))


def gift_in_group(group_id: int, gift_id: int) -> dict[str, Any]:
    return reading.gift_view(gift_id, current_user, group_id)


# --- lists -------------------------------------------------------------------------------------


def lists_of(
    group: Group,
    filters: dict[str, Any],
    members: list,
    looking: dict[int, set[int]] | None,
    page: str | None,
    **flags: Any,
):
    """The lists a page shows, rendered (or taken from the lists' cache) one frame each. ``page``
    is the endpoint whose lists these are (this request's by default): a list frame
    (:func:`piglist_frame`) is stored as the part of the all-lists page it is."""
    context = page_context(group, filters=filters, **flags)

    def render(view: reading.PiglistView) -> str:
        return render_template("gifts/_piglist.html", **context, piglist=view)

    return listcache.lists_html(
        group, current_user, filters, (page or request.endpoint, context["back"]), render, members, looking
    )


def all_lists_query() -> str:
    """The all-lists page's filters as its address carries them, passed on to each list's frame."""
    query = request.query_string.decode()
    return "?" + query if query else ""


@bp.route("/groups/<int:group_id>/piglists")
@login_required
def piglists(group_id: int):
    """An index of whose lists there are, then each list in a frame of its own that loads when it
    comes into view (issue 27: the 8 x 25 family's page was 263 KB and 55,000 px tall on a phone).
    The page reads no gift: the frames do (:func:`piglist_frame`)."""
    live = page_start(group_id, current_user.id, looking=False)
    group, members = reading.group_and_members(group_id, current_user)
    filters = fields.parse_list_filters(request.args)
    shown = reading.in_index_order(members, current_user)
    if filters.get("member"):
        shown = [m for m in shown if m.user_id == filters["member"]]
    return render_template(
        "gifts/piglists.html",
        **page_context(
            group,
            live=live,
            shown=shown,
            query=all_lists_query(),
            filters=filters,
            members=members,
        ),
    )


@bp.route("/groups/<int:group_id>/piglists/<int:user_id>/frame")
@login_required
def piglist_frame(group_id: int, user_id: int):
    """One list of the all-lists page, as that page would hold it, for its lazy <turbo-frame>: the
    same filters, the same buttons coming back to the page, the same stored copy."""
    group, members = reading.group_and_members(group_id, current_user)
    filters = fields.parse_list_filters(request.args)
    back = url_for("gifts.piglists", group_id=group_id) + all_lists_query()
    found = lists_of(group, {**filters, "member": user_id}, members, None, "gifts.piglists", back=back)
    if not found:
        raise NotFound(reading.NOT_A_MEMBER)
    return found[0][1]


def one_list(
    group: Group, members: list, user_id: int, filters: dict[str, Any], live: PageStart, **flags: bool
):
    found = lists_of(group, {**filters, "member": user_id}, members, live.looking, None, **flags)
    if not found:
        raise NotFound(reading.NOT_A_MEMBER)
    return found[0]


@bp.route("/groups/<int:group_id>/piglists/<int:user_id>")
@login_required
def piglist(group_id: int, user_id: int):
    live = page_start(group_id, current_user.id, looking=user_id != current_user.id)
    group, members = reading.group_and_members(group_id, current_user)
    filters = fields.parse_list_filters(request.args)
    owner, shown = one_list(group, members, user_id, filters, live, alone=True)
    return render_template(
        "gifts/piglist.html", **page_context(group, live=live, owner=owner, list_html=shown, filters=filters)
    )


@bp.route("/groups/<int:group_id>/stats")
@login_required
def stats(group_id: int):
    group = member_group(group_id, current_user)
    return render_template("gifts/stats.html", group=group, stats=reading.group_stats(group_id, current_user))


@bp.route("/groups/<int:group_id>/my-piglist")
@login_required
def my_piglist(group_id: int):
    live = page_start(group_id, current_user.id, looking=False)  # one's own list shows nobody
    group, members = reading.group_and_members(group_id, current_user)
    filters = fields.parse_list_filters(request.args)
    _, mine = one_list(group, members, current_user.id, filters, live, edit=True)
    return render_template(
        "gifts/my_piglist.html", **page_context(group, live=live, list_html=mine, filters=filters)
    )


# --- one gift ----------------------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>")
@login_required
def detail(group_id: int, gift_id: int):
    # Who looks at the gift is read with it (never for its owner), not before.
    live = page_start(group_id, current_user.id, looking=False)
    group = member_group(group_id, current_user)
    view = gift_in_group(group_id, gift_id)
    # Showing the page records nothing: a GET never changes state. The page's script says
    # "I'm looking" over the socket (or the POST below), and goodbye when the page goes.
    return render_template("gifts/detail.html", **page_context(group, live=live, view=view))


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/tile")
@login_required
def tile(group_id: int, gift_id: int):
    group = member_group(group_id, current_user)
    view = gift_in_group(group_id, gift_id)
    return render_tile(group, view)


def render_tile(group: Group, view: dict[str, Any], notice: str | None = None, status: int = 200):
    context = page_context(group, view=view, notice=notice, back=safe_next(owner_list_url(group.id, view)))
    return render_template("gifts/_gift_tile.html", **context), status


def connection_id() -> str:
    """The tab's own name for itself, so two tabs of one person are two connections."""
    connection = request.form.get("connection", "")
    if not connection or len(connection) > 64 or not connection.replace("-", "").isalnum():
        raise ValidationFailed("Say which tab is looking ('connection': letters and digits).", "connection")
    return connection


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/viewing", methods=["POST"])
@login_required
def viewing(group_id: int, gift_id: int):
    """The pages' fallback when the socket can't connect: "I'm looking", every ≤ 30 s."""
    view_gift(gift_id, current_user, connection_id(), group_id)
    return "", 204


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/leave", methods=["POST"])
@login_required
def leave(group_id: int, gift_id: int):
    leave_gift(gift_id, current_user, connection_id(), group_id)
    return "", 204


# --- the owner's changes -----------------------------------------------------------------------


def render_form(template: str, group: Group, form: GiftForm, **context: Any):
    return render_template(template, **page_context(group, form=form, **context)), form_status(form)


@bp.route("/groups/<int:group_id>/gifts/add", methods=["GET", "POST"])
@accepts_picture
@login_required
@idempotent
def add(group_id: int):
    group = member_group(group_id, current_user)
    # ``url`` and ``fetch`` come from a shared link (piglist.webapp): the form opens with the link
    # in it and, with JavaScript, fetches its details at once.
    form = GiftForm(
        currency=group.currency, category_id=request.args.get("category", ""), url=request.args.get("url")
    )
    form.offer_choices(group.categories, group.currency, occasion_choices(group, current_user))
    saved, gift = save_form(
        form, lambda: edits.add_gift(group_id, current_user, form.gift_data(), form.picture())
    )
    if saved:
        if gift.scrape_status == "pending":
            flash(
                f"We're fetching the details from {hostname(gift.url)}. You can edit the gift meanwhile.",
                "info",
            )
        else:
            flash(f"“{gift.title}” is on your piglist.", "success")
        return redirect(url_for("gifts.my_piglist", group_id=group_id), 303)
    autofetch = request.method == "GET" and request.args.get("fetch") == "1" and bool(form.url.data)
    return render_form("gifts/add.html", group, form, autofetch=autofetch)


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/edit", methods=["GET", "POST"])
@accepts_picture
@login_required
def edit(group_id: int, gift_id: int):
    group = member_group(group_id, current_user)
    view = gift_in_group(group_id, gift_id)
    gift = loading.own_gift(gift_id, current_user)  # Forbidden for anyone who may not change it
    form = GiftForm() if request.method == "POST" else GiftForm.for_gift(view, gift.image_source)
    form.offer_choices(group.categories, group.currency, occasion_choices(group, current_user))
    next_url = safe_next(_after_change(group_id, view))
    saved, _ = save_form(
        form,
        lambda: edits.update_gift(
            gift_id,
            current_user,
            form.gift_data(),
            expected_updated_at=form.seen_at(),
            picture=form.picture(),
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
        edits.delete_gift(gift_id, current_user)
    except PiglistError as exc:
        flash(exc.message, "error")
        return redirect(safe_next(url_for("gifts.detail", group_id=group_id, gift_id=gift_id)), 303)
    where = "your piglist" if _own_member_gift(view) else f"{list_title(view)}'s list"
    flash(f"“{gift_name(view)}” is removed from {where}.", "success")
    return redirect(_after_change(group_id, view), 303)


def _own_member_gift(view: dict[str, Any]) -> bool:
    return view["owner"] is not None and view["owner"]["id"] == current_user.id


def _after_change(group_id: int, view: dict[str, Any]) -> str:
    """Back to the list after an edit or a removal: one's own piglist in edit mode, or the list
    the gift is on (a child's list one keeps, an idea on someone else's)."""
    if _own_member_gift(view):
        return url_for("gifts.my_piglist", group_id=group_id)
    return list_url(group_id, view)


# --- buying ------------------------------------------------------------------------------------


def gift_action(group_id: int, gift_id: int, action: Callable, done: Callable[[dict[str, Any]], str]):
    """Buy or undo. Inside a tile's frame the answer is the tile itself, with any error written in
    it; without JavaScript, a flash and the page the button was on. ``action(gift_id, buyer,
    group_id)`` finds the gift (a missing one is a missing page), changes it and returns it as
    saved, which is all the messages need: nothing is read again."""
    # Held here, the membership stays in the session: a refusal's tile reads the gift again, and
    # its membership check then needs no query.
    member = membership(group_id, current_user)
    group = member.group
    default = url_for("gifts.detail", group_id=group_id, gift_id=gift_id)
    try:
        # The user itself, not Flask-Login's proxy: a new purchase holds on to its buyer.
        gift = action(gift_id, current_user._get_current_object(), group_id)
    except loading.NoSuchGift:
        raise
    except PiglistError as exc:
        if in_frame():
            return render_tile(group, gift_in_group(group_id, gift_id), notice=exc.message, status=exc.status)
        flash(exc.message, "error")
        return redirect(safe_next(default), 303)
    view = present_gift(gift, current_user)  # for the messages: the gift's name, its owner's
    if not may_see(gift, current_user):
        # Undoing a gift its owner had removed: it is gone from every list now, so back to the
        # list (from a tile's frame too: that answer lacks the frame and shows as the page).
        flash(done(view), "success")
        return redirect(list_url(group_id, view), 303)
    if in_frame():
        return redirect(tile_url(group_id, gift_id, safe_next(default)), 303)
    flash(done(view), "success")
    return redirect(safe_next(default), 303)


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/purchase", methods=["POST"])
@login_required
@idempotent
def purchase(group_id: int, gift_id: int):
    quantity = request.form.get("quantity")
    return gift_action(
        group_id,
        gift_id,
        lambda gift_id, buyer, group_id: buying.purchase(gift_id, buyer, quantity, group_id),
        lambda view: f"You bought “{gift_name(view)}”. {list_title(view)} won't see that.",
    )


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/unpurchase", methods=["POST"])
@login_required
def unpurchase(group_id: int, gift_id: int):
    def done(view: dict[str, Any]) -> str:
        if view.get("removed"):
            return f"Undone. {list_title(view)} had removed “{gift_name(view)}”, so it's gone now."
        return f"Undone: “{gift_name(view)}” is available again."

    return gift_action(group_id, gift_id, buying.unpurchase, done)


# --- chipping in (SPEC §10.3) -------------------------------------------------------------------


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/group-gift", methods=["POST"])
@login_required
def start_group_gift(group_id: int, gift_id: int):
    return gift_action(
        group_id,
        gift_id,
        group_gifts.start,
        lambda view: f"You're organising “{gift_name(view)}” together. Pledge what you'd like to put in.",
    )


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/group-gift/cancel", methods=["POST"])
@login_required
def cancel_group_gift(group_id: int, gift_id: int):
    return gift_action(
        group_id,
        gift_id,
        group_gifts.cancel,
        lambda view: f"Chipping in for “{gift_name(view)}” is called off.",
    )


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/pledge", methods=["POST"])
@login_required
@idempotent
def pledge(group_id: int, gift_id: int):
    written = request.form.get("amount")

    def pledge_written(gift_id: int, pledger: Any, group_id: int):
        # Read as the group writes amounts ("12,50" in EUR); the API takes "12.50" only.
        currency = membership(group_id, current_user).group.currency
        amount = parse_money(written, "amount", required=True, written_in=currency)
        return group_gifts.pledge(gift_id, pledger, amount, group_id)

    return gift_action(
        group_id,
        gift_id,
        pledge_written,
        lambda view: (
            f"Your pledge toward “{gift_name(view)}” is saved. {view['owner']['display_name']} won't see it."
        ),
    )


@bp.route("/groups/<int:group_id>/gifts/<int:gift_id>/pledge/withdraw", methods=["POST"])
@login_required
def withdraw_pledge(group_id: int, gift_id: int):
    return gift_action(
        group_id,
        gift_id,
        group_gifts.withdraw,
        lambda view: f"Your pledge toward “{gift_name(view)}” is withdrawn.",
    )
