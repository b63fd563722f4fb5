"""The background job that fills a gift in from its link: fetch through the scraper library
(via piglist.scraping.service's cache), then write what was found onto the gift under the same rules
as any change — the list's row lock, the limits, the change event.

A scrape may finish a gift on a list that has frozen since it was added (piglist.rules.lock
says why): it only fills fields still empty and never a price over a limit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from piglist.errors import (
    CurrencyUnconvertible,
    MaxItemPriceExceeded,
    SpendingLimitExceeded,
    ValidationFailed,
)
from piglist.extensions import db
from piglist.gifts.fields import MAX_DESCRIPTION, clean_description
from piglist.gifts.loading import lock_category, lock_list
from piglist.gifts.pictures import enqueue_picture_fetch
from piglist.live import feed
from piglist.models import Gift, Piglist, utcnow
from piglist.rules import limits
from piglist.rules.money import format_money
from piglist.rules.values import clean_text, parse_currency, parse_money, parse_web_url
from piglist.scraper.fetch import FetchError
from piglist.scraping.service import (
    PENDING_TOO_LONG,
    SCRAPE_RETRIES,
    UNREADABLE,
    RenderNeeded,
    exclusive,
    mark_once,
    previewed_product,
    scrape_url,
)
from piglist.stores import jobs, metrics

log = logging.getLogger(__name__)

# What the owner fills in and edits; a scrape that changes none of them leaves updated_at alone.
OWNER_FIELDS = ("title", "description", "image_url", "price", "currency")


# Longer than one try (the fetch stops at 10 s): a lock left by a killed worker lapses by then,
# and the job's own retry takes it over at once (its id is the lock's token).
SCRAPE_LOCK_SECONDS = 60


def enqueue_gift_scrape(gift_id: int, owner_id: int | None) -> str:
    return jobs.enqueue(scrape_gift, gift_id, retries=SCRAPE_RETRIES, person_id=owner_id)


def enqueue_gift_render(gift_id: int) -> str:
    return jobs.enqueue(scrape_gift, gift_id, True, retries=SCRAPE_RETRIES, queue=jobs.RENDER_QUEUE)


@jobs.job
def scrape_gift(gift_id: int, render: bool = False) -> str:
    """Fill a pending gift from its page. Only fields still empty are filled: whatever the owner
    typed in meanwhile wins. A transient failure is retried; a permanent one (or the last retry)
    leaves ``failed`` with the reason, for the owner to fill in by hand. One scrape per gift
    runs at a time: a duplicate job (re-queued after a crash) finding it running steps aside.
    A page that builds its product with JavaScript is handed to the render queue (``render``)."""
    with exclusive(f"scrape-gift:{gift_id}", SCRAPE_LOCK_SECONDS, jobs.current_job_id()) as mine:
        if not mine:
            log.info("scrape of gift %s is already running; this one steps aside", gift_id)
            return "skipped"
        outcome = _scrape_gift(gift_id, render)
    if outcome == "rendering":
        # Queued once the lock is let go: the render job takes it too, and may start at once.
        enqueue_gift_render(gift_id)
    return outcome


def _scrape_gift(gift_id: int, render: bool = False) -> str:
    gift = db.session.get(Gift, gift_id)
    if gift is None or gift.scrape_status != "pending" or gift.deleted_at is not None or not gift.url:
        return "skipped"
    url = gift.url
    db.session.close()  # no transaction stays open while the shop takes its time
    try:
        found = scrape_url(url, render=render)
    except RenderNeeded:
        return "rendering"
    except FetchError as exc:
        if exc.transient and jobs.retries_left() > 0:
            log.info("scrape of gift %s will be retried: %s", gift_id, exc.reason)
            metrics.SCRAPES.labels("retried", type(exc).__name__).inc()
            raise jobs.Retry(exc.reason) from exc
        metrics.SCRAPES.labels("failed", type(exc).__name__).inc()
        return apply_scrape(gift_id, None, exc.reason)
    except Exception:
        # A page the extractor chokes on must not leave the gift pending for ever.
        log.exception("scrape of gift %s failed", gift_id)
        metrics.SCRAPES.labels("failed", "Unreadable").inc()
        return apply_scrape(gift_id, None, UNREADABLE)
    metrics.SCRAPES.labels("success", "").inc()
    return apply_scrape(gift_id, found, None)


def requeue_stale_scrapes() -> int:
    """Gifts left ``pending`` too long (a worker died mid-job) are queued again, once per
    window. The gift itself is not touched: moving ``updated_at`` would make the owner's open
    edit form report a conflict over nothing."""
    cutoff = utcnow() - PENDING_TOO_LONG
    stale = db.session.execute(
        select(Gift.id, Piglist.user_id)
        .join(Piglist, Piglist.id == Gift.piglist_id)
        .where(Gift.scrape_status == "pending", Gift.updated_at < cutoff, Gift.deleted_at.is_(None))
    ).all()
    window = int(PENDING_TOO_LONG.total_seconds())
    requeued = 0
    for gift_id, owner_id in stale:
        if mark_once(f"requeued-gift:{gift_id}", window):
            enqueue_gift_scrape(gift_id, owner_id)
            requeued += 1
    return requeued


# Gifts an operator's rescrape fetches again: those fetched before, successfully or not. A gift
# typed in by hand was never meant to be fetched, and a pending one is already queued.
RESCRAPED_STATUSES = ("success", "failed")


def rescrape_candidates(
    *, failed_only: bool = False, older_than: timedelta | None = None, group_id: int | None = None
) -> list[int]:
    """The live gifts with a link that ``flask piglist rescrape`` would fetch again: only failed
    ones with ``failed_only``, only those unchanged for ``older_than``, only in ``group_id``."""
    query = (
        select(Gift.id)
        .join(Gift.piglist)
        .where(
            Gift.deleted_at.is_(None),
            Gift.url.is_not(None),
            Gift.scrape_status.in_(("failed",) if failed_only else RESCRAPED_STATUSES),
        )
    )
    if older_than is not None:
        query = query.where(Gift.updated_at < utcnow() - older_than)
    if group_id is not None:
        query = query.where(Piglist.group_id == group_id)
    return list(db.session.scalars(query.order_by(Gift.id)))


def rescrape_gift(gift_id: int) -> bool:
    """Set the gift pending again (its tile shows it being fetched, live) and queue its scrape,
    which fills only fields still empty. False when it changed meanwhile (deleted, or queued)."""
    gift = db.session.get(Gift, gift_id)
    if gift is None:
        return False
    lock_list(gift.piglist_id)  # not in the middle of an owner's edit
    db.session.refresh(gift)
    if gift.deleted_at is not None or not gift.url or gift.scrape_status not in RESCRAPED_STATUSES:
        db.session.rollback()
        return False
    owner_id = gift.piglist.user_id
    gift.scrape_status, gift.scrape_error, gift.updated_at = "pending", None, utcnow()
    feed.emit("gift_updated", gift)
    db.session.commit()
    enqueue_gift_scrape(gift_id, owner_id)
    return True


def apply_scrape(gift_id: int, found: Mapping[str, Any] | None, error: str | None) -> str:
    """Fill a pending gift with what the scraper found; only fields still empty are filled, so
    whatever the owner typed meanwhile wins. Scraped text is untrusted: it is cleaned like any
    input and always escaped on output."""
    gift = db.session.get(Gift, gift_id)
    if gift is None or gift.scrape_status != "pending":
        return "skipped"
    group = gift.piglist.group
    piglist = lock_list(gift.piglist_id)
    db.session.refresh(gift)
    if gift.scrape_status != "pending" or gift.deleted_at is not None:
        return "skipped"
    category = lock_category(group, gift.category_id)
    before = {name: getattr(gift, name) for name in OWNER_FIELDS}
    if found is None:
        gift.scrape_status, gift.scrape_error = "failed", (error or "We couldn't read that page.")[:255]
    else:
        gift.scrape_status, gift.scrape_error = "success", None
        _fill_empty_fields(gift, found)
        price, currency = _scraped_money(found)
        if gift.price is None and price is not None:
            candidate: dict[str, Any] = {
                "price": price,
                "currency": currency or group.currency,
                "quantity": gift.quantity,
            }
            try:
                limits.check_gift(group, piglist, category, candidate, gift.id, idea=gift.is_idea)
            except (MaxItemPriceExceeded, SpendingLimitExceeded, CurrencyUnconvertible) as exc:
                gift.scrape_error = f"The shop's price ({format_money(price, candidate['currency'])}) wasn't filled in: {exc.message}"[
                    :255
                ]
            else:
                gift.price, gift.currency = price, candidate["currency"]
        _fill_regular_price(gift, found, price, currency)
    if any(getattr(gift, name) != value for name, value in before.items()):
        # Only a change to what the owner edits moves it (an open edit form then says so).
        gift.updated_at = utcnow()
    feed.emit("gift_updated", gift)
    db.session.commit()
    if gift.image_source:
        enqueue_picture_fetch(gift.id)
    return gift.scrape_status


def _fill_empty_fields(gift: Gift, found: Mapping[str, Any]) -> None:
    # Scraped options are the shop's choices (every size); the gift's options are the owner's
    # pick, so they are offered on the form, never filled in.
    cleaners = {
        "title": lambda v: clean_text(str(v)[:255], "title", max_length=255, required=False),
        "description": lambda v: clean_description(str(v)[:MAX_DESCRIPTION]),
    }
    for name, clean in cleaners.items():
        if getattr(gift, name) or not found.get(name):
            continue
        try:
            setattr(gift, name, clean(found[name]))
        except ValidationFailed:
            log.info("scraped %s of gift %s ignored", name, gift.id)
    # The shop's picture is a link for the worker to fetch (piglist.gifts.pictures), never shown.
    if found.get("image_url") and not (gift.image_url or gift.image_source):
        try:
            gift.image_source = parse_web_url(found["image_url"], "image_url")
        except ValidationFailed:
            log.info("scraped picture of gift %s ignored", gift.id)


def _fill_regular_price(
    gift: Gift, found: Mapping[str, Any], price: Decimal | None, currency: str | None
) -> None:
    """The shop's price before its discount, only when the gift has none yet and its price is the
    shop's price (filled now, or typed the same): beside a price of the owner's own it would
    announce a discount that isn't there."""
    if gift.regular_price is not None or price is None or gift.price != price:
        return
    if currency is not None and gift.currency != currency:
        return
    try:
        regular = parse_money(found.get("regular_price"), "regular_price")
    except ValidationFailed:
        return
    if regular is not None and regular > price:
        gift.regular_price = regular


def regular_price_from_preview(gift: Gift) -> None:
    """A gift saved with what "Fetch details" filled in is not scraped again, but its link was
    read moments ago and the shop's answer is in the 24-hour cache: its regular price is set from
    there under the same rule as a scrape's, so the gift shows the struck-through price just as
    one saved from the bare link does. Nothing the owner typed counts as a regular price, and only a
    preview the person saving it asked for counts (service.previewed_product)."""
    if gift.url is None or gift.price is None or gift.added_by_id is None:
        return
    found = previewed_product(gift.added_by_id, gift.url)
    if found is not None:
        price, currency = _scraped_money(found)
        _fill_regular_price(gift, found, price, currency)


def _scraped_money(found: Mapping[str, Any]) -> tuple[Decimal | None, str | None]:
    try:
        price = parse_money(found.get("price"), "price")
        currency = parse_currency(found.get("currency")) if found.get("currency") else None
    except ValidationFailed:
        return None, None
    return price, currency
