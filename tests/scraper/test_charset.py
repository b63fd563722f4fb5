from __future__ import annotations

import codecs

import pytest

from piglist.scraper.charset import decode

WESTERN = "<html><body><p>Café “Deluxe” – only €12, naïve</p></body></html>"


def test_utf8_without_any_declaration() -> None:
    assert decode(WESTERN.encode(), None) == (WESTERN, "utf-8")


def test_undeclared_legacy_page_reads_as_windows_1252() -> None:
    assert decode(WESTERN.encode("cp1252"), "text/html") == (WESTERN, "cp1252")


def test_latin1_label_is_read_as_windows_1252_as_browsers_do() -> None:
    assert decode(WESTERN.encode("cp1252"), "text/html; charset=ISO-8859-1")[0] == WESTERN


def test_header_charset_wins_over_meta() -> None:
    page = '<meta charset="utf-8"><p>Zażółć</p>'
    assert decode(page.encode("iso-8859-2"), "text/html; charset=iso-8859-2")[0] == page


@pytest.mark.parametrize(
    "meta",
    ['<meta charset="koi8-r">', '<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">'],
)
def test_meta_charset_in_either_form(meta: str) -> None:
    page = f"<html><head>{meta}</head><body>Привет</body></html>"
    assert decode(page.encode("koi8-r"), "text/html") == (page, "koi8-r")


def test_byte_order_mark_wins_and_is_dropped() -> None:
    assert decode(codecs.BOM_UTF8 + "€".encode(), "text/html; charset=latin1") == ("€", "utf-8")


def test_unknown_labels_are_ignored() -> None:
    assert decode("€".encode(), "text/html; charset=no-such-thing") == ("€", "utf-8")


def test_undeclared_page_in_a_language_gets_that_languages_legacy_encoding() -> None:
    page = '<html lang="ru"><body>Цена товара</body></html>'
    assert decode(page.encode("cp1251"), None) == (page, "cp1251")


def test_undeclared_page_without_language_detects_non_latin_scripts() -> None:
    page = "<html><body><p>これは日本語のテストページです。価格は1,980円です。送料無料でお届けします。</p></body></html>"
    text, _ = decode(page.encode("shift_jis"), None)
    assert text == page
