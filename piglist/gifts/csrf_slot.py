"""The slot where a reader's CSRF token goes in markup rendered once for many readers: the lists'
cache keeps a list's HTML for everyone who reads it, and the live layer renders a gift's Turbo
Stream once per way of seeing it. Both render with the slot in the token's place, cut the markup
there, and fill each reader's token in when they are served.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

# Escaped text can't contain it, so only a form's token field can put it in the markup.
SLOT = Markup("<csrf-token>")


@contextmanager
def rendering_with_slot() -> Iterator[None]:
    """Within, ``csrf_token()`` in templates (and every form's hidden token) writes the slot:
    flask-wtf's ``generate_csrf()`` answers ``g.csrf_token`` when it is set."""
    saved = g.pop("csrf_token", None)
    g.csrf_token = SLOT
    try:
        yield
    finally:
        g.pop("csrf_token", None)
        if saved is not None:
            g.csrf_token = saved


def cut(markup: str) -> tuple[str, ...]:
    """Rendered markup as stored: cut at its slots, so serving it joins rather than searches."""
    return tuple(markup.split(SLOT))


def filled(parts: tuple[str, ...]) -> str:
    """Stored markup with this request's reader's CSRF token in its slots. The parts are the
    templates' escaped output, and the token is URL-safe base64."""
    return generate_csrf().join(parts)
