"""Money on the pages: the cached layout per currency reads exactly as Babel's format_currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, get_currency_symbol

from piglist.rules.money import LOCALE, NBSP, format_money

CURRENCIES = ["USD", "EUR", "GBP", "CHF", "JPY", "BHD", "SEK", "INR", "CAD", "PLN", "KWD", "CLP", "XXX"]
AMOUNTS = ["0", "0.01", "0.5", "1", "9.99", "12.50", "150", "1000", "1234.56", "99999.995", "999999.99"]


def babel_money(amount: Decimal, code: str) -> str:
    """The formatting the pages had before the cache: Babel on every call."""
    if amount == amount.to_integral_value():
        text = format_currency(amount, code, format="¤#,##0", locale=LOCALE, currency_digits=False)
    else:
        text = format_currency(amount, code, locale=LOCALE)
    symbol = get_currency_symbol(code, locale=LOCALE)
    if symbol[-1:].isalpha() and text.startswith(symbol):
        text = symbol + NBSP + text[len(symbol) :]
    return text


@pytest.mark.parametrize("code", CURRENCIES)
def test_money_reads_as_babel_writes_it_in_every_currency(code):
    for raw in AMOUNTS:
        assert format_money(Decimal(raw), code) == babel_money(Decimal(raw), code), (raw, code)


def test_money_examples_the_pages_show():
    assert format_money(Decimal("150.00"), "USD") == "$150"
    assert format_money(Decimal("59.99"), None) == "$59.99"
    assert format_money(Decimal("10"), "CHF") == f"CHF{NBSP}10"
    assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"
    assert format_money(Decimal("-5.25"), "USD") == "-$5.25"  # never a price; still readable
    assert format_money(None, "USD") == ""
