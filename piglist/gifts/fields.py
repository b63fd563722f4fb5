"""A gift's fields as people type them: each editable field's parser, shared by the API and the
forms (which show the parser's sentence under the field), and the list filters.

Input rules common to every area (text, money, links, currencies) live in piglist.validation;
what is particular to gifts (descriptions, options, which fields exist) lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ValidationFailed
from ..validation import clean_text, parse_currency, parse_int, parse_money, parse_web_url

EDITABLE = ("url", "title", "description", "price", "currency", "category_id", "image_url", "options")
MAX_DESCRIPTION = 5000
MAX_OPTIONS = 20
SORTS = {"price", "-price", "created", "-created"}


def clean_description(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ValidationFailed("The description must be text.", "description")
    text = "\n".join(line.rstrip() for line in value.strip().replace("\r\n", "\n").split("\n"))
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            f"The description can be at most {MAX_DESCRIPTION} characters long.", "description"
        )
    return text


def clean_options(value: Any) -> dict[str, str]:
    """Options such as size or colour: a flat object of short texts ({"size": "M"})."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationFailed(
            'The options must be an object such as {"size": "M", "colour": "red"}.', "options"
        )
    if len(value) > MAX_OPTIONS:
        raise ValidationFailed(f"A gift can have at most {MAX_OPTIONS} options.", "options")
    options = {}
    for key, raw in value.items():
        name = clean_text(key, "options", max_length=50)
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise ValidationFailed(f'The option {name!r} must be a short text such as "M".', "options")
        options[name] = clean_text(str(raw), "options", max_length=100)
    return options


PARSERS = {
    "url": lambda v: parse_web_url(v, "url"),
    "title": lambda v: clean_text(v, "title", max_length=255, required=False),
    "description": clean_description,
    "price": lambda v: parse_money(v, "price"),
    "currency": lambda v: parse_currency(v),
    "category_id": lambda v: parse_int(v, "category_id"),
    "image_url": lambda v: parse_web_url(v, "image_url"),
    "options": clean_options,
}


def parse_gift_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields present in ``data``, validated; unknown keys are ignored."""
    return {name: PARSERS[name](data[name]) for name in EDITABLE if name in data}


def parse_list_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for key in ("member", "category"):
        if args.get(key) not in (None, ""):
            filters[key] = parse_int(args.get(key), key)
    sort = args.get("sort") or None
    if sort is not None and sort not in SORTS:
        raise ValidationFailed("Sort by 'price', '-price', 'created' or '-created'.", "sort")
    filters["sort"] = sort
    return filters
