"""The slots where a reader's CSRF token and the page's one-time form key go in markup rendered
once for many readers: the lists' cache keeps a list's HTML for everyone who reads it, and the
live layer renders a gift's Turbo Stream once per way of seeing it. Both render with the slots
in place of the values, cut the markup there, and fill each reader's values in when served.

The form key (``form_key()`` in templates) is the ``Idempotency-Key`` a page's buy and add forms
send (piglist.web.idempotency reads it): one per page served, so a resubmitted page is the same
request and a new page is a new one.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

# Escaped text can't contain them, so only a form's hidden fields can put them in the markup.
SLOT = Markup("<csrf-token>")
FORM_KEY_SLOT = Markup("<form-key>")
_SLOTS = re.compile(f"({SLOT}|{FORM_KEY_SLOT})")


def form_key() -> str:
    """This page's one-time form key, made on first use."""
    if "piglist_form_key" not in g:
        g.piglist_form_key = secrets.token_urlsafe(18)
    return g.piglist_form_key


@contextmanager
def rendering_with_slot() -> Iterator[None]:
    """Within, ``csrf_token()`` in templates (and every form's hidden token) writes the slot:
    flask-wtf's ``generate_csrf()`` answers ``g.csrf_token`` when it is set."""
    saved = {name: g.pop(name, None) for name in ("csrf_token", "piglist_form_key")}
    g.csrf_token, g.piglist_form_key = SLOT, FORM_KEY_SLOT
    try:
        yield
    finally:
        for name, value in saved.items():
            g.pop(name, None)
            if value is not None:
                setattr(g, name, value)


def cut(markup: str) -> tuple[str, ...]:
    """Rendered markup as stored: cut at its slots, each slot a part of its own, so serving it
    fills parts rather than searches."""
    return tuple(_SLOTS.split(markup))


def filled(parts: tuple[str, ...]) -> str:
    """Stored markup with this request's reader's CSRF token and form key in its slots. The parts
    are the templates' escaped output; the token and the key are URL-safe base64."""
    values = {SLOT: generate_csrf(), FORM_KEY_SLOT: form_key()}
    return "".join([values.get(part, part) for part in parts])


def init_app(app: Flask) -> None:
    app.jinja_env.globals["form_key"] = form_key
