"""Fetching a picture from a link, once, by the worker: through the scraper library's hardened
fetcher (public addresses only, every redirect checked, 5 MB, picture types only), then
re-encoded. The link is a shop's or another member's choice; only Piglist ever contacts it."""

from __future__ import annotations

from flask import current_app

from ..scraper.fetch import fetch_image
from .encoding import MAX_BYTES, Encoded, reencode


def fetch_picture(url: str) -> Encoded:
    """Raises the library's FetchError, or PictureRefused for what isn't a usable picture."""
    seconds = current_app.config["SCRAPER_TIMEOUT"]
    fetched = fetch_image(
        url,
        allow_hosts=current_app.config["SCRAPER_ALLOW_HOSTS"],
        timeout=seconds,
        budget=seconds,
        max_bytes=MAX_BYTES,
    )
    return reencode(fetched.body)
