"""How money reads, on the pages, in mail and in the rules' messages.

A list page shows hundreds of prices, and Babel's ``format_currency`` parses its pattern and looks
up the locale's data on every call (a quarter of a 200-gift page's time). So Babel is asked once
per currency, for what comes before and after the digits and how many decimals the currency has;
the digits themselves are Python's ``format``, with the locale's separators.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)

LOCALE = "en_US"
NBSP = "\u00a0"
_SAMPLE = Decimal(1234567)


class MoneyFormat(NamedTuple):
    prefix: str
    suffix: str
    decimals: int
    group: str
    decimal: str

    def apply(self, amount: Decimal, decimals: int) -> str:
        if decimals:
            amount = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
        digits = f"{abs(amount):,.{decimals}f}".translate({ord(","): self.group, ord("."): self.decimal})
        return f"{'-' if amount < 0 else ''}{self.prefix}{digits}{self.suffix}"


@functools.cache
def money_format(code: str, locale: str = LOCALE) -> MoneyFormat:
    """The currency's layout, read once off Babel's own rendering of a sample amount; a symbol made
    of letters gets a space after it ("CHF 10")."""
    group = get_group_symbol(locale)
    sample = format_currency(_SAMPLE, code, format="¤#,##0", locale=locale, currency_digits=False)
    prefix, _, suffix = sample.partition(f"{_SAMPLE:,}".replace(",", group))
    symbol = get_currency_symbol(code, locale=locale)
    if symbol[-1:].isalpha() and prefix == symbol:
        prefix = symbol + NBSP
    return MoneyFormat(prefix, suffix, get_currency_precision(code), group, get_decimal_symbol(locale))


def format_money(amount: Decimal | None, currency: str | None) -> str:
    """Whole amounts without cents ("$150"), others with the currency's decimals ("$59.99"), a
    space after a symbol made of letters ("CHF 10"); "" when there is no amount."""
    if amount is None:
        return ""
    layout = money_format(currency or "USD")
    return layout.apply(amount, 0 if amount == amount.to_integral_value() else layout.decimals)
