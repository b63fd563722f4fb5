"""WTForms glue shared by every area's forms."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from babel.numbers import get_currency_name
from wtforms import Field
from wtforms.validators import ValidationError

from piglist.errors import PiglistError
from piglist.rules.values import ISO_CURRENCIES, parse_money

# The currencies a family most likely uses, offered first; any ISO 4217 code is still accepted.
COMMON_CURRENCIES = (
    "USD", "EUR", "GBP", "CAD", "AUD", "NZD", "CHF", "SEK", "NOK", "DKK",
    "PLN", "CZK", "HUF", "JPY", "CNY", "INR", "ZAR", "MXN", "BRL",
)  # fmt: skip


def currency_choices(*also: str | None) -> list[tuple[str, str]]:
    """(code, name) of the common currencies and of ``also`` (the group's, the gift's), so a
    select never drops the value a gift already has; codes no country uses are left out."""
    codes = [*COMMON_CURRENCIES, *(code for code in also if code in ISO_CURRENCIES)]
    return [(code, get_currency_name(code, locale="en_US")) for code in dict.fromkeys(codes)]


@functools.cache
def common_currencies() -> tuple[tuple[str, str], ...]:
    """:func:`currency_choices` with nothing added, made once per process."""
    return tuple(currency_choices())


def domain_check(parse: Callable[[Any], Any]) -> Callable[[Any, Field], None]:
    """Run one of ``piglist.rules.values``'s parsers as a form validator: the page shows the same
    sentence the API returns, and ``field.data`` becomes the clean value."""

    def validate(form: Any, field: Field) -> None:
        try:
            field.data = parse(field.data)
        except PiglistError as exc:
            raise ValidationError(exc.message) from None

    return validate


def written_amount(name: str, symbols_field: str | None = None) -> Callable[[Any, Field], None]:
    """A money field as the group writes amounts (SPEC 10.6): the form's ``written_in`` (the
    group's currency, set by the page before validating) says the convention, "49,99" in EUR; the
    currency chosen in ``symbols_field``, when the form has one, whose symbol may be typed."""

    def validate(form: Any, field: Field) -> None:
        written_in = getattr(form, "written_in", None)
        chosen = getattr(form, symbols_field).data if symbols_field else None
        symbols_of = chosen.strip().upper() if isinstance(chosen, str) and chosen.strip() else None
        try:
            field.data = parse_money(field.data, name, written_in=written_in, symbols_of=symbols_of)
        except PiglistError as exc:
            raise ValidationError(exc.message) from None

    return validate


def apply_error(form: Any, exc: PiglistError) -> None:
    """Show a service's error on the form: under its field when the form has it, else on top."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def save_form(form: Any, action: Callable[[], Any]) -> tuple[bool, Any]:
    """The form-post skeleton every page shares: when ``form`` is posted and valid, run the
    service call ``action``; a service error lands on the form (under its field). Returns
    (True, the action's result) when it was saved, (False, None) otherwise (so the result is
    typed Any: a checker can't tie it to the flag once the pair is unpacked) — the caller then
    flashes and redirects, or renders the form again with :func:`form_status`."""
    if not form.validate_on_submit():
        ask_for_files_again(form)
        return False, None
    try:
        return True, action()
    except PiglistError as exc:
        apply_error(form, exc)
        ask_for_files_again(form)
        return False, None


def ask_for_files_again(form: Any) -> None:
    """A browser never fills a file input in again, so a form sent back with an error would drop
    a chosen picture silently: say so under the field, with the file's name, so it is chosen
    again (a file that was itself the error already has its sentence)."""
    if not form.is_submitted():
        return
    for field in form:
        chosen = getattr(field.data, "filename", None) if field.type == "FileField" else None
        if chosen and not field.errors:
            name = str(chosen).replace("\\", "/").rsplit("/", 1)[-1][:80]
            field.errors = [f"Choose “{name}” again: a chosen file isn't kept when the form comes back."]


def form_status(*forms: Any) -> int:
    """422 when any of the forms shows an error (a field's or the form's own), else 200."""
    failed = any(form.form_errors or any(field.errors for field in form) for form in forms if form)
    return 422 if failed else 200
