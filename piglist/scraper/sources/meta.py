"""Open Graph (with product:price / og:price tags) and Twitter card meta tags."""

from __future__ import annotations

import re

from ..money import currency_code, money_in, parse_amount, reading_currency
from ..page import Page
from ..product import Product
from ..text import plain_text, strip_site_name

# Twitter card labels that introduce a price, in the languages shops commonly use.
_PRICE_LABEL = re.compile(
    r"price|preis|prix|precio|prezzo|preço|prijs|pris|cena|cijena|hinta|цена|价格|価格", re.I
)


def _title(page: Page, *keys: str) -> str | None:
    title = page.meta_value(*keys)
    return strip_site_name(title, page.site_names) if title else None


def opengraph(page: Page) -> Product:
    """A sale price tag, where present, is what the shopper pays now, and the plain price tag
    beside it the regular price; so is an "original price" tag."""
    currency = currency_code(
        page.meta_value("product:sale_price:currency", "product:price:currency", "og:price:currency"),
        page.country,
    )
    reading = reading_currency(currency, page.country)
    sale = parse_amount(page.meta_value("product:sale_price:amount"), reading)
    listed = parse_amount(page.meta_value("product:price:amount", "og:price:amount"), reading)
    original = parse_amount(
        page.meta_value("product:original_price:amount", "og:original_price:amount"), reading
    )
    price = sale or listed
    regular = next((amount for amount in (original, listed) if amount and price and amount > price), None)
    return Product(
        title=_title(page, "og:title"),
        price=price,
        currency=currency,
        regular_price=regular,
        image_url=page.url_for(page.meta_value("og:image:secure_url", "og:image", "og:image:url")),
        description=plain_text(page.meta_value("og:description")),
    )


def twitter(page: Page) -> Product:
    product = Product(
        title=_title(page, "twitter:title"),
        image_url=page.url_for(page.meta_value("twitter:image", "twitter:image:src")),
        description=plain_text(page.meta_value("twitter:description")),
    )
    for number in ("1", "2"):
        label = page.meta_value(f"twitter:label{number}") or ""
        data = page.meta_value(f"twitter:data{number}") or ""
        money = money_in(data, country=page.country) if _PRICE_LABEL.search(label) else None
        if money:
            product.price, product.currency = money.amount, money.currency
            break
    return product
