"""What every door refuses before a view runs: input the database can't hold, and JSON
posted to a page.

PostgreSQL's ``integer`` ends at 2**31 - 1 and its text can't hold a NUL byte; a lone UTF-16
surrogate (``"\\ud800"`` in JSON) can't even be encoded to send. Left to the database, each
is a 500; caught here, once for every route, it is a 404 (an id no row can have) or a
clear 422 naming the field, before anything is read or stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from piglist.errors import UnsupportedMediaType, ValidationFailed
from piglist.models import MAX_ID

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# Deeper JSON than this is nobody's gift list; Python's parser would hit its recursion limit.
MAX_JSON_DEPTH = 32


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` that only matches ids a row can have: a bigger number is a plain 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def has_unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


def unstorable_message(field: str) -> str:
    return (
        f"The {field.replace('_', ' ')} contains a character that can't be stored "
        "(a NUL byte or an unpaired surrogate). Please remove it."
    )


def strings_in(value: Any, field: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON value (keys included) with the dotted field it sits under."""
    stack = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValidationFailed("The JSON body is nested too deeply.")
        if isinstance(item, str):
            yield path or "body", item
        elif isinstance(item, dict):
            for key, child in item.items():
                child_path = f"{path}.{key}" if path else str(key)
                yield child_path, str(key)
                stack.append((child, child_path, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, path, depth + 1) for child in item)


def submitted_strings() -> Iterator[tuple[str, str]]:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            yield name, value
    for source in (request.args, request.form):
        for name, values in source.lists():
            name = name or ""  # a multipart part whose name Werkzeug can't parse has None
            yield name, name
            for value in values:
                yield name, value
    if request.is_json:
        yield from strings_in(request.get_json(silent=True))


def refuse_unstorable(strings: Iterator[tuple[str, str]]) -> None:
    for field, text in strings:
        if has_unstorable(text):
            raise ValidationFailed(unstorable_message(field), field)


def check_decoded_json(value: Any, field: str) -> None:
    """The same check for JSON a view decodes itself from a form field (a multipart request's
    ``options``): ``"\ud800"`` is plain text until it is decoded."""
    refuse_unstorable(strings_in(value, field))


def check_input() -> None:
    if request.is_json and not request.path.startswith("/api/") and request.method not in SAFE_METHODS:
        # Flask-WTF would read a JSON body as form data and choke on a list or a number.
        raise UnsupportedMediaType("Pages take form posts; send JSON to the API under /api/v1.")
    refuse_unstorable(submitted_strings())


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: routes pick their converters when added."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(check_input)
