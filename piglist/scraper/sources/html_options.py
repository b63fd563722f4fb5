"""Sizes and colours offered through the page's own <select> menus and radio buttons."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from ..product import option_kind
from ..text import plain_text
from .layout import Layout

MAX_VALUES = 50

# First entries such as "Select a size" or "--" are prompts, not options.
_PROMPT = re.compile(r"^(?:-+|select|choose|pick|please|bitte|choisi|selecciona|seleziona|w[aä]hl)", re.I)


def find(layout: Layout) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for select in layout.body.iter("select"):
        kind = _kind(select, layout)
        if kind and kind not in found:
            values = [_option_text(option) for option in select.iter("option") if option.get("value") != ""]
            _keep(found, kind, values)
    for kind, values in _radio_groups(layout).items():
        if kind not in found:
            _keep(found, kind, values)
    return found


def _keep(found: dict[str, list[str]], kind: str, values: list[str | None]) -> None:
    cleaned = [value for value in values if value and not _PROMPT.match(value)]
    if cleaned:
        found[kind] = list(dict.fromkeys(cleaned))[:MAX_VALUES]


def _kind(control: HtmlElement, layout: Layout) -> str | None:
    """What a control chooses, from its name, id, aria-label or <label for=…>."""
    names = " ".join(
        control.get(attribute, "") for attribute in ("name", "id", "aria-label", "data-option-name")
    )
    control_id = control.get("id")
    if control_id:
        for label in layout.body.xpath(".//label[@for=$id]", id=control_id):
            names += " " + label.text_content()
    return option_kind(names)


def _option_text(option: HtmlElement) -> str | None:
    return plain_text(option.text_content()) or plain_text(option.get("value"))


def _radio_groups(layout: Layout) -> dict[str, list[str | None]]:
    groups: dict[str, list[str | None]] = {}
    for radio in layout.body.xpath(".//input[@type='radio'][@name]"):
        kind = _kind(radio, layout)
        if kind:
            groups.setdefault(kind, []).append(_radio_label(radio, layout))
    return groups


def _radio_label(radio: HtmlElement, layout: Layout) -> str | None:
    radio_id = radio.get("id")
    if radio_id:
        for label in layout.body.xpath(".//label[@for=$id]", id=radio_id):
            text = plain_text(label.text_content())
            if text:
                return text
    return plain_text(radio.get("value"))
