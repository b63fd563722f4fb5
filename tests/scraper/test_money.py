from __future__ import annotations

from decimal import Decimal

import pytest

from piglist.scraper.money import Money, currency_code, find_currency, parse_amount, parse_money


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("€ 12,99", "12.99", "EUR"),
        ("1.299,00 €", "1299.00", "EUR"),
        ("£1,049.50", "1049.50", "GBP"),
        ("US$ 12.99", "12.99", "USD"),
        ("12,50 zł", "12.50", "PLN"),
        ("1 299 руб.", "1299.00", "RUB"),
        ("169,00 Kn", "169.00", "HRK"),
        ("CHF 2.25", "2.25", "CHF"),
        ("155 ر.س", "155.00", "SAR"),
        ("₹2,433", "2433.00", "INR"),
        ("12.99", "12.99", None),
        ("Brez DDV: 36.53", "36.53", None),  # "Br" inside a word is no currency
    ],
)
def test_parse_money(text: str, amount: str, currency: str | None) -> None:
    assert parse_money(text) == Money(Decimal(amount), currency)


@pytest.mark.parametrize("text", ["", "Free", "no price", "0,00 €", "123456789012 €"])
def test_parse_money_rejects_non_prices(text: str) -> None:
    assert parse_money(text) is None


@pytest.mark.parametrize(
    ("symbol", "country", "code"),
    [
        ("$", None, "USD"),
        ("$", "CA", "CAD"),
        ("$", "AU", "AUD"),
        ("$", "TW", "TWD"),
        ("$", "CL", "CLP"),
        ("kr", "DK", "DKK"),
        ("kr", "NO", "NOK"),
        ("kr", None, "SEK"),
        ("¥", "CN", "CNY"),
        ("¥", None, "JPY"),
        ("£", None, "GBP"),
        ("€", "US", "EUR"),
        ("usd", None, "USD"),
        ("RUR", None, "RUB"),  # withdrawn code, still on some pages
        ("zł", None, "PLN"),
        ("R$", None, "BRL"),
        ("nonsense", None, None),
        (None, None, None),
    ],
)
def test_currency_code_uses_the_country_for_shared_symbols(
    symbol: str | None, country: str | None, code: str | None
) -> None:
    assert currency_code(symbol, country) == code


def test_find_currency_needs_whole_words() -> None:
    assert find_currency("Brez DDV:") is None
    assert find_currency("cena 12 eur") == "EUR"
    assert find_currency("元", "TW") == "TWD"


@pytest.mark.parametrize(
    ("value", "amount"),
    [
        (12.5, "12.50"),
        (12, "12.00"),
        ("12.99", "12.99"),
        ("12,99", "12.99"),
        ("1,299.00", "1299.00"),
        ("0", None),
        (True, None),
        (None, None),
        ("free", None),
        (-3, None),
    ],
)
def test_parse_amount_for_structured_values(value: object, amount: str | None) -> None:
    assert parse_amount(value) == (Decimal(amount) if amount else None)
