"""The render fallback as Piglist uses it: whether it is on (``SCRAPER_RENDER``), when a fetched
page is worth rendering, reading the product from the rendered page (piglist.scraper.render
does the rendering), and the figures ``flask piglist stats`` shows.

A page is rendered only when it yielded no price and looks built by its scripts; the render
runs on the worker's render queue (piglist.stores.jobs.RENDER_QUEUE), one at a time per worker.
A render that fails leaves what the plain page gave: rendering only ever adds.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from redis.exceptions import RedisError

from piglist.scraper.errors import NotAProductPage
from piglist.scraper.extract import extract
from piglist.scraper.fetch import FetchedPage
from piglist.scraper.product import Product
from piglist.scraper.render import RenderFailed, chromium_path, looks_script_rendered, render

log = logging.getLogger(__name__)

RENDER_MODES = ("auto", "off")
_FIGURES_KEY = "piglist:renders"
FIGURES = ("renders", "failed", "blocked", "milliseconds")


def check_setting(app: Flask) -> None:
    """Refuses a SCRAPER_RENDER that is neither "auto" nor "off"."""
    mode = str(app.config.get("SCRAPER_RENDER") or "auto").strip().lower()
    if mode not in RENDER_MODES:
        raise RuntimeError(f"SCRAPER_RENDER must be auto or off, not {app.config['SCRAPER_RENDER']!r}.")
    app.config["SCRAPER_RENDER"] = mode


def enabled() -> bool:
    """On with "auto" where Chromium is installed."""
    return current_app.config["SCRAPER_RENDER"] == "auto" and chromium_path() is not None


def worth_rendering(page: FetchedPage, product: Product) -> bool:
    return product.price is None and enabled() and looks_script_rendered(page.text, page.url)


def rendered_product(page: FetchedPage, plain: Product, store: Any) -> Product:
    """The product on the rendered page, completed by what the plain page gave; the plain page's
    own when the render fails or shows no product."""
    try:
        rendered = render(
            page.url,
            page.text,
            allow_hosts=current_app.config["SCRAPER_ALLOW_HOSTS"],
            budget=current_app.config["SCRAPER_RENDER_SECONDS"],
        )
    except RenderFailed as exc:
        log.warning("render of %s failed: %s", page.url, exc.reason)
        _count(store, failed=1)
        return plain
    _count(store, renders=1, blocked=len(rendered.blocked), milliseconds=int(rendered.seconds * 1000))
    log.info(
        "rendered %s in %.1f s: %d requests, %d blocked",
        page.url,
        rendered.seconds,
        rendered.requests,
        len(rendered.blocked),
    )
    try:
        product = extract(rendered.html, rendered.url)
    except NotAProductPage:
        return plain
    product.fill_from(plain, "plain page")
    return product


def _count(store: Any, **amounts: int) -> None:
    try:
        for name, amount in amounts.items():
            store.hincrby(_FIGURES_KEY, name, amount)
    except RedisError as exc:
        log.warning("render figures not kept: %s", exc)


def figures(store: Any) -> dict[str, Any]:
    """Renders so far (failed ones apart), requests blocked in them, their average time, and
    whether rendering is on. Raises RedisError."""
    raw = store.hgetall(_FIGURES_KEY) or {}
    counts = {name: int(raw.get(name, raw.get(name.encode(), 0)) or 0) for name in FIGURES}
    average = counts["milliseconds"] / counts["renders"] / 1000 if counts["renders"] else None
    return {
        "enabled": enabled(),
        "chromium": chromium_path(),
        "renders": counts["renders"],
        "failed": counts["failed"],
        "blocked": counts["blocked"],
        "average_seconds": average,
    }
