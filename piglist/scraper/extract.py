"""Product details from a page's HTML: structured sources first, then what the page shows.

Each structured source reads the whole page; their results are merged field by field in the
order of ``PRIORITY``, and HTML heuristics fill whatever is still missing.
"""

from __future__ import annotations

from collections.abc import Callable

from .page import Page
from .product import DESCRIPTION_LIMIT, TITLE_LIMIT, Product
from .sources import heuristics, jsonld, meta, microdata, platforms
from .text import clean_text

STRUCTURED: dict[str, Callable[[Page], Product]] = {
    "json-ld": jsonld.extract,
    "microdata": microdata.extract,
    "opengraph": meta.opengraph,
    "twitter": meta.twitter,
    "platform": platforms.extract,
}

# Per field, the sources to believe first. Microdata comes after Open Graph for text and
# pictures because shops put itemprop=name on the visible <h1> (with its "Details about"
# prefixes and hidden labels) and itemprop=image on a thumbnail, while og:title / og:image
# are the values they chose to represent the product. For the price, Open Graph's
# product:price tags come first: where they and JSON-LD disagree, the JSON-LD offer tends
# to hold a starting, regular or lowest-variant price and og the price on display.
PRIORITY: dict[str, tuple[str, ...]] = {
    "title": ("json-ld", "opengraph", "twitter", "microdata", "platform"),
    "price": ("opengraph", "json-ld", "microdata", "twitter", "platform"),
    "image_url": ("json-ld", "opengraph", "twitter", "microdata", "platform"),
    "description": ("json-ld", "opengraph", "microdata", "twitter", "platform"),
}
OPTION_SOURCES = ("json-ld", "microdata", "platform")

__all__ = ["Product", "extract"]


def extract(html: str, url: str) -> Product:
    """Title, price, currency, image, description and options of the product on ``html``."""
    page = Page(html, url)
    found = {name: source(page) for name, source in STRUCTURED.items()}
    product = merge(found)
    product.fill_from(heuristics.extract(page, product), "html")
    return _trimmed(product)


def merge(found: dict[str, Product]) -> Product:
    """One product from the structured sources' findings, each field from the first source in
    its ``PRIORITY`` that has it."""
    product = Product()
    for field, order in PRIORITY.items():
        if field == "image_url":
            order = _https_first(order, found)
        for name in order:
            value = getattr(found[name], field)
            if value:
                setattr(product, field, value)
                product.sources[field] = name
                break
    _merge_currency(product, found)
    for name in OPTION_SOURCES:
        product.fill_from(Product(options=found[name].options), name)
    return product


def _https_first(order: tuple[str, ...], found: dict[str, Product]) -> tuple[str, ...]:
    """Piglist is served over HTTPS, where browsers block http:// pictures, so an https image
    from a later source beats an http one from an earlier source."""
    return tuple(sorted(order, key=lambda name: not (found[name].image_url or "").startswith("https:")))


def _merge_currency(product: Product, found: dict[str, Product]) -> None:
    """The currency stated with the chosen price, else the first one any source states."""
    price_source = product.sources.get("price")
    order = PRIORITY["price"]
    if price_source:
        order = (price_source, *order)
    for name in order:
        if found[name].currency:
            product.currency = found[name].currency
            product.sources["currency"] = name
            return


def _trimmed(product: Product) -> Product:
    """Texts cut to what a gift can hold, whichever source they came from."""
    product.title = clean_text(product.title, TITLE_LIMIT)
    product.description = clean_text(product.description, DESCRIPTION_LIMIT)
    return product
