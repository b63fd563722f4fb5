"""Idempotency keys, so a request that buys, pledges or adds can be retried safely (SPEC §10.8).

A client that got no answer (a timeout, a dropped connection, a hung database answered 503)
can't know whether its purchase went through. It sends the request again with the same
``Idempotency-Key`` header (the pages' forms carry a one-time ``idempotency_key`` field): within
24 hours the same key, by the same person, on the same path, gets the first answer again and
changes nothing.

Why a table, not Redis: the key is inserted before the view runs, in the transaction the view's
own commit ends, so it is committed exactly when what the request changed is. A purchase that
PostgreSQL committed while its client had given up is therefore found by the retry, whatever
happened to its answer. Two copies arriving at once queue on the key's row: the second waits for
the first to end, then replays its answer (or runs, if the first changed nothing).

Only answers below 400 are kept: a refusal changed nothing, so a retry is simply judged again.
A key whose request committed but whose answer was lost (the database hung between the two) is
answered 409: the retry must not run again, and the first answer is not there to give.

Use it on a view, below the decorator that requires a login::

    @bp.post("/gifts/<int:gift_id>/purchase")
    @login_required
    @idempotent
    def purchase(gift_id): ...
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from datetime import timedelta
from functools import wraps
from typing import Any, cast

from flask import Flask, current_app, g, request
from flask_login import current_user
from sqlalchemy import CursorResult, delete
from sqlalchemy.exc import IntegrityError

from ..errors import BadRequest, PiglistError
from ..extensions import db
from ..models import IdempotentRequest, utcnow

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
KEEP = timedelta(hours=24)
# Printable ASCII without spaces: a UUID, a ULID, anything a client library makes.
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# How long a retry waits for an answer the first request is about to store.
ANSWER_WAIT_SECONDS = 2.0
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class KeyReused(PiglistError):
    code, status = "idempotency_key_reused", 422


class AnswerLost(PiglistError):
    code, status = "idempotent_answer_lost", 409


# Also written by piglist.gifts.csrf_slot (markup rendered once, served many times), which puts a
# slot there that is filled with a new key each time the markup is served.
FORM_KEY_ATTRIBUTE = "piglist_form_key"


def form_key() -> str:
    """The one-time key a page's forms carry: one per page served (each form posts to its own
    path, so one value is enough), a new one with every page, so a second purchase after the
    page came back is a new request."""
    if FORM_KEY_ATTRIBUTE not in g:
        setattr(g, FORM_KEY_ATTRIBUTE, secrets.token_urlsafe(18))
    return getattr(g, FORM_KEY_ATTRIBUTE)


def request_key() -> str | None:
    value = request.headers.get(HEADER)
    if value is None and request.mimetype in FORM_TYPES:
        value = request.form.get(FIELD) or None
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise BadRequest(f"{HEADER} must be 1 to 255 printable characters without spaces.")
    return value


def _requester_id() -> int | None:
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    return user.id if user is not None else None


def _scope(user_id: int, key: str) -> str:
    parts = (str(user_id), request.method, request.path, key)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _fingerprint() -> str:
    """What the request asks, so a key sent again with another request is refused. A form's
    fields and files, not its bytes: a retried multipart upload has a new boundary (and a parsed
    form's bytes are gone)."""
    digest = hashlib.sha256(request.query_string)
    if request.mimetype in FORM_TYPES:
        for name, value in sorted(request.form.items(multi=True)):
            digest.update(f"\0{name}={value}".encode())
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            digest.update(f"\0{name}:".encode() + hashlib.sha256(upload.stream.read()).digest())
            upload.stream.seek(0)
    else:
        digest.update(b"\0" + request.get_data(cache=True))
    return digest.hexdigest()


def _replay(row: IdempotentRequest):
    headers = {"Idempotent-Replayed": "true"}
    if row.content_type:
        headers["Content-Type"] = row.content_type
    if row.location:
        headers["Location"] = row.location
    return current_app.response_class(row.body or b"", status=row.status, headers=headers)


def _earlier(scope: str, fingerprint: str):
    """The answer an earlier request with this key got, or None after claiming the key for this
    one (its row flushed in this transaction: a concurrent copy waits on it)."""
    row = db.session.get(IdempotentRequest, scope)
    if row is not None and row.created_at < utcnow() - KEEP:
        db.session.delete(row)
        db.session.flush()
        row = None
    if row is None:
        db.session.add(IdempotentRequest(scope=scope, user_id=_requester_id(), fingerprint=fingerprint))
        try:
            db.session.flush()
            return None
        except IntegrityError:  # a copy of this request committed first
            db.session.rollback()
    deadline = time.monotonic() + ANSWER_WAIT_SECONDS
    while True:
        row = db.session.get_one(IdempotentRequest, scope, populate_existing=True)
        if row.fingerprint != fingerprint:
            raise KeyReused(f"That {HEADER} was already used for a different request.")
        if row.status is not None:
            return _replay(row)
        if time.monotonic() > deadline:
            raise AnswerLost(
                "That request was already carried out, but its answer was not kept. "
                "Look at the gift to see where things stand."
            )
        db.session.rollback()  # a fresh snapshot for the next look
        time.sleep(0.1)


def _remember(scope: str, response) -> None:
    row = db.session.get(IdempotentRequest, scope)
    if row is None:  # the view rolled back after a refusal it handled itself
        return
    row.status = response.status_code
    row.content_type = response.headers.get("Content-Type")
    row.location = response.headers.get("Location")
    row.body = response.get_data()
    db.session.commit()


def _release(scope: str) -> None:
    """A refusal changed nothing, but a service may have committed to let its locks go, and the
    key with it: forget the key, so the corrected request isn't taken for a lost answer."""
    db.session.rollback()
    db.session.execute(
        delete(IdempotentRequest).where(IdempotentRequest.scope == scope, IdempotentRequest.status.is_(None))
    )
    db.session.commit()


def idempotent(view):
    """Make ``view`` answer a retried request (same user, path and key) with its first answer."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        key = request_key()
        user_id = _requester_id()
        if key is None or user_id is None:
            return view(*args, **kwargs)
        scope = _scope(user_id, key)
        earlier = _earlier(scope, _fingerprint())
        if earlier is not None:
            return earlier
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except PiglistError as refusal:
            if refusal.status < 500:
                _release(scope)
            raise
        if response.status_code < 400:
            _remember(scope, response)
        else:
            _release(scope)
        return response

    return wrapped


def forget_expired() -> int:
    """Housekeeping: drop keys older than 24 hours."""
    removed = cast(
        CursorResult,
        db.session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at < utcnow() - KEEP)),
    )
    db.session.commit()
    return removed.rowcount


def init_app(app: Flask) -> None:
    """``form_key()`` for the templates' forms."""
    app.jinja_env.globals["form_key"] = form_key
