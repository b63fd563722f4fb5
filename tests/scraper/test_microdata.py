from __future__ import annotations

from decimal import Decimal

from piglist.scraper.page import Page
from piglist.scraper.product import Product
from piglist.scraper.sources import microdata


def extract(body: str, head: str = "") -> Product:
    return microdata.extract(
        Page(f"<html><head>{head}</head><body>{body}</body></html>", "https://shop.example/p/1")
    )


def test_reads_a_product_with_a_nested_offer() -> None:
    found = extract(
        """
        <div itemscope itemtype="https://schema.org/Product">
          <h1 itemprop="name">Oak   Chair</h1>
          <img itemprop="image" src="/img/chair.jpg">
          <div itemprop="description"><p>Solid oak.</p></div>
          <div itemprop="offers" itemscope itemtype="https://schema.org/Offer">
            <span itemprop="price" content="149.00">£149</span>
            <meta itemprop="priceCurrency" content="GBP">
          </div>
        </div>
        """
    )
    assert (found.title, found.price, found.currency) == ("Oak Chair", Decimal("149.00"), "GBP")
    assert found.image_url == "https://shop.example/img/chair.jpg"
    assert found.description == "Solid oak."


def test_reads_a_price_from_the_visible_text() -> None:
    found = extract(
        '<div itemscope itemtype="http://schema.org/Product"><span itemprop="name">Mug</span>'
        '<span itemprop="offers" itemscope itemtype="http://schema.org/Offer">'
        '<span itemprop="price">12,99 €</span></span></div>'
    )
    assert (found.price, found.currency) == (Decimal("12.99"), "EUR")


def test_properties_of_other_items_stay_with_them() -> None:
    found = extract(
        '<div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Mug</span>'
        '<div itemprop="review" itemscope itemtype="https://schema.org/Review">'
        '<span itemprop="name">Great mug</span></div></div>'
    )
    assert found.title == "Mug"


def test_resolves_images_against_base_href() -> None:
    found = extract(
        '<div itemscope itemtype="https://schema.org/Product"><span itemprop="name">Mug</span>'
        '<link itemprop="image" href="mug.jpg"></div>',
        head='<base href="https://cdn.example/images/">',
    )
    assert found.image_url == "https://cdn.example/images/mug.jpg"


def test_a_page_without_items_gives_nothing() -> None:
    assert extract("<h1>Mug</h1>").is_empty()
