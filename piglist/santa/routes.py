"""The Secret Santa pages: a group's exchanges (and, for admins, setting one up), one exchange
with the caller's own name to open, the draw button, and the two anonymous threads.

Thin: every rule is the services' (piglist.santa.exchanges, .messages) and what a page may show
of who drew whom is piglist.santa.secrecy's, exactly as for the API.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from piglist.web.forms import apply_error, form_status, save_form

from ..errors import NotFound, PiglistError
from ..groups import access
from ..live import page_start
from . import exchanges, messages, secrecy
from .forms import DrawForm, ExchangeForm, MessageForm, OpenForm

bp = Blueprint("santa", __name__)


def _in_group(exchange_id: int, group_id: int):
    exchange, member = exchanges.member_exchange(exchange_id, current_user)
    if exchange.group_id != group_id:
        raise NotFound(exchanges.NO_EXCHANGE)
    return exchange, member


@bp.route("/groups/<int:group_id>/exchanges", methods=["GET", "POST"])
@login_required
def exchanges_page(group_id: int):
    me = access.membership(group_id, current_user)
    form = ExchangeForm()
    form.written_in = me.group.currency
    form.offer(access.group_members(me.group))
    if form.is_submitted():
        group = access.admin_group(group_id, current_user)
        saved, exchange = save_form(
            form, lambda: exchanges.create_exchange(group, current_user, form.setup())
        )
        if saved:
            flash(f"{exchange.name} is set up. Draw the names when everyone is in.", "success")
            return redirect(url_for("santa.exchange", group_id=group_id, exchange_id=exchange.id))
    views = [
        secrecy.present_exchange(exchange, current_user, is_admin=me.is_admin)
        for exchange in exchanges.group_exchanges(me.group)
    ]
    return render_template(
        "santa/exchanges.html", group=me.group, me=me, exchanges=views, form=form
    ), form_status(form)


def render_exchange(exchange, member, message_form: MessageForm | None = None, status: int = 200):
    # Before the data: a message written meanwhile is then replayed to the page (piglist.live).
    live = page_start(exchange.group_id, current_user.id, looking=False)
    view = secrecy.present_exchange(exchange, current_user, is_admin=member.is_admin)
    mine = exchanges.participation(exchange, current_user)
    opened = mine is not None and mine.opened_at is not None
    return render_template(
        "santa/exchange.html",
        group=member.group,
        me=member,
        exchange=view,
        live=live,
        opened=opened,
        recipient=view["my_recipient"] if opened else None,
        lines=messages.thread(exchange, current_user) if mine is not None else [],
        draw_form=DrawForm(formdata=None),
        open_form=OpenForm(formdata=None),
        message_form=message_form or MessageForm(formdata=None),
    ), status


@bp.route("/groups/<int:group_id>/exchanges/<int:exchange_id>")
@login_required
def exchange(group_id: int, exchange_id: int):
    return render_exchange(*_in_group(exchange_id, group_id))


@bp.post("/groups/<int:group_id>/exchanges/<int:exchange_id>/open")
@login_required
def open_mine(group_id: int, exchange_id: int):
    found, _ = _in_group(exchange_id, group_id)
    if OpenForm().validate_on_submit():
        exchanges.open_assignment(found, current_user)
    return redirect(url_for("santa.exchange", group_id=group_id, exchange_id=exchange_id))


@bp.post("/groups/<int:group_id>/exchanges/<int:exchange_id>/draw")
@login_required
def draw(group_id: int, exchange_id: int):
    _in_group(exchange_id, group_id)
    form = DrawForm()
    if form.validate_on_submit():
        try:
            exchanges.draw_exchange(exchange_id, current_user, redraw=form.redraw.data == "1")
            flash("The names are drawn. Everyone taking part gets a mail to open theirs.", "success")
        except PiglistError as exc:
            if exc.status in (401, 403, 404):
                raise
            flash(exc.message, "error")
    return redirect(url_for("santa.exchange", group_id=group_id, exchange_id=exchange_id))


@bp.post("/groups/<int:group_id>/exchanges/<int:exchange_id>/messages")
@login_required
def send_message(group_id: int, exchange_id: int):
    found, member = _in_group(exchange_id, group_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            messages.send(found, current_user, {"to": form.to.data, "body": form.body.data})
        except PiglistError as exc:
            if exc.status in (401, 403, 404):
                raise
            apply_error(form, exc)
            return render_exchange(found, member, form, 422)
        flash("Sent.", "success")
    return redirect(
        url_for("santa.exchange", group_id=group_id, exchange_id=exchange_id, _anchor="questions")
    )
