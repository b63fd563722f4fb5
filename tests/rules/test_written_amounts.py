"""Amounts as families write them (SPEC 10.6): the pages' money fields read text in the
convention of the group's currency, with Babel's parser; the API keeps "12.50"."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal, get_currency_precision, get_decimal_symbol

from piglist.errors import ValidationFailed
from piglist.rules.money import convention, example_amount, written_symbols
from piglist.rules.values import parse_money
from piglist.web.forms import COMMON_CURRENCIES, currency_choices

# Every currency the group's currency field offers.
OFFERED = [code for code, _ in currency_choices()]


def written(text: str, currency: str, field: str = "price") -> Decimal | None:
    return parse_money(text, field, written_in=currency)


def refusal(text: str, currency: str, field: str = "price") -> str:
    with pytest.raises(ValidationFailed) as caught:
        written(text, currency, field)
    assert caught.value.field == field
    return caught.value.message


def test_offered_currencies_are_the_common_ones():
    assert list(COMMON_CURRENCIES) == OFFERED


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("49,99", "49.99"),
        ("1.234,50", "1234.50"),
        ("€100", "100.00"),
        ("100 €", "100.00"),
        ("100\u00a0€", "100.00"),
        ("EUR 12,5", "12.50"),
        ("1.234", "1234.00"),
        ("12.50", "12.50"),  # a phone's keypad point: the only mark, two digits after it
        ("0,5", "0.50"),
        (" 7 ", "7.00"),
    ],
)
def test_euro_as_written(text, amount):
    assert written(text, "EUR") == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,234.50", "1234.50"),
        ("$100", "100.00"),
        ("USD 3", "3.00"),
        ("1,234", "1234.00"),
        ("12,50", "12.50"),
        ("12.5", "12.50"),
    ],
)
def test_dollar_as_written(text, amount):
    assert written(text, "USD") == Decimal(amount)


@pytest.mark.parametrize(
    ("text", "currency"),
    [("1,234", "EUR"), ("49,999", "EUR"), ("1.234", "USD"), ("9.999", "GBP")],
)
def test_a_lone_mark_before_three_digits_is_ambiguous(text, currency):
    message = refusal(text, currency)
    assert "could be read two ways" in message
    assert example_amount(currency) in message


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1,234.50", "EUR", "Write the price as an amount such as 1.234,50."),
        ("1.234,50", "USD", "Write the price as an amount such as 1,234.50."),
        ("lots", "EUR", "Write the price as an amount such as 1.234,50."),
        ("€", "EUR", "Write the price as an amount such as 1.234,50."),
        ("$5", "EUR", "Write the price as an amount such as 1.234,50."),
        ("1.2.3", "EUR", "Write the price as an amount such as 1.234,50."),
        ("12 50", "EUR", "Write the price as an amount such as 1.234,50."),
        ("1e3", "USD", "Write the price as an amount such as 1,234.50."),
        ("-5", "EUR", "The price can't be negative."),
        ("1,234", "USD", None),
    ],
)
def test_malformed_amounts_show_the_expected_form(text, currency, expected):
    if expected is None:
        assert written(text, currency) == Decimal("1234.00")
    else:
        assert refusal(text, currency) == expected


def test_non_ascii_digits_are_refused_with_the_form():
    assert refusal("١٢", "EUR") == "Please write the price with the digits 0-9, such as 1.234,50."


def test_too_many_decimals_and_too_large():
    assert refusal("1,2345", "EUR") == "The price can have at most two decimals."
    assert "at most" in refusal("1.234.567,00", "EUR")


def test_field_named_in_the_message():
    assert refusal("lots", "EUR", "spending_limit") == (
        "Write the spending limit as an amount such as 1.234,50."
    )


@pytest.mark.parametrize("currency", OFFERED)
def test_every_offered_currency_reads_its_own_convention(currency):
    locale = convention(currency)
    decimals = get_currency_precision(currency)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    amount = Decimal("98765.40") if decimals else Decimal("98765")
    text = format_decimal(amount, format=pattern, locale=locale)
    assert written(text, currency) == amount
    # With its symbols on either side, and with the grouping left out.
    for symbol in written_symbols(currency):
        assert written(f"{symbol}{text}", currency) == amount
        assert written(f"{text} {symbol}", currency) == amount
    assert written(text.replace(text[2], "") if not text[2].isdigit() else text, currency) == amount
    # A plain space where the convention groups with a no-break one; "'" for the Swiss "’".
    assert written(text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'"), currency) == amount
    # Small amounts with the convention's decimal mark.
    if decimals:
        assert written(f"49{get_decimal_symbol(locale)}99", currency) == Decimal("49.99")
    # And the example every refusal shows is itself accepted.
    assert written(example_amount(currency), currency) == Decimal("1234.50" if decimals else "1234")
    # Something no convention writes is refused with that example.
    assert example_amount(currency) in refusal("12..5", currency)


@pytest.mark.parametrize("value", ["49,99", "€100", "1.234,50", "1,234.50"])
def test_the_api_keeps_canonical_amounts(value):
    # No written_in: the API's "12.50" only.
    with pytest.raises(ValidationFailed) as caught:
        parse_money(value, "price")
    assert "such as 12.50" in caught.value.message
    assert parse_money("1234.50", "price") == Decimal("1234.50")
