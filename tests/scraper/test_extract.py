from __future__ import annotations

import json
from decimal import Decimal

from piglist.scraper.extract import extract

from .markup import og

URL = "https://www.example-shop.com/p/oak-chair"


def html(head: str = "", body: str = "") -> str:
    return f"<html lang='en-GB'><head>{head}</head><body>{body}</body></html>"


def json_ld(data: dict) -> str:
    # Escaping "</" keeps markup inside JSON strings from closing the script, as serializers do.
    text = json.dumps(data).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def test_structured_data_then_the_page_fills_the_gaps() -> None:
    product = extract(
        html(
            json_ld({"@type": "Product", "name": "Oak Chair", "image": "https://cdn.example/chair.jpg"}),
            "<main><h1>Oak Chair</h1><div class='price'>£149.00</div>"
            "<select name='colour'><option value=''>Choose</option><option>Natural</option></select></main>",
        ),
        URL,
    )
    assert (product.title, product.price, product.currency) == ("Oak Chair", Decimal("149.00"), "GBP")
    assert product.image_url == "https://cdn.example/chair.jpg"
    assert product.options == {"colour": ["Natural"]}
    assert product.sources == {
        "title": "json-ld",
        "image_url": "json-ld",
        "price": "html",
        "currency": "html",
        "options": "html",
    }


def test_json_ld_name_beats_og_title_but_og_price_beats_json_ld_price() -> None:
    product = extract(
        html(
            json_ld(
                {"@type": "Product", "name": "Oak Chair", "offers": {"price": 150, "priceCurrency": "USD"}}
            )
            + og("og:title", "Buy Oak Chair | Example Shop")
            + og("product:price:amount", "120.00")
            + og("product:price:currency", "USD")
        ),
        URL,
    )
    assert (product.title, product.price, product.currency) == ("Oak Chair", Decimal("120.00"), "USD")
    assert product.sources["price"] == "opengraph"


def test_og_title_beats_a_microdata_name_on_the_heading() -> None:
    product = extract(
        html(
            og("og:title", "Oak Chair"),
            "<div itemscope itemtype='https://schema.org/Product'><h1 itemprop='name'>"
            "<span>Details about</span> Oak Chair</h1></div>",
        ),
        URL,
    )
    assert product.title == "Oak Chair"


def test_the_currency_comes_with_the_chosen_price() -> None:
    product = extract(
        html(
            json_ld({"@type": "Product", "name": "Chair", "offers": {"priceCurrency": "EUR"}})
            + og("og:price:amount", "99")
            + og("og:price:currency", "CHF")
        ),
        URL,
    )
    assert (product.price, product.currency) == (Decimal("99.00"), "CHF")


def test_an_https_picture_beats_an_http_one() -> None:
    product = extract(
        html(
            json_ld({"@type": "Product", "name": "Chair", "image": "http://cdn.example/chair.jpg"})
            + og("og:image", "https://cdn.example/chair-large.jpg")
        ),
        URL,
    )
    assert product.image_url == "https://cdn.example/chair-large.jpg"


def test_title_from_the_title_tag_without_the_shop_name() -> None:
    product = extract(html("<title>Oak Chair | Example Shop</title>", "<p>Nice chair.</p>"), URL)
    assert product.title == "Oak Chair"


def test_text_comes_out_as_plain_text() -> None:
    product = extract(
        html(
            json_ld(
                {
                    "@type": "Product",
                    "name": "Chair &amp; <b>Stool</b>",
                    "description": "<script>alert(1)</script><p>Two&nbsp;pieces.</p>",
                }
            )
        ),
        URL,
    )
    assert product.title == "Chair & Stool"
    assert "<" not in (product.description or "")


def test_an_empty_or_broken_page_gives_an_empty_product() -> None:
    assert extract("", URL).is_empty()
    assert extract("<<<>>> not html", URL).price is None
    assert extract('<?xml version="1.0" encoding="utf-8"?><html><h1>Chair</h1></html>', URL).title == "Chair"
