"""Choosing the main product picture among a page's <img> elements."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from .layout import Layout, attribute_text
from .platforms import largest_dynamic_image

# Attributes holding a bigger version of the picture than src, best first.
_LARGE_SOURCES = (
    "data-old-hires",
    "data-zoom-image",
    "data-zoom-src",
    "data-large-image",
    "data-large",
    "data-full",
    "data-hires",
    "data-a-hires",
    "data-original",
)
_LAZY_SOURCES = ("data-src", "data-lazy-src", "data-lazy", "data-original-src", "src")
_MAIN_NAMES = re.compile(r"product|main|primary|hero|zoom|gallery|featured|landing|pdp|detail", re.I)
_NOT_PRODUCT = re.compile(
    r"logo|icon|sprite|avatar|flag|badge|banner|payment|rating|star|spinner|loader|placeholder|"
    r"pixel|blank|transparent|tracking|thumb",
    re.I,
)
_SRCSET_ITEM = re.compile(r"(\S+)\s+(\d+(?:\.\d+)?)[wx]")


def find(layout: Layout) -> str | None:
    best: tuple[float, str] | None = None
    for image in layout.body.iter("img"):
        url = _image_source(image)
        if not url or url.startswith("data:") or url.lower().endswith((".svg", ".gif")):
            continue
        score = _score(image, url, layout)
        if best is None or score > best[0]:
            best = (score, url)
    if best is None or best[0] < 1.0:
        return None
    return layout.page.url_for(best[1])


def _image_source(image: HtmlElement) -> str | None:
    for attribute in _LARGE_SOURCES:
        if image.get(attribute):
            return image.get(attribute, "").strip()
    dynamic = largest_dynamic_image(image)
    if dynamic:
        return dynamic
    srcset = _largest_in_srcset(image.get("srcset") or image.get("data-srcset") or "")
    if srcset:
        return srcset
    for attribute in _LAZY_SOURCES:
        if image.get(attribute):
            return image.get(attribute, "").strip()
    return None


def _largest_in_srcset(srcset: str) -> str | None:
    sizes = [(float(size), url) for url, size in _SRCSET_ITEM.findall(srcset)]
    return max(sizes)[1] if sizes else None


def _score(image: HtmlElement, url: str, layout: Layout) -> float:
    names = (
        attribute_text(image)
        + " "
        + (image.getparent().get("class", "") if image.getparent() is not None else "")
    )
    score = 0.0
    if _MAIN_NAMES.search(names):
        score += 2.0
    if _NOT_PRODUCT.search(names) or _NOT_PRODUCT.search(url):
        score -= 3.0
    if any(image.get(attribute) for attribute in _LARGE_SOURCES):
        score += 2.0
    score += _size_score(image)
    levels = layout.levels_to_anchor(image)
    if levels is not None:
        score += max(0.0, 6.0 - levels) * 0.6
    if layout.in_chrome(image):
        score -= 3.0
    return score


def _size_score(image: HtmlElement) -> float:
    try:
        width = int(image.get("width", "0").rstrip("px") or 0)
        height = int(image.get("height", "0").rstrip("px") or 0)
    except ValueError:
        return 0.0
    largest = max(width, height)
    if largest == 0:
        return 0.0
    return 1.5 if largest >= 300 else -2.0 if largest < 100 else 0.0
