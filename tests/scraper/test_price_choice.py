"""Which price a page's product costs today when the page carries two (issue 16): structured data
are checked against what the page shows, and the price before a discount is kept apart."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from piglist.scraper.extract import extract

from .markup import og

URL = "https://www.example-shop.com/p/oak-chair"


def page(head: str = "", body: str = "", lang: str = "en-GB", body_class: str = "") -> str:
    return (
        f"<html lang='{lang}'><head>{head}</head><body class='{body_class}'><main>{body}</main></body></html>"
    )


def json_ld(data: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def offer(**fields: object) -> str:
    return json_ld({"@type": "Product", "name": "Oak Chair", "offers": {"@type": "Offer", **fields}})


def prices(html: str) -> tuple[Decimal | None, Decimal | None]:
    product = extract(html, URL)
    return product.price, product.regular_price


def test_the_price_the_page_shows_settles_a_disagreement_between_og_and_json_ld() -> None:
    html = page(
        og("product:price:amount", "129.00") + og("product:price:currency", "GBP") + offer(price="99.00"),
        "<h1>Oak Chair</h1><div class='price'>£99.00</div><button>Add to basket</button>",
    )
    product = extract(html, URL)
    assert (product.price, product.sources["price"]) == (Decimal("99.00"), "json-ld")


def test_og_price_wins_when_the_page_shows_it_and_json_ld_holds_a_starting_price() -> None:
    html = page(
        og("product:price:amount", "149.00") + offer(price="99.00", priceCurrency="GBP"),
        "<h1>Oak Chair</h1><div class='product-price'>£149.00</div>",
    )
    assert prices(html) == (Decimal("149.00"), None)


def test_an_old_price_left_in_microdata_loses_to_the_discounted_price_on_show() -> None:
    html = page(
        body="<div itemscope itemtype='https://schema.org/Product'><h1 itemprop='name'>Oak Chair</h1>"
        "<div itemprop='offers' itemscope itemtype='https://schema.org/Offer'>"
        "<meta itemprop='priceCurrency' content='EUR'>"
        "<del class='price'><span itemprop='price' content='120.00'>120,00 €</span></del>"
        "<span class='price sale'>89,00 €</span></div></div>"
    )
    product = extract(html, URL)
    assert (product.price, product.regular_price, product.currency) == (
        Decimal("89.00"),
        Decimal("120.00"),
        "EUR",
    )


def test_a_structured_price_the_page_crosses_out_is_the_regular_price_of_the_other() -> None:
    html = page(
        og("product:price:amount", "59.99") + offer(price="39.99", priceCurrency="USD"),
        "<h1>Oak Chair</h1><div class='buy-box'><s>$59.99</s> <b>$39.99</b></div>",
    )
    assert prices(html) == (Decimal("39.99"), Decimal("59.99"))


def test_agreeing_sources_are_taken_without_scoring_the_page() -> None:
    html = page(
        offer(price="25.00", priceCurrency="GBP"), "<h1>Oak Chair</h1><p>Free delivery over £50.00</p>"
    )
    assert prices(html) == (Decimal("25.00"), None)


def test_sources_that_disagree_with_nothing_shown_fall_back_to_the_product_price_tag() -> None:
    html = page(og("product:price:amount", "120.00") + offer(price="150", priceCurrency="USD"))
    product = extract(html, URL)
    assert (product.price, product.sources["price"]) == (Decimal("120.00"), "opengraph")


@pytest.mark.parametrize(
    "price_type", ["https://schema.org/StrikethroughPrice", "https://schema.org/ListPrice", "ListPrice"]
)
def test_a_strikethrough_or_list_price_specification_is_the_regular_price(price_type: str) -> None:
    html = page(
        offer(
            price="79.00",
            priceCurrency="EUR",
            priceSpecification=[
                {"@type": "UnitPriceSpecification", "priceType": price_type, "price": "99.00"}
            ],
        )
    )
    assert prices(html) == (Decimal("79.00"), Decimal("99.00"))


def test_only_a_strikethrough_specification_is_never_the_price_to_pay() -> None:
    html = page(
        offer(
            priceCurrency="EUR",
            priceSpecification=[
                {"priceType": "https://schema.org/StrikethroughPrice", "price": "99.00"},
                {"@type": "UnitPriceSpecification", "price": "79.00"},
            ],
        )
    )
    assert prices(html) == (Decimal("79.00"), Decimal("99.00"))


def test_low_price_is_what_an_aggregate_offer_asks_never_the_high_price() -> None:
    html = page(
        json_ld(
            {
                "@type": "Product",
                "name": "Oak Chair",
                "offers": {
                    "@type": "AggregateOffer",
                    "lowPrice": "45",
                    "highPrice": "90",
                    "priceCurrency": "GBP",
                },
            }
        )
    )
    assert prices(html) == (Decimal("45.00"), None)


def test_a_sale_price_in_the_offer_beats_its_price() -> None:
    html = page(offer(price="60.00", salePrice="48.00", priceCurrency="GBP"))
    assert prices(html) == (Decimal("48.00"), Decimal("60.00"))


def test_open_graph_sale_price_tags() -> None:
    html = page(
        og("product:price:amount", "70.00")
        + og("product:sale_price:amount", "56.00")
        + og("product:price:currency", "EUR")
    )
    assert prices(html) == (Decimal("56.00"), Decimal("70.00"))


def test_shopify_compare_at_price_is_the_regular_price() -> None:
    data = {"title": "Oak Chair", "price": 4500, "compare_at_price": 6000, "variants": []}
    html = page(f'<script type="application/json" id="ProductJson-main">{json.dumps(data)}</script>')
    assert prices(html) == (Decimal("45.00"), Decimal("60.00"))


def test_magento_old_price_and_woocommerce_del_are_regular_prices() -> None:
    magento = page(
        '<script type="text/x-magento-init">{}</script>',
        "<h1>Oak Chair</h1><span data-price-type='finalPrice' data-price-amount='19.5'>€19.50</span>"
        "<span data-price-type='oldPrice' data-price-amount='25'>€25.00</span>",
    )
    woo = page(
        body="<h1>Oak Chair</h1><div class='summary entry-summary'><p class='price'>"
        "<del><span class='woocommerce-Price-amount amount'>£30.00</span></del> "
        "<ins><span class='woocommerce-Price-amount amount'>£24.00</span></ins></p></div>",
        body_class="woocommerce woocommerce-page",
    )
    assert prices(magento) == (Decimal("19.50"), Decimal("25.00"))
    assert prices(woo) == (Decimal("24.00"), Decimal("30.00"))


@pytest.mark.parametrize(
    "old", ["<del>£40.00</del>", "<s>£40.00</s>", "<span style='text-decoration: line-through'>£40.00</span>"]
)
def test_a_crossed_out_price_on_the_page_is_the_regular_price(old: str) -> None:
    html = page(
        body=f"<h1>Oak Chair</h1><div class='price-box'>{old} <span class='price'>£32.00</span></div>"
    )
    assert prices(html) == (Decimal("32.00"), Decimal("40.00"))


@pytest.mark.parametrize(
    "name", ["old-price", "was-price", "price--regular", "list-price", "price-strike", "rrp", "price-before"]
)
def test_a_price_named_old_beside_a_current_one_is_the_regular_price(name: str) -> None:
    html = page(
        body=f"<h1>Oak Chair</h1><div class='prices'><span class='{name}'>£40.00</span>"
        "<span class='price'>£32.00</span></div>"
    )
    assert prices(html) == (Decimal("32.00"), Decimal("40.00"))


def test_a_price_named_old_with_nothing_beside_it_is_the_price() -> None:
    html = page(body="<h1>Oak Chair</h1><div class='prices'><span class='old-price'>£40.00</span></div>")
    assert prices(html) == (Decimal("40.00"), None)


def test_a_discount_badge_tells_the_former_price_from_the_current_one() -> None:
    html = page(
        body="<h1>Oak Chair</h1><div class='price-box'><span class='price'>€100.00</span>"
        "<span class='price'>€80.00</span><span class='badge'>-20%</span></div>"
    )
    assert prices(html) == (Decimal("80.00"), Decimal("100.00"))


def test_a_regular_price_below_the_price_is_ignored() -> None:
    html = page(
        offer(
            price="60.00", priceCurrency="GBP", priceSpecification={"priceType": "ListPrice", "price": "50"}
        )
    )
    assert prices(html) == (Decimal("60.00"), None)


@pytest.mark.parametrize("amount", ["-5", "-5.00", "−5", " -12,50"])
def test_a_negative_price_tag_is_no_price(amount: str) -> None:
    html = page(og("product:price:amount", amount) + og("product:price:currency", "USD"))
    assert extract(html, URL).price is None


def test_a_negative_json_ld_price_is_no_price() -> None:
    assert prices(page(offer(price="-5", priceCurrency="USD"))) == (None, None)


@pytest.mark.parametrize(
    ("amount", "currency", "lang", "expected"),
    [
        ("24.990", "CLP", "es-CL", "24990.00"),
        ("2.449", "ARS", "es-AR", "2449.00"),
        ("24.99", "EUR", "de-DE", "24.99"),
        ("423.923", "KWD", "ar-KW", "423.92"),
    ],
)
def test_structured_amounts_are_read_by_their_currency(
    amount: str, currency: str, lang: str, expected: str
) -> None:
    html = page(offer(price=amount, priceCurrency=currency), lang=lang)
    assert extract(html, URL).price == Decimal(expected)


@pytest.mark.parametrize(
    ("shown", "lang", "expected", "currency"),
    [
        ("$24.990", "es-CL", "24990.00", "CLP"),
        ("$ 2.449", "es-AR", "2449.00", "ARS"),
        ("1.234,56 €", "de-DE", "1234.56", "EUR"),
        ("423.923 KD", "ar-KW", "423.92", "KWD"),
    ],
)
def test_shown_prices_are_read_by_the_page_locale(
    shown: str, lang: str, expected: str, currency: str
) -> None:
    product = extract(page(body=f"<h1>Oak Chair</h1><div class='price'>{shown}</div>", lang=lang), URL)
    assert (product.price, product.currency) == (Decimal(expected), currency)


def test_a_regular_price_in_microdata_loses_to_the_price_a_discount_badge_leads_to() -> None:
    html = page(
        body="<div itemscope itemtype='https://schema.org/Product'><h1 itemprop='name'>Oak Chair</h1>"
        "<div itemprop='offers' itemscope itemtype='https://schema.org/Offer'>"
        "<meta itemprop='priceCurrency' content='EUR'>"
        "<div class='price-box'><span class='price' itemprop='price' content='100.00'>€100.00</span>"
        "<span class='price'>€75.00</span><span class='badge'>-25%</span></div></div></div>"
    )
    assert prices(html) == (Decimal("75.00"), Decimal("100.00"))
