"""A gift's fields as people type them: each editable field's parser, shared by the API and the
forms (which show the parser's sentence under the field), and the list filters.

Input rules common to every area (text, money, links, currencies) live in piglist.rules.values;
what is particular to gifts (descriptions, options, which fields exist) lives here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import ValidationFailed
from ..models import MAX_QUANTITY, PRIORITIES
from ..rules.values import clean_text, parse_currency, parse_int, parse_money, parse_web_url

EDITABLE = (
    "url",
    "title",
    "description",
    "price",
    "currency",
    "category_id",
    "image_url",
    "options",
    "quantity",
    "priority",
    "occasion_id",
)
MAX_DESCRIPTION = 5000
MAX_OPTIONS = 20
SORTS = {"price", "-price", "created", "-created"}
PRIORITY_LABELS = {"high": "Most wanted", "normal": "Normal", "low": "If you like"}
# A picture Piglist already serves (an API client sending back the gift it read keeps it).
OWN_PICTURE = re.compile(r"/images/[0-9a-f]{64}")


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
    options: dict[str, str] = {}
    for key, raw in value.items():
        name = clean_text(key, "options", max_length=50)
        assert name is not None  # required
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            raise ValidationFailed(f'The option {name!r} must be a short text such as "M".', "options")
        options[name] = str(clean_text(str(raw), "options", max_length=100))  # required: never None
    return options


def parse_quantity(value: Any, field: str = "quantity") -> int:
    """How many of a gift: 1 to 99; absent means one."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    quantity = parse_int(value, field, minimum=1)
    assert quantity is not None
    if quantity > MAX_QUANTITY:
        raise ValidationFailed(f"The {field} can be at most {MAX_QUANTITY}.", field)
    return quantity


def parse_priority(value: Any) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return "normal"
    if not isinstance(value, str) or value.strip().lower() not in PRIORITIES:
        raise ValidationFailed("The priority must be 'high' (most wanted), 'normal' or 'low'.", "priority")
    return value.strip().lower()


def parse_image_url(value: Any) -> str | None:
    """A picture link to fetch (http/https), or one of Piglist's own pictures (/images/<key>)."""
    if isinstance(value, str) and OWN_PICTURE.fullmatch(value.strip()):
        return value.strip()
    return parse_web_url(value, "image_url")


PARSERS = {
    "url": lambda v: parse_web_url(v, "url"),
    "title": lambda v: clean_text(v, "title", max_length=255, required=False),
    "description": clean_description,
    "price": lambda v: parse_money(v, "price"),
    "currency": lambda v: parse_currency(v),
    "category_id": lambda v: parse_int(v, "category_id"),
    "image_url": parse_image_url,
    "options": clean_options,
    "quantity": parse_quantity,
    "priority": parse_priority,
    "occasion_id": lambda v: parse_int(v, "occasion_id", minimum=1),
}


def parse_gift_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The editable fields present in ``data``, validated; unknown keys are ignored."""
    return {name: PARSERS[name](data[name]) for name in EDITABLE if name in data}


def parse_list_filters(args: Mapping[str, Any]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for key in ("member", "category"):
        if args.get(key) not in (None, ""):
            filters[key] = parse_int(args.get(key), key)
    if args.get("priority") not in (None, ""):
        filters["priority"] = parse_priority(args.get("priority"))
    sort = args.get("sort") or None
    if sort is not None and sort not in SORTS:
        raise ValidationFailed("Sort by 'price', '-price', 'created' or '-created'.", "sort")
    filters["sort"] = sort
    return filters
