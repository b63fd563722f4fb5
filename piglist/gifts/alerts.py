"""Purchaser alerts: when the owner changes the price, link or options of a gift someone has
bought (or pledged toward, SPEC §10.3), or deletes it, each purchaser gets one mail saying what
changed.

The owner's change records a pending alert per purchaser and gift (a row holding the gift as it
was before the first change); housekeeping sends each one ``ALERT_DELAY_SECONDS`` after that
first change, comparing with the gift as it is by then. So a burst of edits makes one mail, and
an edit undone within the window makes none. Who may be told is the surprise rule's decision
(:func:`piglist.rules.surprise.purchase_alert_recipients`): never the owner. A purchaser who
turned alerts off on their profile, or has undone their purchase since, gets nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, delete, select
from sqlalchemy.exc import IntegrityError

from piglist.rules.money import format_money
from piglist.stores import jobs, mail

from ..extensions import db
from ..models import Gift, PurchaseAlert, User, utcnow
from ..rules.surprise import purchase_alert_recipients

log = logging.getLogger(__name__)

BATCH = 100  # alerts queued per housekeeping round


def snapshot(gift: Gift) -> dict[str, Any]:
    """What a purchaser is told about when it changes, as JSON."""
    return {
        "price": None if gift.price is None else str(gift.price),
        "currency": gift.currency,
        "url": gift.url,
        "options": dict(gift.options or {}),
    }


def note_change(gift: Gift, before: dict[str, Any]) -> None:
    """Called inside the owner's change (edit or delete), before it commits: a pending alert for
    each purchaser who may be told, unless one is already waiting (it keeps the older "before")."""
    if gift.deleted_at is None and snapshot(gift) == before:
        return
    recipients = purchase_alert_recipients(gift)
    if not recipients:
        return
    due_at = utcnow() + timedelta(seconds=current_app.config["ALERT_DELAY_SECONDS"])
    base_url = mail.site_url()
    for user in recipients:
        waiting = select(PurchaseAlert.id).where(
            PurchaseAlert.user_id == user.id, PurchaseAlert.gift_id == gift.id
        )
        if db.session.scalar(waiting) is not None:
            continue
        try:
            with db.session.begin_nested():
                db.session.add(
                    PurchaseAlert(
                        user_id=user.id, gift_id=gift.id, before=before, base_url=base_url, due_at=due_at
                    )
                )
        except IntegrityError:
            pass  # a simultaneous change recorded it first; one alert is the point


def queue_due_alerts() -> int:
    """Queue the mail of each alert whose time has come. Each row is claimed by deleting it, so
    two processes doing this at once never send one alert twice; a row whose job can't be queued
    stays for the next round."""
    due = db.session.scalars(
        select(PurchaseAlert)
        .where(PurchaseAlert.due_at <= utcnow())
        .order_by(PurchaseAlert.due_at)
        .limit(BATCH)
    ).all()
    queued = 0
    for alert in due:
        args = (alert.user_id, alert.gift_id, alert.before, alert.base_url)
        deleted = cast(
            CursorResult, db.session.execute(delete(PurchaseAlert).where(PurchaseAlert.id == alert.id))
        )
        claimed = deleted.rowcount == 1
        if claimed and mail.queue(send_purchase_alert, *args):
            db.session.commit()
            queued += 1
        else:
            db.session.rollback()
    return queued


def describe_changes(before: dict[str, Any], gift: Gift) -> list[str]:
    """One line per change, in the words of the mail."""
    now = snapshot(gift)
    lines = []
    if (before["price"], before["currency"]) != (now["price"], now["currency"]):
        old, new = (_money(state) for state in (before, now))
        lines.append(f"Price: {old} → {new}")
    if before["url"] != now["url"]:
        lines.append(f"Link: now {now['url']}" if now["url"] else "Link: removed")
    old_options, new_options = before["options"], now["options"]
    for name in sorted(set(old_options) | set(new_options), key=str):
        old, new = old_options.get(name), new_options.get(name)
        if old != new:
            lines.append(f"{name}: {_option(old)} → {_option(new)}")
    return lines


def _money(state: dict[str, Any]) -> str:
    return "none" if state["price"] is None else format_money(Decimal(state["price"]), state["currency"])


def _option(value: Any) -> str:
    return "none" if value in (None, "") else str(value)


@jobs.job
def send_purchase_alert(user_id: int, gift_id: int, before: dict[str, Any], base_url: str) -> None:
    user = db.session.get(User, user_id)
    gift = db.session.get(Gift, gift_id)
    if user is None or gift is None or not user.purchase_alerts:
        return
    # Asked again now: the purchase may have been undone, and the owner is never told.
    if user.id not in {recipient.id for recipient in purchase_alert_recipients(gift)}:
        return
    removed = gift.deleted_at is not None
    changes = [] if removed else describe_changes(before, gift)
    if not removed and not changes:
        return  # changed and changed back within the window
    # Who the list is for: a member, a couple, or a child whose parents keep it.
    owner = gift.piglist.title
    title = gift.title or gift.url or "a gift"
    # Told as a pledger while the group gift is open (piglist.gifts.group_gifts); once bought
    # together, the pledgers are its purchasers.
    pledged = not gift.bought_by(user.id)
    which = "which you are chipping in for" if pledged else "which you bought"
    subject = f"{owner} {'removed' if removed else 'changed'} “{title}”, {which}"
    message = mail.compose(
        "purchase_alert",
        to=user.email,
        subject=subject,
        base_url=base_url,
        user=user,
        owner=owner,
        gift=gift,
        title=title,
        removed=removed,
        pledged=pledged,
        changes=changes,
        gift_url=mail.link(base_url, "gifts.detail", group_id=gift.piglist.group_id, gift_id=gift.id),
    )
    mail.deliver(message)
