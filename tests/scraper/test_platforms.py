from __future__ import annotations

import json
from decimal import Decimal
from html import escape

from piglist.scraper.page import Page
from piglist.scraper.sources import platforms


def page(body: str, url: str = "https://www.amazon.fr/dp/B000TEST") -> Page:
    return Page(f"<html><body>{body}</body></html>", url)


AMAZON_TITLE = '<span id="productTitle">  Garden Hose Connector  </span>'


def test_amazon_core_price_skips_the_struck_list_price() -> None:
    found = platforms.amazon(
        page(
            AMAZON_TITLE + '<div id="corePrice_feature_div">'
            '<span class="a-price a-text-price"><span class="a-offscreen">19,99 €</span></span>'
            '<span class="a-price priceToPay"><span class="a-offscreen">12,44 €</span>'
            '<span aria-hidden="true">12,44€</span></span></div>'
        )
    )
    assert (found.title, found.price, found.currency) == ("Garden Hose Connector", Decimal("12.44"), "EUR")


def test_amazon_older_price_block() -> None:
    found = platforms.amazon(page(AMAZON_TITLE + '<span id="priceblock_ourprice">EUR 4,99</span>'))
    assert (found.price, found.currency) == (Decimal("4.99"), "EUR")


def test_amazon_image_prefers_the_hi_res_version() -> None:
    sizes = {
        "https://m.media-amazon.com/images/I/a._SX300_.jpg": [300, 300],
        "https://m.media-amazon.com/images/I/a._SX679_.jpg": [679, 679],
    }
    dynamic = escape(json.dumps(sizes))
    with_hires = AMAZON_TITLE + (
        '<img id="landingImage" src="https://m.media-amazon.com/images/I/a._SY300_.jpg" '
        f'data-old-hires="https://m.media-amazon.com/images/I/a._SL1500_.jpg" data-a-dynamic-image="{dynamic}">'
    )
    without = AMAZON_TITLE + f'<img id="landingImage" src="x.jpg" data-a-dynamic-image="{dynamic}">'
    assert (
        platforms.amazon(page(with_hires)).image_url == "https://m.media-amazon.com/images/I/a._SL1500_.jpg"
    )
    assert platforms.amazon(page(without)).image_url == "https://m.media-amazon.com/images/I/a._SX679_.jpg"


def test_amazon_rules_need_the_amazon_template() -> None:
    assert platforms.amazon(page('<span id="priceblock_ourprice">$5</span>')).is_empty()


def test_shopify_product_json_in_cents_with_options() -> None:
    product = {
        "title": "Linen Shirt",
        "price": 4950,
        "featured_image": "//cdn.shopify.example/shirt.jpg",
        "description": "<p>Light linen.</p>",
        "options": ["Size", "Color"],
        "variants": [
            {"option1": "S", "option2": "White"},
            {"option1": "M", "option2": "White"},
            {"option1": "M", "option2": "Blue"},
        ],
    }
    script = f'<script type="application/json" id="ProductJson-main">{json.dumps(product)}</script>'
    found = platforms.shopify(page(script, "https://shop.example/products/linen-shirt"))
    assert (found.title, found.price) == ("Linen Shirt", Decimal("49.50"))
    assert found.image_url == "https://cdn.shopify.example/shirt.jpg"
    assert found.description == "Light linen."
    assert found.options == {"size": ["S", "M"], "colour": ["White", "Blue"]}


MAGENTO_INIT = '<script type="text/x-magento-init">{}</script>'


def test_magento_final_price() -> None:
    body = (
        '<div class="price-box"><span data-price-type="finalPrice" data-price-amount="59.9">'
        '<span class="price">59,90 €</span></span>'
        '<span data-price-type="oldPrice" data-price-amount="79.9"></span></div>'
    )
    found = platforms.magento(page(MAGENTO_INIT + body, "https://shop.example/p"))
    assert (found.price, found.regular_price) == (Decimal("59.90"), Decimal("79.90"))


def test_magento_markup_on_another_platform_is_not_read() -> None:
    body = '<span data-price-type="finalPrice" data-price-amount="59.9">59,90 €</span>'
    assert platforms.magento(page(body, "https://shop.example/p")).price is None


def test_woocommerce_sale_price() -> None:
    body = (
        '<div class="summary entry-summary"><p class="price">'
        '<del><span class="woocommerce-Price-amount amount">£30.00</span></del>'
        '<ins><span class="woocommerce-Price-amount amount">£24.00</span></ins></p></div>'
    )
    html = f"<html><body class='product-template-default woocommerce woocommerce-page'>{body}</body></html>"
    found = platforms.woocommerce(Page(html, "https://shop.example.co.uk/p"))
    assert (found.price, found.currency, found.regular_price) == (Decimal("24.00"), "GBP", Decimal("30.00"))
