from __future__ import annotations

from decimal import Decimal

from piglist.scraper.money import Money
from piglist.scraper.page import Page
from piglist.scraper.sources import html_price
from piglist.scraper.sources.layout import Layout

RELATED = """
<section class="related-products"><h2>You may also like</h2>
  <div class="product-tile"><a href="/p/2">Stool</a><span class="price">£19.00</span></div>
  <div class="product-tile"><a href="/p/3">Bench</a><span class="price">£89.00</span></div>
</section>
"""
HEADER = '<header><div class="mini-cart">Basket <span class="price">£0.00</span></div></header>'


def find(
    main: str, *, before: str = HEADER, after: str = RELATED, url: str = "https://shop.example.co.uk/p/1"
):
    html = f"<html><body>{before}<main><div class='product'><h1>Oak Chair</h1>{main}</div></main>{after}</body></html>"
    return html_price.find(Layout(Page(html, url), None))


def test_the_price_beside_the_heading_beats_header_and_recommendations() -> None:
    assert find('<div class="price">£149.00</div>') == Money(Decimal("149.00"), "GBP")


def test_a_split_price_reads_as_one_number() -> None:
    main = '<span class="price"><span class="currency">€</span><span>1.299</span><sup>99</sup></span>'
    assert find(main, url="https://shop.example.de/p") == Money(Decimal("1299.99"), "EUR")


def test_struck_through_former_price_is_skipped() -> None:
    assert find("<p><del>£200.00</del> <strong>£149.00</strong></p>") == Money(Decimal("149.00"), "GBP")


def test_old_price_class_loses_to_the_sale_price_beside_it() -> None:
    main = '<div class="prices"><span class="price price--old">£200.00</span><span class="price">£149.00</span></div>'
    assert find(main).amount == Decimal("149.00")


def test_a_regular_price_alone_is_the_price() -> None:
    assert find('<div class="prices"><span class="regular-price">£149.00</span></div>').amount == Decimal(
        "149.00"
    )


def test_instalments_unit_prices_shipping_and_savings_are_not_the_price() -> None:
    main = """
      <div class="instalments">or 4 x £12.50 with Klarna</div>
      <div>Save £50.00</div>
      <div class="unit-price">£2.50 / kg</div>
      <div class="shipping">Delivery £4.95</div>
      <div class="price">£49.99</div>
    """
    assert find(main).amount == Decimal("49.99")


def test_an_unavailable_product_gets_no_price_from_the_carousel() -> None:
    assert find("<p>Currently unavailable.</p>") is None


def test_currency_written_beside_the_number() -> None:
    main = '<div class="deal">Only <b style="font-size: 24px">299</b><span>kr</span></div>'
    assert find(main, url="https://shop.example.dk/p") == Money(Decimal("299.00"), "DKK")


def test_bare_numbers_need_a_price_like_name() -> None:
    assert find("<p>Rated 4.5 by 120 customers</p><div>Model 2020</div>") is None
    assert find('<span class="product-price">49,90</span>').amount == Decimal("49.90")


def test_with_and_without_tax_the_first_shown_is_taken() -> None:
    main = (
        '<div class="price-box"><div class="price">100,00 €</div>'
        '<div class="price small">Excl. VAT: 81,97 €</div></div>'
    )
    assert find(main, url="https://shop.example.si/p").amount == Decimal("100.00")


def test_codes_that_contain_digits_are_not_prices() -> None:
    assert find('<span class="price-token">MzI5Ljk5</span>') is None


def test_numbers_in_neighbouring_elements_stay_apart() -> None:
    main = '<div class="bid"><span class="price">$200</span><span class="count">2 bids</span></div>'
    assert find(main, url="https://auction.example.com/lot/1").amount == Decimal("200.00")


def test_itemprop_price_content_is_used() -> None:
    main = '<meta itemprop="price" content="35.00"><span class="amount">35,00 €</span>'
    assert find(main, url="https://shop.example.fr/p").amount == Decimal("35.00")
