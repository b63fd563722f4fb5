"""Turning scraped strings into clean plain text and absolute URLs."""

from __future__ import annotations

import html
import re
import warnings
from urllib.parse import urljoin, urlsplit

# A tag starts with a letter, "/" or "!": "size < 5 and > 3" is text, not a tag.
_TAG = re.compile(r"<[/!]?[a-zA-Z][^>]{0,2000}>")
_ENTITY = re.compile(r"&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\ufeff\u00ad]")
_SPACE = re.compile(r"\s+")


def plain_text(value: object, max_length: int | None = None) -> str | None:
    """Plain text from a scraped value: tags stripped, entities decoded, whitespace collapsed.

    Shops often double-encode entities ("&amp;quot;"), so decoding repeats while entities remain.
    """
    if value is None:
        return None
    text = str(value)
    for _ in range(3):
        if not _ENTITY.search(text):
            break
        text = html.unescape(text)
    if _TAG.search(text):
        # Descriptions in JSON-LD and meta tags often carry markup (<p>, <br>, <li>); BeautifulSoup
        # reads it as a browser would and keeps only the text. Imported here: a web process that
        # never reads a scraped description doesn't pay its ~55 ms import.
        from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            text = BeautifulSoup(text, "html.parser").get_text(" ")
    text = _INVISIBLE.sub("", text)
    text = _SPACE.sub(" ", text).strip()
    if max_length is not None and len(text) > max_length:
        text = text[: max_length - 1].rsplit(" ", 1)[0].rstrip(" ,.;:") + "…"
    return text or None


def absolute_url(base: str, href: object) -> str | None:
    """An absolute http(s) URL for ``href`` relative to ``base``; None for data:, javascript: etc."""
    if not isinstance(href, str):
        return None
    href = href.strip()
    if not href:
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
    except ValueError:  # a malformed address in the page ("http://[x") is no address at all
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return url


# Title separators between a product name and the shop name: "Name | Shop", "Shop – Name".
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|｜–—\-·•»]|::)\s+|\s*[|｜]\s*|\s*:\s+")
_SITE_WORDS = re.compile(r"[\W_]+")


def _squash(text: str) -> str:
    return _SITE_WORDS.sub("", text).casefold()


def _looks_like_site(segment: str, site_names: list[str]) -> bool:
    key = _squash(segment)
    if not key:
        return True
    # "Zalando.ie" or "GOMAJI夠麻吉" still name the site; "Ottoman Chair" on otto.de does not.
    return any(
        (key.startswith(name) or key.endswith(name)) and len(key) <= len(name) + 6 for name in site_names
    )


def strip_site_name(title: str, site_names: list[str]) -> str:
    """Drops leading or trailing title segments that name the shop ("Chair | Shop" → "Chair").

    ``site_names`` are og:site_name, the application name and the host's labels; a segment is
    only dropped when it matches one, so "Tommy Jeans - OFLEKI" keeps both halves.
    """
    names = [_squash(name) for name in site_names if name and len(_squash(name)) >= 3]
    parts = _TITLE_SEPARATOR.split(title)
    if len(parts) < 2 or not names:
        return title
    while len(parts) > 1 and _looks_like_site(parts[-1], names):
        parts.pop()
    while len(parts) > 1 and _looks_like_site(parts[0], names):
        parts.pop(0)
    kept = parts[0] if len(parts) == 1 else _rejoin(title, parts)
    return kept.strip() or title


def _rejoin(title: str, parts: list[str]) -> str:
    """The original text spanning the kept segments, so inner separators survive unchanged."""
    start = title.find(parts[0])
    end = title.rfind(parts[-1]) + len(parts[-1])
    return title[start:end] if 0 <= start < end else " ".join(parts)


_GENERIC_LABELS = frozenset({"shop", "store", "online", "mobile", "secure"})


def host_labels(url: str) -> list[str]:
    """Distinctive labels of the URL's host: "www.shop.example.co.uk" → ["shop.example.co.uk", "example"]."""
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = [label for label in host.split(".") if len(label) > 3 and label not in _GENERIC_LABELS]
    return [host, *labels]
