"""Decoding a fetched page: BOM, HTTP charset, <meta> charset, UTF-8, then a browser's fallback."""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# How far into the body browsers look for a <meta> charset.
META_SCAN_BYTES = 4096

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:\-]+)""", re.IGNORECASE)
_HTML_LANG = re.compile(
    rb"""<html[^>]+lang\s*=\s*["']?([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2,4}))?""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)

# Browsers read these labels as windows-1252, and pages written with them rely on it (€, “ ”).
_READ_AS_1252 = frozenset({"latin_1", "iso8859_1", "ascii", "us_ascii"})
# The legacy encoding a browser assumes for an undeclared, non-UTF-8 page in that language
# (the WHATWG "suggested default encoding" by locale); anything else gets windows-1252.
_LANGUAGE_DEFAULTS = {
    **dict.fromkeys(("pl", "cs", "sk", "hu", "hr", "sl", "ro", "bs", "sq"), "cp1250"),
    **dict.fromkeys(("ru", "uk", "bg", "be", "sr", "mk", "kk"), "cp1251"),
    "el": "cp1253",
    "tr": "cp1254",
    "az": "cp1254",
    "he": "cp1255",
    "ar": "cp1256",
    "fa": "cp1256",
    "ur": "cp1256",
    **dict.fromkeys(("lt", "lv", "et"), "cp1257"),
    "vi": "cp1258",
    "th": "cp874",
    "ja": "shift_jis",
    "ko": "euc_kr",
    "zh": "gb18030",
}
_TRADITIONAL_CHINESE = frozenset({"tw", "hk", "mo", "hant"})
# Scripts where the statistical detector beats the fallback, since windows-1252 can't hold them.
_NON_LATIN = ("Cyrillic", "CJK", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew", "Greek", "Thai")


def decode(body: bytes, content_type: str | None) -> tuple[str, str]:
    """The page's text and the name of the encoding it was read with."""
    encoding = (
        _bom_encoding(body)
        or _known(_header_charset(content_type))
        or _known(_meta_charset(body))
        or _utf8_if_valid(body)
        or _fallback(body)
    )
    if encoding == "utf-8" and body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
    return body.decode(encoding, errors="replace"), encoding


def _bom_encoding(body: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return encoding
    return None


def _header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1) if match else None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:META_SCAN_BYTES])
    return match.group(1).decode("ascii", errors="ignore") if match else None


def _known(label: str | None) -> str | None:
    """Python's name for a charset label, with the browser's reading of latin-1 as windows-1252."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    if name.replace("-", "_") in _READ_AS_1252:
        return "cp1252"
    # A page can't really be UTF-16 if its own ASCII <meta> was readable: browsers use UTF-8.
    return "utf-8" if name.startswith("utf-16") else name


def _utf8_if_valid(body: bytes) -> str | None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "utf-8"


def _fallback(body: bytes) -> str:
    """What a browser does for an undeclared legacy page: go by the page's language, else trust
    detection only for non-Latin scripts (it guesses badly between Latin code pages), else 1252."""
    match = _HTML_LANG.search(body[:META_SCAN_BYTES])
    if match:
        language = match.group(1).decode().lower()
        region = (match.group(2) or b"").decode().lower()
        if language == "zh" and region in _TRADITIONAL_CHINESE:
            return "big5"
        if language in _LANGUAGE_DEFAULTS:
            return _LANGUAGE_DEFAULTS[language]
        return "cp1252"
    guess = charset_normalizer.from_bytes(body).best()
    if guess is not None and any(script in alphabet for alphabet in guess.alphabets for script in _NON_LATIN):
        return guess.encoding
    return "cp1252"
