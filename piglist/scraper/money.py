"""Prices and currencies: price-parser reads the number, this module maps symbols to ISO 4217."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from price_parser import Price

from piglist.scraper.currencies import CURRENCY_SYMBOLS

CENT = Decimal("0.01")
# Anything above this is a parsing accident (a phone number, an EAN), not a gift price.
MAX_AMOUNT = Decimal("100000000")

# Currencies with three decimal places (ISO 4217): "423.923 KD" is 423 dinars and 923 fils.
THREE_DECIMALS = frozenset({"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"})
# Currencies priced in whole units, by ISO 4217 (no minor unit) or in practice (cents long gone
# from price tags): there "24.990" (CLP) or "2.449" (ARS) is thousands, even in structured data
# that is meant to use a decimal point.
WHOLE_UNITS = frozenset(
    {
        *("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV"),
        *("XAF", "XOF", "XPF", "ARS", "COP", "CRC", "HUF", "IDR", "IRR", "KZT", "LAK", "MMK", "UZS"),
    }
)

# The currency of countries that price in whole units: a structured amount with no currency of
# its own ("24.990" in og:price:amount) on a Chilean page is read as a Chilean price would be.
WHOLE_UNIT_COUNTRIES = {
    "CL": "CLP",
    "JP": "JPY",
    "KR": "KRW",
    "HU": "HUF",
    "CO": "COP",
    "AR": "ARS",
    "ID": "IDR",
    "VN": "VND",
    "PY": "PYG",
    "IS": "ISK",
    "CR": "CRC",
    "KZ": "KZT",
    "UZ": "UZS",
    "UG": "UGX",
    "RW": "RWF",
}


def reading_currency(currency: str | None, country: str | None) -> str | None:
    """The currency to read a structured amount by: its own, else a whole-unit country's."""
    return currency or WHOLE_UNIT_COUNTRIES.get((country or "").upper())


# Codes the table still lists but that no shop prices in any more.
_WITHDRAWN = frozenset(
    {"CYP", "EEK", "FRF", "IEP", "ITL", "LUF", "MTL", "NLG", "PTE", "VAL", "ZMK", "USN", "NTD", "RMB"}
)
_LEGACY_CODES = {"RUR": "RUB", "BYR": "BYN", "NIS": "ILS", "RMB": "CNY", "NTD": "TWD"}

# Symbols price-parser recognises but its table doesn't map to a code, and further currencies
# that also write a symbol the table maps elsewhere (Taiwan's "$", China's "¥").
_EXTRA_SYMBOLS: dict[str, tuple[str, ...]] = {
    "€": ("EUR",),
    "euro": ("EUR",),
    "₽": ("RUB",),
    "руб": ("RUB",),
    "руб.": ("RUB",),
    "рублей": ("RUB",),
    "р.": ("RUB",),
    "р": ("RUB",),
    "Р": ("RUB",),
    "₸": ("KZT",),
    "тг": ("KZT",),
    "тңг": ("KZT",),
    "грн": ("UAH",),
    "грн.": ("UAH",),
    "лв": ("BGN",),
    "Zł": ("PLN",),
    "ZŁ": ("PLN",),
    "$": ("TWD",),
    "¥": ("CNY",),
    "￥": ("CNY",),
    "元": ("CNY", "TWD"),
    "円": ("JPY",),
    "₹": ("INR",),
    "Rs": ("INR", "PKR", "LKR", "NPR"),
    "Rs.": ("INR", "PKR", "LKR", "NPR"),
    "Fr.": ("CHF",),
    "kr.": ("DKK", "NOK", "SEK", "ISK"),
    "Kr": ("SEK", "NOK", "DKK", "ISK"),
    "SR": ("SAR",),
    "ر.س": ("SAR",),
    "ريال": ("SAR", "QAR", "OMR", "YER", "IRR"),
    "د.إ": ("AED",),
    "درهم": ("AED", "MAD"),
    "₪": ("ILS",),
    "₩": ("KRW",),
    "원": ("KRW",),
    "NT$": ("TWD",),
    "US$": ("USD",),
    "A$": ("AUD",),
    "C$": ("CAD",),
}

# When the page gives no country that settles it, the currency most shops mean by the symbol.
_USUAL: dict[str, str] = {
    "$": "USD",
    "C$": "CAD",
    "£": "GBP",
    "kr": "SEK",
    "kr.": "DKK",
    "Kr": "SEK",
    "¥": "JPY",
    "￥": "JPY",
    "元": "CNY",
    "Br": "BYN",
    "₨": "PKR",
    "Rs": "INR",
    "Rs.": "INR",
    "₱": "PHP",
    "ƒ": "ANG",
    "ZK": "ZMW",
    "₤": "GBP",
    # The table lists North Korea's won first; shops online price in South Korea's.
    "₩": "KRW",
    "원": "KRW",
    "ريال": "SAR",
    "درهم": "AED",
    "руб": "RUB",
}


def _symbol_table() -> dict[str, tuple[str, ...]]:
    table: defaultdict[str, list[str]] = defaultdict(list)
    for code, symbols in CURRENCY_SYMBOLS.items():
        if code in _WITHDRAWN:
            continue
        for symbol in symbols:
            if symbol and symbol != "-" and code not in table[symbol]:
                table[symbol].append(code)
    for symbol, codes in _EXTRA_SYMBOLS.items():
        table[symbol].extend(code for code in codes if code not in table[symbol])
    return {symbol: tuple(codes) for symbol, codes in table.items()}


_SYMBOLS = _symbol_table()
_CODES = frozenset(code for code in CURRENCY_SYMBOLS if code not in _WITHDRAWN)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str | None


def currency_code(symbol: str | None, country: str | None = None) -> str | None:
    """ISO 4217 code for a symbol or code as shown on a page ("€", "zł", "$", "usd", "RUR").

    ``country`` (ISO 3166 alpha-2) settles shared symbols: ISO 4217 codes start with the
    issuing country's code, so "$" on a Canadian page is CAD and "kr" on a Danish one DKK.
    """
    if not symbol:
        return None
    symbol = symbol.strip().rstrip(":")
    upper = symbol.upper()
    if upper in _LEGACY_CODES:
        return _LEGACY_CODES[upper]
    if upper in _CODES and (symbol.isupper() or len(symbol) == 3):
        return upper
    candidates = _SYMBOLS.get(symbol) or _SYMBOLS.get(symbol.lower()) or _SYMBOLS.get(upper)
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]
    if country:
        for code in candidates:
            if code.startswith(country.upper()):
                return code
    return _USUAL.get(symbol, candidates[0])


def quantize(amount: Decimal | None) -> Decimal | None:
    """Two decimal places, or None for amounts no shop would ask for a gift (≤ 0, absurdly large)."""
    if amount is None or not amount.is_finite() or amount <= 0 or amount >= MAX_AMOUNT:
        return None
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# "1e3", "2.5E+3": how a JSON number or a script writes 1000 and 2500. In structured data it is
# read as written; price-parser would stop at the "e" and make 1e3 a price of 1.00.
_SCIENTIFIC = re.compile(r"\+?\d+(?:\.\d+)?[eE][+-]?\d{1,3}")
# The same shape anywhere in shown text ("1e3 €") is a code or a typo, never a price a shop shows.
_SCIENTIFIC_IN_TEXT = re.compile(r"\d[eE][+-]?\d")
_THOUSANDS_DOT = re.compile(r"\d{1,3}(?:\.\d{3})+")
_DIGIT = re.compile(r"\d")
# A minus sign against the number or its symbol ("-5", "−5", "-€5", "US$ -5"); a dash with a
# space after it is punctuation ("Now - £12"), not a sign.
_MINUS = re.compile(r"[-−](?:[^\w\s]{1,3}\s?)?$")


def is_negative(text: str) -> bool:
    """Whether the first number in ``text`` carries a minus sign: no price, however it parses
    (price-parser drops the sign, which once turned "-5" into a price of 5.00)."""
    digit = _DIGIT.search(text)
    return digit is not None and _MINUS.search(text[: digit.start()]) is not None


def parse_amount(value: object, currency: str | None = None) -> Decimal | None:
    """An amount from structured data: 12.99, "12.99", "1,299.00", "12,99", "€ 12,99"; and
    "24.990" in a currency priced in whole units (``currency``, ISO 4217) as 24990."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return quantize(Decimal(str(value)))
    text = str(value).strip()
    if is_negative(text):
        return None
    if currency in WHOLE_UNITS and _THOUSANDS_DOT.fullmatch(text):
        text = text.replace(".", "")
    if _PLAIN_NUMBER.fullmatch(text) or _SCIENTIFIC.fullmatch(text):
        try:
            return quantize(Decimal(text))
        except InvalidOperation:
            return None
    money = money_in(text)
    return money.amount if money else None


def money_in(text: str, *, country: str | None = None) -> Money | None:
    """The first price in ``text`` ("1.299,00 €", "US$ 12.99", "12,50 zł") with its currency, if any.

    price-parser reads a lone "." or "," before three digits as a thousands mark ("24.990",
    "1,234"), which is right for every currency but those with three decimals ("423.923 KD").
    """
    if not text or not any(char.isdigit() for char in text) or is_negative(text):
        return None
    if _SCIENTIFIC_IN_TEXT.search(text):
        return None
    price = Price.fromstring(text)
    symbol = price.currency if price.currency and _standalone(price.currency, text) else None
    currency = _stated_code(text, symbol) or currency_code(symbol, country) or find_currency(text, country)
    if currency in THREE_DECIMALS:
        price = Price.fromstring(text, decimal_separator=".")
    amount = quantize(price.amount)
    if amount is None:
        return None
    return Money(amount, currency)


_CODE_WORD = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")


def _stated_code(text: str, symbol: str | None) -> str | None:
    """An ISO 4217 code written beside a symbol several currencies share: "$12.990 CLP" and
    "CLP$ 12.990" are Chilean pesos wherever the page is, not dollars."""
    if symbol is None or len(_SYMBOLS.get(symbol, ())) < 2:
        return None
    for code in _CODE_WORD.findall(text):
        if code in _CODES and code in _SYMBOLS.get(symbol, ()):
            return code
    return None


def _spaced(symbol: str) -> bool:
    """Whether a symbol is written in a script that separates words with spaces (Latin,
    Cyrillic, Arabic…), so that it only counts standing apart: "Br" is no currency in "Brez".
    CJK signs such as 元 follow the number directly ("99元起")."""
    return any(char.isalpha() and ord(char) < _CJK_START for char in symbol)


_CJK_START = 0x2E80
_NOT_AFTER_LETTER = r"(?<![^\W\d_])"
_NOT_BEFORE_LETTER = r"(?![^\W\d_])"


def _standalone(symbol: str, text: str) -> bool:
    """price-parser also finds symbols inside words; a real one stands apart from letters."""
    if not _spaced(symbol):
        return True
    return re.search(_NOT_AFTER_LETTER + re.escape(symbol) + _NOT_BEFORE_LETTER, text) is not None


def _symbol_pattern() -> re.Pattern[str]:
    """All symbols that aren't plain ASCII words ("€", "ر.س", "zł", "R$", "元"), longest first so
    "R$" wins over "$"; those written with letters must stand apart from other letters."""
    symbols = sorted((s for s in _SYMBOLS if not s.isascii() or not s.isalnum()), key=len, reverse=True)
    return re.compile(
        "|".join(
            _NOT_AFTER_LETTER + re.escape(s) + _NOT_BEFORE_LETTER if _spaced(s) else re.escape(s)
            for s in symbols
        )
    )


_SYMBOL = _symbol_pattern()
_WORD = re.compile(r"[A-Za-z]{2,}\.?")


def find_currency(text: str, country: str | None = None) -> str | None:
    """A currency shown in ``text``: a symbol anywhere, or a code or name as a whole word in any
    letter case ("Kn", "eur"). Lone letters ("L", "K") are left out: in text they are rarely money."""
    match = _SYMBOL.search(text)
    if match:
        return currency_code(match.group(), country)
    for word in _WORD.findall(text):
        for form in (word, word.lower(), word.upper()):
            if form in _SYMBOLS or form in _CODES or form in _LEGACY_CODES:
                return currency_code(form, country)
    return None
