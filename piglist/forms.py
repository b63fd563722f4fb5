"""WTForms glue shared by every area's forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wtforms import Field
from wtforms.validators import ValidationError

from .errors import PiglistError


def domain_check(parse: Callable[[Any], Any]) -> Callable[[Any, Field], None]:
    """Run one of ``piglist.validation``'s parsers as a form validator: the page shows the same
    sentence the API returns, and ``field.data`` becomes the clean value."""

    def validate(form: Any, field: Field) -> None:
        try:
            field.data = parse(field.data)
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
