"""Which price is the product's when a page shows several (issue 30): the product's own block
outranks suggested products, bundles and the cart; prices that structured data and the product's
block agree on are never overruled; old/new pairs and thousands separators read per currency.

The pages in ``pages/`` reproduce the shapes of real shops' product pages (named after the
platform or country whose template they follow), cut down to what decides the price."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from piglist.scraper.extract import extract
from piglist.scraper.money import money_in, parse_amount

PAGES = Path(__file__).parent / "pages"


def scraped(name: str, url: str):
    return extract((PAGES / name).read_text(encoding="utf-8"), url)


@pytest.mark.parametrize(
    ("name", "url", "price", "regular", "currency"),
    [
        # JSON-LD, og:price and the product's block agree on 49.00; a "You may also like" card
        # below carries microdata of its own (12.00) and is set louder.
        (
            "shopify-you-may-also-like.html",
            "https://hearth.example/products/linen-apron",
            "49.00",
            None,
            "GBP",
        ),
        # "Regular price:" as text, the current price in a sale block after it, an EU "lowest
        # price in 30 days" line, and a related product's price.
        (
            "magento-sale-block-text-labels.html",
            "https://northwind.example/merino-scarf.html",
            "39.99",
            "59.99",
            "USD",
        ),
        # An Italian bookshop: JSON-LD gives the cover price, the page sells it 5 % off.
        (
            "italian-bookshop-cover-price.html",
            "https://www.libreriapagina.example/libro/9788845278655",
            "17.10",
            "18.00",
            "EUR",
        ),
        # A Chilean shop: "Normal" and "Internet" prices, dots as thousands, instalments. JSON-LD
        # gives the current price alone; the "Normal" one beside it is its regular price.
        (
            "chile-normal-and-internet-price.html",
            "https://www.tiendaandes.example.cl/p/88231",
            "29990.00",
            "39990.00",
            "CLP",
        ),
        (
            "chile-thousands-only-shown.html",
            "https://casasur.example.cl/cafetera",
            "1249990.00",
            "1499990.00",
            "CLP",
        ),
        # JSON-LD and the first price give the regular price; the sale block beside shows the
        # price to pay, unlabelled.
        (
            "sale-block-beside-structured-regular.html",
            "https://ridgeandpine.example/scarf",
            "39.99",
            "59.99",
            "USD",
        ),
        # "Prezzo:" then "Prezzo scontato:" (discounted price), nothing crossed out.
        (
            "italian-bookshop-discounted-label.html",
            "https://www.libreriadelcorso.example/libro/1",
            "17.10",
            "18.00",
            "EUR",
        ),
        # A Japanese shop: 通常価格 struck through, 販売価格 with (税込), points.
        (
            "japan-tax-included.html",
            "https://www.wanodougu.example.jp/item/kyusu",
            "9980.00",
            "12800.00",
            "JPY",
        ),
    ],
)
def test_the_product_price_on_pages_with_several(name, url, price, regular, currency) -> None:
    product = scraped(name, url)
    assert (product.price, product.regular_price, product.currency) == (
        Decimal(price),
        Decimal(regular) if regular else None,
        currency,
    )


def test_a_suggested_products_microdata_is_not_read_as_the_product() -> None:
    product = scraped("shopify-you-may-also-like.html", "https://hearth.example/products/linen-apron")
    assert product.sources["price"] in ("opengraph", "json-ld")


def test_agreeing_structured_prices_win_even_when_a_card_elsewhere_is_not_named_as_one() -> None:
    """No class names or heading give the suggestion away: agreement settles it."""
    ld = {"@type": "Product", "name": "Oak Chair", "offers": {"price": "149.00", "priceCurrency": "GBP"}}
    html = (
        "<html lang='en-GB'><head>"
        f"<script type='application/ld+json'>{json.dumps(ld)}</script>"
        "<meta property='og:price:amount' content='149.00'></head><body>"
        "<div><h1>Oak Chair</h1><span>£149.00</span></div>"
        "<div itemscope itemtype='https://schema.org/Product'><span itemprop='name'>Oak Stool</span>"
        "<div itemprop='offers' itemscope itemtype='https://schema.org/Offer'>"
        "<b class='price sale-price' itemprop='price' content='59.00'>£59.00</b></div></div>"
        "</body></html>"
    )
    product = extract(html, "https://shop.example.co.uk/oak-chair")
    assert product.price == Decimal("149.00")


@pytest.mark.parametrize(
    ("value", "amount"),
    [("1e3", "1000.00"), ("1E3", "1000.00"), ("2.5e+3", "2500.00"), ("1e400", None), (1e3, "1000.00")],
)
def test_scientific_notation_in_structured_data_is_read_as_written(value, amount) -> None:
    assert parse_amount(value, "USD") == (Decimal(amount) if amount else None)


@pytest.mark.parametrize("text", ["1e3 €", "€1E3", "$2e5"])
def test_scientific_notation_in_shown_text_is_no_price(text: str) -> None:
    assert money_in(text) is None


def test_a_product_price_tag_of_1e3_is_stored_as_1000_never_1() -> None:
    html = (
        "<html><head><meta property='og:title' content='Chair'>"
        "<meta property='product:price:amount' content='1e3'>"
        "<meta property='product:price:currency' content='USD'></head><body><h1>Chair</h1></body></html>"
    )
    product = extract(html, "https://shop.example.com/chair")
    assert (product.price, product.currency) == (Decimal("1000.00"), "USD")


@pytest.mark.parametrize(
    ("text", "country", "amount", "currency"),
    [
        ("$24.990", "CL", "24990.00", "CLP"),
        ("$ 1.249.990", "CL", "1249990.00", "CLP"),
        ("CLP 24.990", None, "24990.00", "CLP"),
        ("¥1,980", "JP", "1980.00", "JPY"),
        ("12,800円", None, "12800.00", "JPY"),
        ("₩12,000", None, "12000.00", "KRW"),
        ("12,000원", None, "12000.00", "KRW"),
        # A code beside a shared symbol says whose dollar it is, wherever the page is.
        ("$12.990 CLP", None, "12990.00", "CLP"),
        ("CLP$ 12.990", "US", "12990.00", "CLP"),
        ("$5 CAD", None, "5.00", "CAD"),
    ],
)
def test_thousands_separators_per_currency(text, country, amount, currency) -> None:
    money = money_in(text, country=country)
    assert (money.amount, money.currency) == (Decimal(amount), currency)


@pytest.mark.parametrize(("value", "currency"), [("24.990", "CLP"), ("1.980", "JPY"), ("24,990", "CLP")])
def test_structured_whole_unit_prices_read_separators_as_thousands(value: str, currency: str) -> None:
    assert parse_amount(value, currency) == Decimal(value.replace(".", "").replace(",", ""))


def test_an_agreed_price_keeps_the_struck_price_beside_it_as_its_regular_price() -> None:
    ld = {"@type": "Product", "name": "Oak Chair", "offers": {"price": "99.00", "priceCurrency": "GBP"}}
    html = (
        f"<html lang='en-GB'><head><script type='application/ld+json'>{json.dumps(ld)}</script></head>"
        "<body><h1>Oak Chair</h1><div class='prices'><del>£129.00</del> <span>£99.00</span></div>"
        "<aside class='related'><del>£300.00</del> <span>£199.00</span></aside></body></html>"
    )
    product = extract(html, "https://shop.example.co.uk/oak-chair")
    assert (product.price, product.regular_price) == (Decimal("99.00"), Decimal("129.00"))


def test_a_structured_price_the_page_labels_as_the_normal_price_loses_to_the_internet_price() -> None:
    html = (PAGES / "chile-normal-and-internet-price.html").read_text(encoding="utf-8")
    html = html.replace('"price":"29990"', '"price":"39990"')
    product = extract(html, "https://www.tiendaandes.example.cl/p/88231")
    assert (product.price, product.regular_price) == (Decimal("29990.00"), Decimal("39990.00"))


@pytest.mark.parametrize(
    "elsewhere",
    [
        # A cart drawer rendered before the product, its line louder than the product's price.
        "<div class='drawer'><h2>Your basket</h2><div><b class='price price--large'>£120.00</b></div></div>",
        # "Frequently bought together": a bundle total right under the buy box.
        "<section><h3>Frequently bought together</h3><div class='total'><span class='price'>£61.50</span>"
        "</div></section>",
        # Recently viewed, named only by its heading.
        "<div><div><h2>Recently viewed</h2></div><ul><li><span class='price sale'>£9.99</span></li></ul></div>",
        # A suggestion block named by its class.
        "<div class='product-recommendations'><span class='price special-price'>£14.00</span></div>",
    ],
)
def test_the_heading_and_cart_block_outrank_other_products_blocks(elsewhere: str) -> None:
    main = (
        "<div class='product'><h1>Oak Chair</h1><div><span class='amount'>£89.00</span></div>"
        "<form action='/basket/add'><button>Add to basket</button></form></div>"
    )
    for html in (
        f"<html lang='en-GB'><body>{elsewhere}{main}</body></html>",
        f"<html lang='en-GB'><body>{main}{elsewhere}</body></html>",
    ):
        assert extract(html, "https://shop.example.co.uk/oak-chair").price == Decimal("89.00")


@pytest.mark.parametrize(
    ("head", "url"),
    [
        # og:price:amount with no currency tag, on a Chilean page (by its domain).
        ("<meta property='og:price:amount' content='24.990'>", "https://www.tiendaandes.cl/p/1"),
        # JSON-LD with no priceCurrency, on a page whose locale is Chilean.
        (
            '<meta property="og:locale" content="es_CL"><script type="application/ld+json">'
            '{"@type": "Product", "name": "Silla", "offers": {"price": "24.990"}}</script>',
            "https://tienda.example.com/p/1",
        ),
    ],
)
def test_a_structured_amount_without_a_currency_is_read_by_a_whole_unit_countrys_rules(head, url) -> None:
    html = f"<html><head>{head}</head><body><h1>Silla</h1><div class='price'>$24.990</div></body></html>"
    assert extract(html, url).price == Decimal("24990.00")
