"""A parsed product page: the element tree plus what every source needs to know about it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from .text import absolute_url, host_labels, plain_text

# lxml refuses str input that still carries an XML encoding declaration.
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_REGION = re.compile(r"^[a-z]{2,3}[-_]([a-z]{2})\b", re.IGNORECASE)
# A page's language alone pins the country only where one country dominates that language.
_LANGUAGE_COUNTRY = {
    "ja": "JP",
    "ko": "KR",
    "sv": "SE",
    "da": "DK",
    "nb": "NO",
    "nn": "NO",
    "no": "NO",
    "is": "IS",
    "he": "IL",
    "pl": "PL",
    "cs": "CZ",
    "hu": "HU",
    "uk": "UA",
    "kk": "KZ",
    "be": "BY",
}
# Generic and multi-country top-level domains say nothing about the shop's currency.
_NON_COUNTRY_TLDS = frozenset({"eu", "io", "co", "me", "tv", "fm", "ai", "ly", "to", "cc", "ws"})


@dataclass(frozen=True)
class Script:
    type: str
    id: str
    text: str


class Page:
    """Parses once; sources read the tree, the scripts and the locale hints from here."""

    def __init__(self, html: str, url: str) -> None:
        self.url = url
        self.root = _parse(html)
        self.scripts = _take_scripts(self.root)
        self.base_url = self._base_url()

    def _base_url(self) -> str:
        for href in self.root.xpath("//base/@href")[:1]:
            return absolute_url(self.url, href) or self.url
        return self.url

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """Meta tag contents keyed by lower-cased property, name or itemprop, in page order."""
        found: dict[str, list[str]] = {}
        for element in self.root.iter("meta"):
            content = element.get("content")
            if content is None:
                continue
            for attribute in ("property", "name", "itemprop"):
                key = element.get(attribute)
                if key:
                    found.setdefault(key.strip().lower(), []).append(content)
        return found

    def meta_value(self, *keys: str) -> str | None:
        """The first non-empty meta content among ``keys``, cleaned."""
        for key in keys:
            for content in self.meta.get(key, []):
                text = plain_text(content)
                if text:
                    return text
        return None

    @cached_property
    def language(self) -> str | None:
        lang = self.root.get("lang") or self.root.get("xml:lang") or self.meta_value("og:locale")
        return lang.strip().lower() if lang else None

    @cached_property
    def country(self) -> str | None:
        """The shop's country (ISO 3166 alpha-2): og:locale or <html lang> region, the host's
        country TLD, else the one country that a few languages (ja, sv, pl…) pin down."""
        for locale in (self.meta_value("og:locale"), self.root.get("lang")):
            match = _REGION.match(locale or "")
            if match:
                return match.group(1).upper()
        tld = (urlsplit(self.url).hostname or "").rsplit(".", 1)[-1].lower()
        if len(tld) == 2 and tld not in _NON_COUNTRY_TLDS:
            return "GB" if tld == "uk" else tld.upper()
        return _LANGUAGE_COUNTRY.get((self.language or "")[:2])

    @cached_property
    def site_names(self) -> list[str]:
        names = [self.meta_value("og:site_name"), self.meta_value("application-name")]
        return [name for name in names if name] + host_labels(self.url)

    def url_for(self, href: object) -> str | None:
        return absolute_url(self.base_url, href)

    def scripts_of_type(self, *types: str) -> list[Script]:
        return [script for script in self.scripts if script.type in types]


def _parse(html: str) -> lxml.html.HtmlElement:
    html = _XML_DECLARATION.sub("", html, count=1)
    parser = lxml.html.HTMLParser(remove_comments=True, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        root = lxml.html.document_fromstring("<html><body></body></html>")
    return root


def _take_scripts(root: lxml.html.HtmlElement) -> list[Script]:
    """Collects script bodies, then removes scripts, styles and templates so text reads as shown."""
    scripts = []
    for element in root.xpath("//script"):
        media_type = (element.get("type") or "text/javascript").split(";")[0].strip().lower()
        scripts.append(Script(media_type, element.get("id") or "", element.text or ""))
    for element in root.xpath("//script | //style | //template"):
        element.drop_tree()
    return scripts
