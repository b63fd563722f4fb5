from __future__ import annotations

from decimal import Decimal

from piglist.scraper.page import Page
from piglist.scraper.sources import meta


def page(*tags: tuple[str, str, str]) -> Page:
    head = "".join(f'<meta {attribute}="{key}" content="{value}">' for attribute, key, value in tags)
    return Page(f"<html><head>{head}</head><body></body></html>", "https://www.example-shop.com/p/1")


def test_open_graph_product_tags() -> None:
    found = meta.opengraph(
        page(
            ("property", "og:title", "Oak Chair | Example Shop"),
            ("property", "og:site_name", "Example Shop"),
            ("property", "og:image", "/img/chair.jpg"),
            ("property", "og:description", "Solid &amp; sturdy"),
            ("property", "product:price:amount", "149.00"),
            ("property", "product:price:currency", "gbp"),
        )
    )
    assert (found.title, found.price, found.currency) == ("Oak Chair", Decimal("149.00"), "GBP")
    assert found.image_url == "https://www.example-shop.com/img/chair.jpg"
    assert found.description == "Solid & sturdy"


def test_open_graph_sale_price_wins() -> None:
    found = meta.opengraph(
        page(
            ("property", "product:price:amount", "99"),
            ("property", "product:sale_price:amount", "79"),
            ("property", "og:price:currency", "EUR"),
        )
    )
    assert (found.price, found.currency) == (Decimal("79.00"), "EUR")


def test_og_price_with_a_decimal_comma() -> None:
    assert meta.opengraph(page(("property", "og:price:amount", "48,00"))).price == Decimal("48.00")


def test_twitter_card_price_label() -> None:
    found = meta.twitter(
        page(
            ("name", "twitter:title", "Oak Chair - example-shop.com"),
            ("name", "twitter:image", "https://cdn.example/chair.jpg"),
            ("name", "twitter:label1", "Brand"),
            ("name", "twitter:data1", "Acme 2000"),
            ("name", "twitter:label2", "Price"),
            ("name", "twitter:data2", "$1,249.00"),
        )
    )
    assert (found.title, found.price, found.currency) == ("Oak Chair", Decimal("1249.00"), "USD")
    assert found.image_url == "https://cdn.example/chair.jpg"


def test_twitter_data_without_a_price_label_is_not_a_price() -> None:
    found = meta.twitter(page(("name", "twitter:label1", "Rating"), ("name", "twitter:data1", "4.5 stars")))
    assert found.price is None
