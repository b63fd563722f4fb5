from __future__ import annotations

import json
from decimal import Decimal

import pytest

from piglist.scraper.page import Page
from piglist.scraper.product import Product
from piglist.scraper.sources import jsonld

URL = "https://shop.example/p/oak-chair"


def extract(*scripts: str) -> Product:
    body = "".join(f'<script type="application/ld+json">{script}</script>' for script in scripts)
    return jsonld.extract(Page(f"<html><head>{body}</head><body></body></html>", URL))


def product(**fields: object) -> str:
    return json.dumps({"@context": "https://schema.org", "@type": "Product", "name": "Oak Chair", **fields})


def test_reads_a_plain_product() -> None:
    found = extract(
        product(
            description="<p>Solid <b>oak</b> &amp; linen.</p>",
            image="/img/chair.jpg",
            offers={"@type": "Offer", "price": "149.5", "priceCurrency": "GBP"},
        )
    )
    assert (found.title, found.price, found.currency) == ("Oak Chair", Decimal("149.50"), "GBP")
    assert found.image_url == "https://shop.example/img/chair.jpg"
    assert found.description == "Solid oak & linen."


def test_finds_the_product_in_a_graph_and_with_a_type_list() -> None:
    document = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "BreadcrumbList", "itemListElement": []},
            {
                "@type": ["Product", "Thing"],
                "name": "Oak Chair",
                "offers": {"price": 20, "priceCurrency": "EUR"},
            },
        ],
    }
    found = extract(json.dumps(document))
    assert (found.title, found.price, found.currency) == ("Oak Chair", Decimal("20.00"), "EUR")


def test_finds_the_product_in_a_top_level_list_and_prefers_one_with_a_price() -> None:
    found = extract(
        json.dumps([{"@type": "Product", "name": "Catalogue"}, json.loads(product(offers={"price": 5}))])
    )
    assert (found.title, found.price) == ("Oak Chair", Decimal("5.00"))


def test_accepts_full_type_urls_and_lower_case() -> None:
    found = extract(json.dumps({"@type": "http://schema.org/product", "name": "Oak Chair"}))
    assert found.title == "Oak Chair"


def test_takes_the_first_priced_offer_from_a_list() -> None:
    found = extract(
        product(offers=[{"price": "", "priceCurrency": "USD"}, {"price": "12.00", "priceCurrency": "USD"}])
    )
    assert (found.price, found.currency) == (Decimal("12.00"), "USD")


def test_reads_aggregate_offer_low_price() -> None:
    found = extract(
        product(
            offers={
                "@type": "AggregateOffer",
                "lowPrice": "9.99",
                "highPrice": "19.99",
                "priceCurrency": "CAD",
            }
        )
    )
    assert (found.price, found.currency) == (Decimal("9.99"), "CAD")


def test_reads_price_specification_but_not_list_prices() -> None:
    found = extract(
        product(
            offers={
                "@type": "Offer",
                "priceSpecification": [
                    {
                        "@type": "UnitPriceSpecification",
                        "priceType": "https://schema.org/ListPrice",
                        "price": 99,
                    },
                    {"@type": "UnitPriceSpecification", "price": 79, "priceCurrency": "EUR"},
                ],
            }
        )
    )
    assert (found.price, found.currency) == (Decimal("79.00"), "EUR")


def test_reads_prices_written_for_people() -> None:
    found = extract(product(offers={"price": "€ 1.299,00"}))
    assert (found.price, found.currency) == (Decimal("1299.00"), "EUR")


def test_a_zero_price_is_no_price() -> None:
    found = extract(product(offers={"price": "0.00", "priceCurrency": "USD"}))
    assert (found.price, found.currency) == (None, "USD")


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("https://cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        (["//cdn.example/a.jpg", "https://cdn.example/b.jpg"], "https://cdn.example/a.jpg"),
        ({"@type": "ImageObject", "url": "https://cdn.example/c.jpg"}, "https://cdn.example/c.jpg"),
        ([{"@type": "ImageObject", "contentUrl": "/d.jpg"}], "https://shop.example/d.jpg"),
    ],
)
def test_reads_every_image_shape(image: object, expected: str) -> None:
    assert extract(product(image=image)).image_url == expected


def test_reads_an_offer_that_names_its_product() -> None:
    offer = {
        "@type": "Offer",
        "price": "3.50",
        "priceCurrency": "EUR",
        "itemOffered": {"@type": "Product", "name": "Tea"},
    }
    found = extract(json.dumps(offer))
    assert (found.title, found.price) == ("Tea", Decimal("3.50"))


def test_ignores_products_nested_in_the_main_one() -> None:
    found = extract(product(isRelatedTo={"@type": "Product", "name": "Stool", "offers": {"price": 9}}))
    assert (found.title, found.price) == ("Oak Chair", None)


def test_reads_variant_options() -> None:
    group = {
        "@type": "ProductGroup",
        "name": "Tee",
        "variesBy": ["size", "color"],
        "hasVariant": [
            {"@type": "Product", "size": "S", "color": "Red"},
            {"@type": "Product", "size": "M", "color": "Red"},
            {"@type": "Product", "size": "M", "color": {"name": "Blue"}},
        ],
    }
    assert extract(json.dumps(group)).options == {"size": ["S", "M"], "colour": ["Red", "Blue"]}


@pytest.mark.parametrize(
    "broken",
    [
        '{"@type": "Product", "name": "Oak Chair", "offers": {"price": "5",},}',  # trailing commas
        '{"@type": "Product", "name": "Oak\nChair", "offers": {"price": "5"}}',  # raw newline in a string
        "{&quot;@type&quot;: &quot;Product&quot;, &quot;name&quot;: &quot;Oak Chair&quot;,"
        " &quot;offers&quot;: {&quot;price&quot;: 5}}",  # HTML-escaped
        '<!-- {"@type": "Product", "name": "Oak Chair", "offers": {"price": 5}} -->',
        '// comment\n{"@type": "Product", "name": "Oak Chair", "offers": {"price": 5}}',
        '{"@type": "WebPage"}\n{"@type": "Product", "name": "Oak Chair", "offers": {"price": 5}}',  # two documents
    ],
)
def test_tolerates_broken_json(broken: str) -> None:
    found = extract(broken)
    assert (found.title, found.price) == ("Oak Chair", Decimal("5.00"))


def test_unreadable_json_gives_nothing() -> None:
    assert extract("{not json at all").title is None


def test_of_several_variants_takes_the_one_the_page_shows() -> None:
    variants = [
        {"@type": "Product", "name": "Tee", "color": "Blue", "image": "https://cdn.example/tee_blue.jpg"},
        {
            "@type": "Product",
            "name": "Tee",
            "color": "Black",
            "image": "https://cdn.example/tee_black.jpg?w=900",
        },
    ]
    head = (
        '<meta property="og:image" content="https://img.example/x/tee_black.jpg">'
        f'<script type="application/ld+json">{json.dumps(variants)}</script>'
    )
    found = jsonld.extract(Page(f"<html><head>{head}</head></html>", URL))
    assert found.image_url == "https://cdn.example/tee_black.jpg?w=900"
    assert found.options == {"colour": ["Black", "Blue"]}
