"""How money reads and is written, on the pages, in mail and in the rules' messages.

A list page shows hundreds of prices, and Babel's ``format_currency`` parses its pattern and looks
up the locale's data on every call (a quarter of a 200-gift page's time). So Babel is asked once
per currency, for what comes before and after the digits and how many decimals the currency has;
the digits themselves are Python's ``format``, with the locale's separators.
"""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from babel.core import Locale, UnknownLocaleError, get_global
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
)

from ..stores import fx

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


# The convention (a Babel locale) in which a group writes amounts of its currency: where the
# currency is one country's, that country's main language; the euro as Germany writes it (SPEC
# 10.6: "1.234,50", "100 €"). Others: the first country using the currency, its likeliest language.
CONVENTIONS = {
    "USD": "en_US", "EUR": "de_DE", "GBP": "en_GB", "CAD": "en_CA", "AUD": "en_AU", "NZD": "en_NZ",
    "CHF": "de_CH", "SEK": "sv_SE", "NOK": "nb_NO", "DKK": "da_DK", "PLN": "pl_PL", "CZK": "cs_CZ",
    "HUF": "hu_HU", "JPY": "ja_JP", "CNY": "zh_CN", "INR": "en_IN", "ZAR": "en_ZA", "MXN": "es_MX",
    "BRL": "pt_BR",
}  # fmt: skip


@functools.cache
def convention(code: str) -> str:
    """The Babel locale whose separators a group using ``code`` writes amounts with."""
    if code in CONVENTIONS:
        return CONVENTIONS[code]
    for territory in sorted(get_global("territory_currencies")):
        if code in get_territory_currencies(territory, tender=True):
            try:
                return str(Locale.parse(f"und_{territory}"))
            except (UnknownLocaleError, ValueError):
                break
    return LOCALE


@functools.cache
def written_symbols(code: str) -> tuple[str, ...]:
    """What may stand before or after the digits of an amount in ``code``: its code and its
    symbols as its own convention and as English write them ("€", "EUR"; "$", "US$", "USD")."""
    symbols = {
        code,
        get_currency_symbol(code, locale=convention(code)),
        get_currency_symbol(code, locale="en"),
    }
    return tuple(sorted(symbols, key=len, reverse=True))


def example_amount(code: str) -> str:
    """An amount as the group writes it, for error messages: "1.234,50" (EUR), "1,234.50" (USD)."""
    decimals = get_currency_precision(code)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(Decimal("1234.50"), format=pattern, locale=convention(code))


def about(amount: Decimal | None, currency: str | None, target: str) -> str:
    """A price in another currency than the group's, as the group's at the latest exchange rate:
    "≈ €45.20"; "" when it is in the group's currency, or no rate is known."""
    if amount is None or not currency or currency == target:
        return ""
    converted = fx.latest().convert(amount, currency, target)
    return "" if converted is None else f"≈ {format_money(converted, target)}"
