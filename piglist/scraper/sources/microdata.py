"""schema.org Product from microdata (itemscope / itemprop), read into JSON-LD-shaped dicts."""

from __future__ import annotations

from lxml.html import HtmlElement

from ..page import Page
from ..product import Product
from ..text import plain_text
from .layout import shows_other_products
from .schema import main_product

_URL_ATTRIBUTE = {
    "a": "href",
    "area": "href",
    "link": "href",
    "img": "src",
    "audio": "src",
    "video": "src",
    "source": "src",
    "embed": "src",
    "iframe": "src",
    "object": "data",
}


def items(page: Page) -> list[dict]:
    """Top-level microdata items; nested ones appear as property values inside them.

    Items in a block of other products ("You may also like", recently viewed, the cart) are
    those products, not the page's; where an item holds the page's <h1>, it is the product.
    """
    scopes = [
        element
        for element in page.root.xpath("//*[@itemscope and not(@itemprop)]")
        if not shows_other_products(element)
    ]
    products = [element for element in scopes if "product" in element.get("itemtype", "").lower()]
    headed = [element for element in products if element.xpath(".//h1")]
    if headed:
        scopes = [element for element in scopes if element not in products or element in headed]
    return [_item(element) for element in scopes]


def _item(scope: HtmlElement) -> dict:
    item: dict[str, object] = {}
    if scope.get("itemtype"):
        item["@type"] = scope.get("itemtype", "").split()
    _collect(scope, item)
    return item


def _collect(element: HtmlElement, item: dict) -> None:
    for child in element.iterchildren("*"):
        names = (child.get("itemprop") or "").split()
        is_scope = child.get("itemscope") is not None
        if names:
            value = _item(child) if is_scope else _property_value(child)
            for name in names:
                existing = item.get(name)
                item[name] = value if existing is None else [*_as_list(existing), value]
        if not is_scope:
            _collect(child, item)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _property_value(element: HtmlElement) -> str | None:
    """The microdata value rules, plus ``content`` on any element, which shops use widely."""
    if element.get("content") is not None:
        return element.get("content")
    tag = element.tag if isinstance(element.tag, str) else ""
    attribute = _URL_ATTRIBUTE.get(tag)
    if attribute:
        return element.get(attribute) or element.get("data-src")
    if tag in ("data", "meter"):
        return element.get("value")
    if tag == "time":
        return element.get("datetime") or element.text_content()
    return plain_text(element.text_content())


def extract(page: Page) -> Product:
    return main_product(items(page), page)
