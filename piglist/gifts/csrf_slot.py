"""The slot where a reader's CSRF token goes in markup rendered once for many readers: the lists'
cache keeps a list's HTML for everyone who reads it, and the live layer renders a gift's Turbo
Stream once per way of seeing it. Both render with the slot in the token's place, cut the markup
there, and fill each reader's token in when they are served.

The forms that buy carry a one-time key (``form_key()``, piglist.web.idempotency) that must be new
each time the markup is served, never the one it was rendered with: it has a slot too.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import g
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

# Escaped text can't contain it, so only a form's token field can put it in the markup.
SLOT = Markup("<csrf-token>")
FORM_KEY_SLOT = Markup("<form-key>")
# Where ``form_key()`` (piglist.web.idempotency) looks first; this layer may not import it.
FORM_KEY_ATTRIBUTE = "piglist_form_key"


@contextmanager
def rendering_with_slot() -> Iterator[None]:
    """Within, ``csrf_token()`` in templates (and every form's hidden token) writes the slot:
    flask-wtf's ``generate_csrf()`` answers ``g.csrf_token`` when it is set."""
    saved = g.pop("csrf_token", None)
    saved_key = g.pop(FORM_KEY_ATTRIBUTE, None)
    g.csrf_token = SLOT
    setattr(g, FORM_KEY_ATTRIBUTE, FORM_KEY_SLOT)
    try:
        yield
    finally:
        g.pop("csrf_token", None)
        g.pop(FORM_KEY_ATTRIBUTE, None)
        if saved is not None:
            g.csrf_token = saved
        if saved_key is not None:
            setattr(g, FORM_KEY_ATTRIBUTE, saved_key)


def cut(markup: str) -> tuple[Any, ...]:
    """Rendered markup cut at its CSRF slots for :func:`filled`; each part cut again at its
    form-key slots (most have none). The live layer keeps markup cut, so serving it to each socket
    joins rather than searches; the lists' cache keeps it whole (compressed) and cuts each hit."""
    return tuple(part.split(FORM_KEY_SLOT) if FORM_KEY_SLOT in part else part for part in markup.split(SLOT))


def filled(parts: tuple) -> str:
    """Stored markup with this request's reader's CSRF token in its slots, and a new one-time form
    key in each of its forms' key slots. The parts are the templates' escaped output; the token and
    the keys are URL-safe base64."""
    return generate_csrf().join(
        part if isinstance(part, str) else "".join(_with_keys(part)) for part in parts
    )


def _with_keys(pieces: list[str]) -> Iterator[str]:
    yield pieces[0]
    for piece in pieces[1:]:
        yield secrets.token_urlsafe(18)
        yield piece
