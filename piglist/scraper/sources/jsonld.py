"""schema.org Product from JSON-LD scripts, tolerating the broken JSON shops publish."""

from __future__ import annotations

import html
import json
import re

from ..page import Page
from ..product import Product
from .schema import main_product

_WRAPPERS = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_LINE_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)
_DECODER = json.JSONDecoder(strict=False)


def load(text: str) -> list[object]:
    """Every JSON value in a script body; [] if it can't be read even after repairs."""
    text = _WRAPPERS.sub("", text.strip())
    for attempt in (text, _repaired(text), _repaired(html.unescape(text))):
        try:
            return _decode_all(attempt)
        except ValueError:
            continue
    return []


def _repaired(text: str) -> str:
    """Fixes the usual hand-templated mistakes: trailing commas, raw control chars, // comments."""
    text = _CONTROL.sub(" ", text)
    text = _LINE_COMMENT.sub("", text)
    return _TRAILING_COMMA.sub(r"\1", text)


def _decode_all(text: str) -> list[object]:
    """Some pages put several JSON documents, one after another, in a single script."""
    documents: list[object] = []
    position = 0
    while True:
        while position < len(text) and text[position] in " \t\r\n;,":
            position += 1
        if position >= len(text):
            return documents
        document, position = _DECODER.raw_decode(text, position)
        documents.append(document)


def documents(page: Page) -> list[object]:
    return [doc for script in page.scripts_of_type("application/ld+json") for doc in load(script.text)]


def extract(page: Page) -> Product:
    return main_product(documents(page), page)
