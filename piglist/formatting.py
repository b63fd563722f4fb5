"""How money reads on the pages."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_symbol

LOCALE = "en_US"
NBSP = "\u00a0"


def format_money(amount: Decimal | None, currency: str | None) -> str:
    """Whole amounts without cents ("$150"), others with ("$59.99"), a space after a symbol made of
    letters ("CHF 10"); "" when there is no amount."""
    if amount is None:
        return ""
    code = currency or "USD"
    if amount == amount.to_integral_value():
        text = format_currency(amount, code, format="¤#,##0", locale=LOCALE, currency_digits=False)
    else:
        text = format_currency(amount, code, locale=LOCALE)
    symbol = get_currency_symbol(code, locale=LOCALE)
    if symbol[-1:].isalpha() and text.startswith(symbol):
        text = symbol + NBSP + text[len(symbol) :]
    return text


def init_app(app) -> None:
    app.jinja_env.filters["money"] = format_money
