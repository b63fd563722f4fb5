"""Product details from a page's HTML: structured sources first, then what the page shows.

Each structured source reads the whole page; their results are merged field by field in the
order of ``PRIORITY``, and HTML heuristics fill whatever is still missing. The price is the
exception: every structured price is checked against the price the page shows a buyer, because
shops leave former, regular or starting prices in their markup while the page shows another.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from .errors import NotAProductPage
from .money import Money
from .page import Page
from .page_kind import not_a_product
from .product import DESCRIPTION_LIMIT, TITLE_LIMIT, Product
from .sources import heuristics, html_price, jsonld, meta, microdata, platforms
from .sources.html_price import Shown
from .sources.layout import Layout
from .text import plain_text

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
# are the values they chose to represent the product. For the price this order only breaks
# ties that the page itself doesn't settle (see ``choose_price``).
PRIORITY: dict[str, tuple[str, ...]] = {
    "title": ("json-ld", "opengraph", "twitter", "microdata", "platform"),
    "price": ("opengraph", "json-ld", "microdata", "twitter", "platform"),
    "image_url": ("json-ld", "opengraph", "twitter", "microdata", "platform"),
    "description": ("json-ld", "opengraph", "microdata", "twitter", "platform"),
}
OPTION_SOURCES = ("json-ld", "microdata", "platform")
# What the page shows, as a source of its own: the price a buyer sees beside the product.
SHOWN = "html"

__all__ = ["NotAProductPage", "Product", "extract"]


def extract(html: str, url: str) -> Product:
    """Title, price, regular price, currency, image, description and options of the product on
    ``html``. Raises NotAProductPage for a captcha, a consent wall or a "not found" page."""
    page = Page(html, url)
    found = {name: source(page) for name, source in STRUCTURED.items()}
    product = merge(found)
    layout = Layout(page, product.title)
    shown = _shown_price(layout, found)
    found[SHOWN] = Product(
        price=shown.current.amount if shown.current else None,
        currency=shown.current.currency if shown.current else None,
        regular_price=shown.regular,
    )
    choose_price(product, found, shown)
    product.fill_from(heuristics.extract(page, layout, product), SHOWN)
    refusal = not_a_product(page, layout, product, found)
    if refusal is not None:
        raise refusal
    return _trimmed(product)


def _shown_price(layout: Layout, found: dict[str, Product]) -> Shown:
    """What the page shows a buyer, worked out in full only when structured data leave doubt:
    no price, prices that disagree, or a price the page crosses out. Scoring every price on a
    page is the extractor's costliest step; where they agree, only the agreed price's block is
    read, for a former price shown beside it."""
    amounts = {product.price for product in found.values() if product.price is not None}
    if len(amounts) == 1:
        amount = next(iter(amounts))
        if not html_price.shows_as_former(layout, amount):
            regular = html_price.regular_beside(layout, amount)
            return Shown(current=Money(amount, None), regular=regular) if regular else Shown()
    return html_price.shown(layout)


def merge(found: dict[str, Product]) -> Product:
    """One product from the structured sources' findings, each field but the price from the first
    source in its ``PRIORITY`` that has it."""
    product = Product()
    for field, order in PRIORITY.items():
        if field == "price":
            continue
        if field == "image_url":
            order = _https_first(order, found)
        for name in order:
            value = getattr(found[name], field)
            if value:
                setattr(product, field, value)
                product.sources[field] = name
                break
    for name in OPTION_SOURCES:
        product.fill_from(Product(options=found[name].options), name)
    return product


def choose_price(product: Product, found: dict[str, Product], shown: Shown) -> None:
    """The price a buyer pays today, with the regular price when the page shows a discount.

    1. A structured price the page shows as a price to pay wins, the page's own best first.
    2. Otherwise structured prices that the page crosses out, or that another source names as
       the regular price, are former prices, not the price: the rest decide in ``PRIORITY``.
    3. If every structured price is a former one, or there is none, the shown price is taken.
    """
    name = _price_source(found, shown)
    if name is None:
        _merge_currency(product, found, None)
        return
    product.price = found[name].price
    product.sources["price"] = name
    product.regular_price = _regular_price(product.price, name, found, shown)
    _merge_currency(product, found, name)


def _price_source(found: dict[str, Product], shown: Shown) -> str | None:
    priced = [name for name in PRIORITY["price"] if found[name].price is not None]
    agreed = _agreed_source(found, priced, shown)
    if agreed is not None:
        return agreed
    for money in shown.payable:
        for name in priced:
            if found[name].price == money.amount:
                return name
    regular = {found[name].regular_price for name in priced} | shown.former
    current = [name for name in priced if found[name].price not in regular]
    if current:
        return current[0]
    if shown.current is not None:
        return SHOWN
    return priced[0] if priced else None


def _agreed_source(found: dict[str, Product], priced: list[str], shown: Shown) -> str | None:
    """A price two structured sources agree on, that the page shows as a price to pay and never
    crosses out, is the product's: no price elsewhere on the page (a suggested product's card,
    a bundle) overrules it, however loudly it is shown."""
    payable = {money.amount for money in shown.payable}
    for name in priced:
        amount = found[name].price
        agreeing = sum(found[other].price == amount for other in priced)
        if agreeing >= 2 and amount in payable and amount not in shown.former:
            return name
    return None


def _regular_price(
    price: Decimal | None, name: str, found: dict[str, Product], shown: Shown
) -> Decimal | None:
    """The chosen source's regular price; else the former price the page shows beside this
    price; else a price another source gives that the page crosses out."""
    candidates = [found[name].regular_price]
    if shown.current is not None and shown.current.amount == price:
        candidates.append(shown.regular)
    candidates += [other.regular_price for other in found.values() if other.price == price]
    candidates += sorted(other.price for other in found.values() if other.price in shown.former)
    return next(
        (amount for amount in candidates if amount is not None and price is not None and amount > price), None
    )


def _https_first(order: tuple[str, ...], found: dict[str, Product]) -> tuple[str, ...]:
    """Piglist is served over HTTPS, where browsers block http:// pictures, so an https image
    from a later source beats an http one from an earlier source."""
    return tuple(sorted(order, key=lambda name: not (found[name].image_url or "").startswith("https:")))


def _merge_currency(product: Product, found: dict[str, Product], price_source: str | None) -> None:
    """The currency stated with the chosen price, else the first one any source states."""
    order = (*PRIORITY["price"], SHOWN)
    if price_source:
        order = (price_source, *order)
    for name in order:
        if found[name].currency:
            product.currency = found[name].currency
            product.sources["currency"] = name
            return


def _trimmed(product: Product) -> Product:
    """Texts cut to what a gift can hold, whichever source they came from."""
    product.title = plain_text(product.title, TITLE_LIMIT)
    product.description = plain_text(product.description, DESCRIPTION_LIMIT)
    return product
