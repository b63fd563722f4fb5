"""A gift's picture. The owner uploads one (re-encoded in the request) or gives a link (kept in
``image_source`` until the worker has fetched it); a scrape's picture is a link like any other.
Either way ``image_url`` only ever names a picture Piglist serves itself (piglist.pictures)."""

from __future__ import annotations

import logging
from typing import Any

from limits import RateLimitItemPerMinute
from sqlalchemy import select

from piglist.stores import jobs

from ..errors import ValidationFailed
from ..extensions import db
from ..live import feed
from ..models import Gift, Piglist, User, utcnow
from ..pictures import access, store
from ..pictures.encoding import Encoded, PictureRefused, reencode_aside
from ..pictures.fetching import fetch_picture
from ..rules import budgets
from ..scraper.fetch import FetchError
from .loading import lock_list

log = logging.getLogger(__name__)

PICTURE_RETRIES = 3
UPLOADS_PER_MINUTE = RateLimitItemPerMinute(10)
UNCHANGED: dict[str, Any] = {}


def encode_upload(data: bytes | None, owner: User) -> Encoded | None:
    """An uploaded picture, re-encoded; a clear 422 for anything that isn't a usable picture.
    Decoding costs a web worker a moment of its CPU: each upload spends ``owner``'s budget."""
    if data is None:
        return None
    budgets.spend(
        UPLOADS_PER_MINUTE,
        "picture-upload",
        owner,
        f"You've uploaded {UPLOADS_PER_MINUTE.amount} pictures in the last minute. "
        "Wait {wait} seconds and try again.",
    )
    try:
        return reencode_aside(data)
    except PictureRefused as exc:
        raise ValidationFailed(exc.reason, "image") from None


def picture_fields(
    fields: dict[str, Any], upload: Encoded | None, owner: User, gift: Gift | None = None
) -> dict[str, Any]:
    """The picture columns for what the owner asked: an upload wins; a link equal to the gift's
    own picture or pending link changes nothing (a client sending back the gift it read); a new
    link waits for the worker; no link removes the picture. One of Piglist's own pictures only
    if ``owner`` may see it: a key is no way to learn of, or borrow, another group's picture."""
    if upload is not None:
        return {"image_url": store.save(upload), "image_source": None}
    if "image_url" not in fields:
        return UNCHANGED
    requested = fields["image_url"]
    if gift is not None and requested is not None and requested in (gift.image_url, gift.image_source):
        return UNCHANGED
    if requested is None:
        return {"image_url": None, "image_source": None}
    key = store.key_of(requested)
    if key is not None:
        if not access.visible_to(key, owner):
            raise ValidationFailed("That isn't one of Piglist's pictures.", "image_url")
        return {"image_url": requested, "image_source": None}
    return {"image_url": None, "image_source": requested}


def enqueue_picture_fetch(gift_id: int) -> str:
    return jobs.enqueue(fetch_gift_picture, gift_id, retries=PICTURE_RETRIES)


@jobs.job
def fetch_gift_picture(gift_id: int) -> str:
    """Fetch a gift's pending picture link into the store. A transient failure is retried; after
    a permanent one the link stays pending (``rescrape --images`` tries again) and the gift
    shows no picture: never the shop's own."""
    gift = db.session.get(Gift, gift_id)
    if gift is None or not gift.image_source or gift.deleted_at is not None:
        return "skipped"
    source = gift.image_source
    db.session.close()  # no transaction stays open while the shop takes its time
    try:
        encoded = fetch_picture(source)
    except FetchError as exc:
        if exc.transient and jobs.retries_left() > 0:
            raise jobs.Retry(exc.reason) from exc
        log.info("picture of gift %s not fetched: %s", gift_id, exc.reason)
        return "failed"
    except PictureRefused as exc:
        log.info("picture of gift %s refused: %s", gift_id, exc.reason)
        return "failed"
    return _apply_picture(gift_id, source, encoded)


def _apply_picture(gift_id: int, source: str, encoded: Encoded) -> str:
    gift = db.session.get(Gift, gift_id)
    if gift is None:
        return "skipped"
    lock_list(gift.piglist_id)  # queued behind any edit of the list, as scrapes are
    db.session.refresh(gift)
    if gift.image_source != source or gift.deleted_at is not None:
        return "skipped"  # the owner chose another picture meanwhile
    gift.image_url, gift.image_source = store.save(encoded), None
    gift.updated_at = utcnow()
    feed.emit("gift_updated", gift)
    db.session.commit()
    return "success"


def queue_pending_pictures(group_id: int | None = None) -> int:
    """Queue a fetch for every gift whose picture is still a link (gifts from before pictures
    were Piglist's own, and fetches that failed), in one group or all;
    ``flask piglist rescrape --images``."""
    query = select(Gift.id).where(Gift.image_source.is_not(None), Gift.deleted_at.is_(None))
    if group_id is not None:
        query = query.join(Piglist, Piglist.id == Gift.piglist_id).where(Piglist.group_id == group_id)
    pending = db.session.scalars(query.order_by(Gift.id)).all()
    for gift_id in pending:
        enqueue_picture_fetch(gift_id)
    return len(pending)
