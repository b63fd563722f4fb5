"""Reading schema.org Product data, whether it came from JSON-LD or from microdata."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from urllib.parse import urlsplit

from ..money import currency_code, money_in, parse_amount, reading_currency
from ..page import Page
from ..product import Product
from ..text import plain_text

# Product and its subtypes, plus Book, which shops use for the same purpose.
_PRODUCT_TYPES = frozenset(
    {"product", "productgroup", "productmodel", "individualproduct", "someproducts", "vehicle", "car", "book"}
)
_OFFER_TYPES = frozenset({"offer", "aggregateoffer"})
# priceSpecification entries that are not what the buyer pays now.
_NOT_CURRENT_PRICE = ("listprice", "strikethrough", "msrp", "srp", "invoice", "minimumadvertised")
_OPTION_KEYS = {
    "color": "colour",
    "colour": "colour",
    "size": "size",
    "material": "material",
    "pattern": "pattern",
}


def type_names(node: dict) -> set[str]:
    """Lower-cased local type names: "http://schema.org/Product" and ["Product", "Thing"] alike."""
    raw = node.get("@type") or node.get("type") or []
    names = raw if isinstance(raw, list) else [raw]
    return {str(name).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower() for name in names}


def product_nodes(documents: Sequence[object]) -> list[tuple[int, dict]]:
    """Product-like nodes with their rank, best first: 0 for typed products with a price, 1 for
    other products, 2 for offers that stand alone.

    A product's own sub-nodes are not searched: products nested in one are related items or
    variants, never the page's main product.
    """
    ranked: list[tuple[int, int, dict]] = []
    stack: list[object] = list(reversed(documents))
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
            continue
        if not isinstance(item, dict):
            continue
        types = type_names(item)
        if types & _PRODUCT_TYPES:
            ranked.append((0 if _has_price(item.get("offers")) else 1, len(ranked), item))
        elif types & _OFFER_TYPES and _has_price(item):
            offered = first(item.get("itemOffered"))
            product = dict(offered) if isinstance(offered, dict) else {}
            product["offers"] = item
            ranked.append((2, len(ranked), product))
        else:
            stack.extend(reversed(list(item.values())))
    return [(rank, node) for rank, _, node in sorted(ranked, key=lambda entry: entry[:2])]


def main_product(documents: Sequence[object], page: Page) -> Product:
    """The page's product. Where the data lists several variants (one per colour, say), the one
    the page shows is taken, and the variants' sizes and colours become its options."""
    nodes = product_nodes(documents)
    if not nodes:
        return Product()
    best_rank = nodes[0][0]
    contenders = [node for rank, node in nodes if rank == best_rank]
    main = _shown_variant(contenders, page)
    name = text_value(main.get("name"))
    variants = [node for node in contenders if node is not main and text_value(node.get("name")) == name]
    product = read_product(main, page)
    product.options = options([main, *variants])
    return product


def _shown_variant(nodes: list[dict], page: Page) -> dict:
    """The node whose URL is the page's, or whose picture is the page's og:image."""
    page_urls = {page.url, *page.meta.get("og:url", [])}
    shown_image = _file_name(page.meta_value("og:image"))
    for node in nodes:
        if text_value(node.get("url")) in page_urls:
            return node
        if shown_image and _file_name(image_url(node.get("image"), page)) == shown_image:
            return node
    return nodes[0]


def _file_name(url: str | None) -> str | None:
    if not url:
        return None
    return urlsplit(url).path.rsplit("/", 1)[-1] or None


def _has_price(offers: object) -> bool:
    return any(_offer_price(offer, None)[0] is not None for offer in _offer_list(offers))


def first(value: object) -> object:
    """The first item of a list, the value itself otherwise."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def text_value(value: object) -> str | None:
    """A plain string from "x", ["x"], {"@value": "x"} or {"name": "x"}."""
    value = first(value)
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return plain_text(value)
    return None


def read_product(node: dict, page: Page) -> Product:
    price, currency, regular = offers_price(node.get("offers"), page)
    return Product(
        title=text_value(node.get("name")),
        price=price,
        currency=currency,
        regular_price=regular,
        image_url=image_url(node.get("image"), page),
        description=text_value(node.get("description")),
    )


def image_url(value: object, page: Page) -> str | None:
    """The first usable URL from a string, a list, or an ImageObject (url / contentUrl)."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("contentUrl") or item.get("@id")
            item = first(item)
        url = page.url_for(item)
        if url:
            return url
    return None


def _offer_list(offers: object) -> list[dict]:
    """Offers flattened: a single Offer, a list, or an AggregateOffer with its own offers."""
    found = []
    for offer in offers if isinstance(offers, list) else [offers]:
        if not isinstance(offer, dict):
            continue
        found.append(offer)
        nested = offer.get("offers")
        if nested is not None and nested is not offer:
            found.extend(_offer_list(nested))
    return found


def offers_price(offers: object, page: Page) -> tuple[Decimal | None, str | None, Decimal | None]:
    """Price, currency and regular price of the first offer that has a price; the currency alone
    otherwise. The regular price is a StrikethroughPrice / ListPrice specification, or the
    ``price`` of an offer that also gives a (non-standard, but common) ``salePrice``."""
    fallback_currency = None
    for offer in _offer_list(offers):
        code = reading_currency(_currency(offer, page), page.country)
        amount, currency = _offer_price(offer, code)
        currency = currency_code(currency, page.country) if currency else None
        if amount is not None:
            return amount, currency or fallback_currency, _regular_price(offer, amount, code)
        fallback_currency = fallback_currency or currency
    return None, fallback_currency, None


def _currency(offer: dict, page: Page) -> str | None:
    stated = text_value(offer.get("priceCurrency"))
    return currency_code(stated, page.country) if stated else None


def _offer_price(offer: dict, code: str | None) -> tuple[Decimal | None, str | None]:
    """What the offer asks today: a sale price, the price, or the lowest of a range (highPrice is
    the dearest variant, never the price of the one on show)."""
    currency = text_value(offer.get("priceCurrency"))
    for key in ("salePrice", "price", "lowPrice"):
        amount, shown_currency = _amount_and_currency(_plain(offer.get(key)), code)
        if amount is not None:
            return amount, currency or shown_currency
    return _specification_price(offer.get("priceSpecification"), currency, code, current=True)


def _regular_price(offer: dict, price: Decimal, code: str | None) -> Decimal | None:
    candidates = [_specification_price(offer.get("priceSpecification"), None, code, current=False)[0]]
    if offer.get("salePrice") is not None:
        candidates.append(_amount_and_currency(_plain(offer.get("price")), code)[0])
    return next((amount for amount in candidates if amount is not None and amount > price), None)


def _plain(value: object) -> object:
    value = first(value)
    return value.get("@value") if isinstance(value, dict) else value


def _specification_price(
    specs: object, currency: str | None, code: str | None, *, current: bool
) -> tuple[Decimal | None, str | None]:
    """The first priceSpecification that is (``current``) or is not a price to pay now."""
    for spec in specs if isinstance(specs, list) else [specs]:
        if not isinstance(spec, dict):
            continue
        price_type = str(spec.get("priceType") or "").lower()
        if any(marker in price_type for marker in _NOT_CURRENT_PRICE) == current:
            continue
        amount, shown_currency = _amount_and_currency(first(spec.get("price")), code)
        if amount is not None:
            return amount, text_value(spec.get("priceCurrency")) or currency or shown_currency
    return None, currency


def _amount_and_currency(value: object, code: str | None) -> tuple[Decimal | None, str | None]:
    """Structured prices are usually bare numbers, but some shops write "€ 12,99"; ``code`` (the
    offer's currency) tells how to read "24.990"."""
    if isinstance(value, str) and any(not (char.isdigit() or char in ".,") for char in value.strip()):
        money = money_in(value)
        return (money.amount, money.currency) if money else (None, None)
    return parse_amount(value, code), None


def options(nodes: list[dict]) -> dict[str, list[str]]:
    """Sizes, colours etc. of the given products and of their ProductGroup variants."""
    found: dict[str, list[str]] = {}
    for node in nodes:
        variants = node.get("hasVariant")
        for source in [node, *(variants if isinstance(variants, list) else [variants])]:
            if isinstance(source, dict):
                _add_options(source, found)
    return {key: values for key, values in found.items() if values}


def _add_options(source: dict, found: dict[str, list[str]]) -> None:
    for key, option in _OPTION_KEYS.items():
        raw = source.get(key)
        for value in raw if isinstance(raw, list) else [raw]:
            text = text_value(value)
            if text and text not in found.setdefault(option, []):
                found[option].append(text)
