"""Input rules shared by every door: each parser returns a clean value or raises
:class:`ValidationFailed` naming the field, with the sentence a person will read.

Pages reach these through WTForms (``forms.domain_check``), the API directly, so a rule
and its message exist once.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, overload
from urllib.parse import urlsplit

from babel.core import get_global
from babel.numbers import (
    NumberFormatError,
    get_decimal_symbol,
    get_group_symbol,
    get_territory_currencies,
    parse_decimal,
)
from email_validator import EmailNotValidError, validate_email

from ..errors import ValidationFailed
from ..models import MAX_ID
from .money import convention, example_amount, written_symbols

MAX_MONEY = Decimal("999999.99")
CENTS = Decimal("0.01")
MIN_PASSWORD = 8
MAX_PASSWORD = 200  # hashing is slow on purpose; an unbounded password would be a cheap attack
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,10}")
# Typed amounts: ASCII digits and a point. Decimal() also reads "１２" and "٣" (and "1e3");
# refusing them keeps what is stored exactly what the person meant to type.
AMOUNT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def currencies_in_use(on: date) -> frozenset[str]:
    """ISO 4217 codes some country uses as legal tender on ``on``: not XXX, XTS, gold, or the
    Deutsche Mark (Babel's ``list_currencies`` holds every code ever assigned)."""
    codes: set[str] = set()
    for territory in get_global("territory_currencies"):
        codes.update(get_territory_currencies(territory, start_date=on, tender=True))
    return frozenset(codes)


ISO_CURRENCIES = currencies_in_use(date.today())


def require_str(value: Any, field: str, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed(f"Please fill in {the(field)}.", field)
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{the(field).capitalize()} must be text.", field)
    return value


# Fields a page labels in other words than their name (the register form's "Your name").
SAID_AS = {"display_name": "your name"}


def the(field: str) -> str:
    """The field as a sentence names it: "the price", "your name"."""
    return SAID_AS.get(field, "the " + field.replace("_", " "))


@overload
def clean_text(
    value: Any, field: str, *, max_length: int, required: Literal[True] = True, min_length: int = 1
) -> str: ...
@overload
def clean_text(
    value: Any, field: str, *, max_length: int, required: bool, min_length: int = 1
) -> str | None: ...
def clean_text(
    value: Any, field: str, *, max_length: int, required: bool = True, min_length: int = 1
) -> str | None:
    """Trimmed single-line text, without control characters."""
    text = require_str(value, field, required=required)
    if text is None:
        return None
    text = " ".join(text.split())
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValidationFailed(f"{the(field).capitalize()} contains characters that can't be shown.", field)
    if len(text) < min_length:
        raise ValidationFailed(f"Please fill in {the(field)}.", field)
    if len(text) > max_length:
        raise ValidationFailed(
            f"{the(field).capitalize()} can be at most {max_length} characters long.", field
        )
    return text


def clean_email(value: Any, field: str = "email") -> str:
    text = require_str(value, field)
    assert text is not None
    if len(text) > 254:
        raise ValidationFailed("That email address is too long.", field)
    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        # email_validator's sentence, continuing ours: "… address: it must have an @-sign."
        why = re.sub(r"^(An|The) email address ", "it ", str(exc))
        raise ValidationFailed(
            f"That doesn't look like an email address: {why[:1].lower()}{why[1:]}", field
        ) from None
    return result.normalized


def check_password(value: Any, field: str = "password") -> str:
    if not isinstance(value, str) or not value:
        raise ValidationFailed("Please choose a password.", field)
    problems = []
    if len(value) < MIN_PASSWORD:
        problems.append(f"at least {MIN_PASSWORD} characters")
    if not re.search(r"[A-Z]", value):
        problems.append("an upper-case letter")
    if not re.search(r"[a-z]", value):
        problems.append("a lower-case letter")
    if not re.search(r"[0-9]", value):
        problems.append("a digit")
    if problems:
        raise ValidationFailed("The password needs " + join_words(problems) + ".", field)
    if len(value) > MAX_PASSWORD:
        raise ValidationFailed(f"The password can be at most {MAX_PASSWORD} characters long.", field)
    return value


def join_words(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@overload
def parse_money(
    value: Any,
    field: str,
    *,
    required: Literal[True],
    written_in: str | None = None,
    symbols_of: str | None = None,
) -> Decimal: ...
@overload
def parse_money(
    value: Any,
    field: str,
    *,
    required: bool = False,
    written_in: str | None = None,
    symbols_of: str | None = None,
) -> Decimal | None: ...
def parse_money(
    value: Any,
    field: str,
    *,
    required: bool = False,
    written_in: str | None = None,
    symbols_of: str | None = None,
) -> Decimal | None:
    """A non-negative amount with at most two decimals: 12, 12.5, "12.50". A JSON number is read
    through its shortest text form, so 45.99 stays 45.99 and never becomes 45.98999…

    ``written_in`` (a currency code) is for what a person typed into a page: the text is read as
    a group using that currency writes amounts (:func:`read_written`), "1.234,50 €" in EUR."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationFailed(f"Please fill in {the(field)}.", field)
        return None
    if written_in is not None and isinstance(value, str):
        value = read_written(value, field, written_in, symbols_of or written_in)
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValidationFailed(f'{the(field).capitalize()} must be an amount such as "12.50".', field)
    if isinstance(value, str) and not AMOUNT.fullmatch(value.strip()):
        if any(ch.isdigit() and not ch.isascii() for ch in value):
            raise ValidationFailed(f"Please write {the(field)} with the digits 0-9, such as 12.50.", field)
        raise ValidationFailed(f"{the(field).capitalize()} must be an amount such as 12.50.", field)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationFailed(f"{the(field).capitalize()} must be an amount such as 12.50.", field) from None
    if not amount.is_finite():
        raise ValidationFailed(f"{the(field).capitalize()} must be an amount such as 12.50.", field)
    if amount < 0:
        raise ValidationFailed(f"{the(field).capitalize()} can't be negative.", field)
    # Compared before quantizing: quantize() itself fails on amounts past 28 digits.
    if amount > MAX_MONEY:
        raise ValidationFailed(f"{the(field).capitalize()} can be at most {MAX_MONEY:,}.", field)
    if amount != amount.quantize(CENTS, rounding=ROUND_HALF_UP):
        raise ValidationFailed(f"{the(field).capitalize()} can have at most two decimals.", field)
    return amount.quantize(CENTS)


def read_written(text: str, field: str, code: str, symbols_of: str) -> Decimal:
    """``text`` as a group using ``code`` writes amounts, with Babel's parser for its convention
    (piglist.rules.money.convention): "49,99", "1.234,50", "€100", "100 €" in EUR; "1,234.50",
    "$100" in USD. The symbols of ``symbols_of`` (the amount's currency) may stand before or after.

    Two readings people also type are taken: the other mark as the decimal point when it is the
    only mark and one or two digits follow ("49.99" in EUR, "12,50" in USD). A lone decimal mark
    followed by exactly three digits ("1,234" in EUR, "1.234" in USD) could be either reading and
    is refused, as is anything else Babel's strict parser refuses; the message shows the form."""
    locale = convention(code)
    decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)
    what = "" if field == "amount" else f" {the(field)} as"
    expected = f"Write{what} an amount such as {example_amount(code)}."
    written = text.strip()
    for symbol in written_symbols(symbols_of):
        if written.upper().startswith(symbol.upper()):
            written = written[len(symbol) :].strip()
            break
        if written.upper().endswith(symbol.upper()):
            written = written[: -len(symbol)].strip()
            break
    if any(ch.isdigit() and not ch.isascii() for ch in written):
        raise ValidationFailed(
            f"Please write {the(field)} with the digits 0-9, such as {example_amount(code)}.", field
        )
    # Spaces and apostrophes as people type them, for conventions grouping with a (narrow,
    # no-break) space or with "’" (Swiss).
    if group.isspace():
        written = re.sub(r"(?<=[0-9])\s(?=[0-9]{3})", group, written)
    elif group == "’":
        written = written.replace("'", group)
    other = "." if decimal == "," else ","
    marks = re.escape("".join({decimal, group, other}))
    if not re.fullmatch(rf"-?[0-9{marks}]+", written) or not re.search("[0-9]", written):
        raise ValidationFailed(expected, field)
    if (
        decimal not in written
        and written.count(other) == 1
        and re.search(rf"{re.escape(other)}[0-9]{{1,2}}$", written)
    ):
        written = written.replace(other, decimal)
    elif (
        group not in written
        and written.count(decimal) == 1
        and re.search(rf"{re.escape(decimal)}[0-9]{{3}}$", written)
    ):
        raise ValidationFailed(f"“{written}” could be read two ways. {expected}", field)
    try:
        return parse_decimal(written, locale=locale, strict=True)
    except NumberFormatError:
        raise ValidationFailed(expected, field) from None


def parse_currency(value: Any, field: str = "currency", *, required: bool = False) -> str | None:
    text = require_str(value, field, required=required)
    if text is None:
        return None
    code = text.strip().upper()
    if code not in ISO_CURRENCIES:
        raise ValidationFailed(
            f"{text.strip()[:10]!r} is not the ISO 4217 code of a currency in use, such as USD or EUR.",
            field,
        )
    return code


def parse_date(value: Any, field: str, *, required: bool = False) -> date | None:
    if isinstance(value, date):
        return value
    text = require_str(value, field, required=required)
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{the(field).capitalize()} must be a date like 2026-12-20.", field) from None


def parse_web_url(
    value: Any, field: str = "url", *, required: bool = False, max_length: int = 2048
) -> str | None:
    """An absolute http(s) URL with a host; anything else (javascript:, file:, data:) is refused."""
    text = require_str(value, field, required=required)
    if text is None:
        return None
    url = text.strip()
    if len(url) > max_length:
        raise ValidationFailed(
            f"{the(field).capitalize()} can be at most {max_length} characters long.", field
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ValidationFailed(f"{the(field).capitalize()} can't contain spaces.", field)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[x"
        host = None
    if host is None or parts.scheme.lower() not in ("http", "https"):
        raise ValidationFailed(
            f"{the(field).capitalize()} must be a web address starting with http:// or https://.", field
        )
    return url


def parse_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(f"{the(field).capitalize()} must be true or false.", field)
    return value


def parse_int(value: Any, field: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    if value is None:
        if required:
            raise ValidationFailed(f"Please fill in {the(field)}.", field)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses.
        if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
            value = int(value.strip())
        else:
            raise ValidationFailed(f"{the(field).capitalize()} must be a whole number.", field)
    if minimum is not None and value < minimum:
        raise ValidationFailed(f"{the(field).capitalize()} must be at least {minimum}.", field)
    if abs(value) > MAX_ID:  # PostgreSQL's integer, for whole-number fields as for ids
        raise ValidationFailed(f"{the(field).capitalize()} is too large.", field)
    return value
