"""Page templates of widely used shop platforms: Amazon, Shopify, Magento and WooCommerce.

Each reader recognises its platform by the template's own markers, never by the domain, so the
same rules work on every shop built on that platform.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from lxml.html import HtmlElement

from ..money import money_in, parse_amount
from ..page import Page
from ..product import Product, option_kind
from ..text import plain_text


def has_class(name: str) -> str:
    """XPath predicate matching a whole class name (the plain contains() first, as it is cheap)."""
    return f"(contains(@class, '{name}') and contains(concat(' ', normalize-space(@class), ' '), ' {name} '))"


def _first_text(page: Page, xpaths: tuple[str, ...]) -> str | None:
    for xpath in xpaths:
        for element in page.root.xpath(xpath):
            text = plain_text(element.get("content") or element.text_content())
            if text:
                return text
    return None


# Amazon shows the price to pay in several template generations; strikethrough "list prices"
# carry a-text-price and are excluded. XPath's id() looks elements up in the parser's table of
# ids instead of walking the whole page, which on Amazon's pages takes milliseconds per query.
_AMAZON_PRICES = (
    "id('corePrice_feature_div corePriceDisplay_desktop_feature_div apex_desktop')"
    f"//*[{has_class('a-price')} and not({has_class('a-text-price')})]//*[{has_class('a-offscreen')}]",
    "id('priceblock_dealprice priceblock_saleprice priceblock_ourprice')",
    "id('price_inside_buybox newBuyBoxPrice kindle-price')",
    f"id('tp_price_block_total_price_ww')//*[{has_class('a-offscreen')}]",
)
_AMAZON_LIST_PRICE = (
    "id('corePrice_feature_div corePriceDisplay_desktop_feature_div apex_desktop')"
    f"//*[{has_class('a-text-price')}][@data-a-strike='true']//*[{has_class('a-offscreen')}]"
)
_AMAZON_TITLES = ("id('productTitle')", "id('ebooksProductTitle')")
_AMAZON_IMAGES = "id('landingImage imgBlkFront ebooksImgBlkFront main-image')[self::img]"
_HIRES = re.compile(r'"hiRes"\s*:\s*"(https?://[^"]+)"')


def amazon(page: Page) -> Product:
    if not page.root.xpath("id('productTitle ebooksProductTitle dp-container')"):
        return Product()
    product = Product(title=_first_text(page, _AMAZON_TITLES), image_url=_amazon_image(page))
    price_text = _first_text(page, _AMAZON_PRICES)
    money = money_in(price_text, country=page.country) if price_text else None
    if money:
        product.price, product.currency = money.amount, money.currency
        listed = _first_money(page.root.xpath(_AMAZON_LIST_PRICE), page)
        product.regular_price = listed if listed and listed > money.amount else None
    return product


def _amazon_image(page: Page) -> str | None:
    """The zoom-size image: data-old-hires, the script's hiRes, else the largest dynamic size."""
    images = page.root.xpath(_AMAZON_IMAGES)
    for image in images:
        if image.get("data-old-hires"):
            return page.url_for(image.get("data-old-hires"))
    for script in page.scripts:
        if "colorImages" in script.text:
            match = _HIRES.search(script.text)
            if match:
                return page.url_for(match.group(1))
    for image in images:
        url = largest_dynamic_image(image) or image.get("src")
        if url:
            return page.url_for(url)
    return None


def largest_dynamic_image(image: HtmlElement) -> str | None:
    """Amazon lists an image's sizes as JSON: {"url": [width, height], ...}."""
    try:
        sizes = json.loads(image.get("data-a-dynamic-image") or "{}")
    except ValueError:
        return None
    if not isinstance(sizes, dict) or not sizes:
        return None

    def area(url: str) -> int:
        size = sizes[url]
        return int(size[0]) * int(size[1]) if isinstance(size, list) and len(size) == 2 else 0

    return max(sizes, key=area)


def shopify(page: Page) -> Product:
    """Shopify themes embed the product as JSON (``{{ product | json }}``), prices in cents."""
    for script in page.scripts:
        if script.type == "application/json" and script.id.lower().startswith("productjson"):
            try:
                data = json.loads(script.text)
            except ValueError:
                continue
            if isinstance(data, dict) and data.get("title"):
                return _shopify_product(data, page)
    return Product()


def _shopify_product(data: dict, page: Page) -> Product:
    """``price`` is what the buyer pays; ``compare_at_price`` the price before a sale."""
    price = _shopify_amount(data.get("price"))
    compare_at = _shopify_amount(data.get("compare_at_price"))
    image = data.get("featured_image") or next(iter(data.get("images") or []), None)
    return Product(
        title=plain_text(data.get("title")),
        price=price,
        regular_price=compare_at if compare_at and price and compare_at > price else None,
        image_url=page.url_for(image),
        description=plain_text(data.get("description")),
        options=_shopify_options(data),
    )


def _shopify_amount(value: object) -> Decimal | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return parse_amount(f"{value / 100:.2f}")
    return parse_amount(value) if isinstance(value, str) else None


def _shopify_options(data: dict) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for position, option in enumerate(data.get("options") or [], start=1):
        name = option.get("name") if isinstance(option, dict) else option
        if not isinstance(name, str) or name.lower() == "title":
            continue
        values = option.get("values") if isinstance(option, dict) else None
        if not values:
            values = [variant.get(f"option{position}") for variant in data.get("variants") or []]
        cleaned = [text for text in (plain_text(value) for value in values) if text]
        if cleaned:
            found[option_kind(name) or name.strip().lower()] = list(dict.fromkeys(cleaned))
    return found


# Magento marks the final and the old price with data attributes; WooCommerce wraps a sale price
# in <ins> and the regular price in <del>.
_MAGENTO_PRICE = "//*[@data-price-type='{}'][@data-price-amount]"
_WOO_SUMMARY = f"//*[{has_class('summary')} or {has_class('entry-summary')}]//*[{has_class('price')}]"
_WOO_AMOUNT = f"//*[{has_class('woocommerce-Price-amount')}]"


def magento(page: Page) -> Product:
    # Every Magento 2 page initialises its widgets from text/x-magento-init scripts; looking for
    # those first spares other pages a walk over every element.
    if not page.scripts_of_type("text/x-magento-init"):
        return Product()
    for element in page.root.xpath(_MAGENTO_PRICE.format("finalPrice"))[:1]:
        price = parse_amount(element.get("data-price-amount"))
        if price:
            old = [
                parse_amount(e.get("data-price-amount"))
                for e in page.root.xpath(_MAGENTO_PRICE.format("oldPrice"))
            ]
            regular = next((amount for amount in old if amount and amount > price), None)
            return Product(price=price, regular_price=regular)
    return Product()


def woocommerce(page: Page) -> Product:
    # WooCommerce adds "woocommerce" to the <body> classes of its pages.
    body = page.root.find("body")
    if body is None or "woocommerce" not in body.get("class", ""):
        return Product()
    for block in page.root.xpath(_WOO_SUMMARY)[:1]:
        amounts = block.xpath(f".//ins{_WOO_AMOUNT}") or block.xpath(f".{_WOO_AMOUNT}")
        for amount in amounts[:1]:
            money = money_in(plain_text(amount.text_content()) or "", country=page.country)
            if money:
                regular = _first_money(block.xpath(f".//del{_WOO_AMOUNT}"), page)
                return Product(
                    price=money.amount,
                    currency=money.currency,
                    regular_price=regular if regular and regular > money.amount else None,
                )
    return Product()


def _first_money(elements: list[HtmlElement], page: Page) -> Decimal | None:
    for element in elements[:1]:
        money = money_in(plain_text(element.text_content()) or "", country=page.country)
        if money:
            return money.amount
    return None


def extract(page: Page) -> Product:
    product = Product()
    for reader in (amazon, shopify, magento, woocommerce):
        product.fill_from(reader(page), reader.__name__)
    return product
