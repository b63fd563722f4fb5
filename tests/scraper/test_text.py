from __future__ import annotations

import pytest

from piglist.scraper.text import absolute_url, host_labels, plain_text, strip_site_name


def test_plain_text_strips_tags_entities_and_whitespace() -> None:
    assert plain_text("  <p>Black &amp;amp; <b>Silver</b></p>\n\t 11&quot; ") == 'Black & Silver 11"'


def test_plain_text_keeps_angle_brackets_that_are_not_tags() -> None:
    assert plain_text("for ages < 5 and > 3") == "for ages < 5 and > 3"
    # Markup, even entity-encoded, is read as markup: a script's body is code, never text.
    assert plain_text("&lt;script&gt;alert(1)&lt;/script&gt; Chair") == "Chair"
    assert plain_text("<p>Soft&nbsp;wool</p><ul><li>Warm</li></ul>") == "Soft wool Warm"


def test_plain_text_drops_invisible_characters_and_empty_results() -> None:
    assert plain_text("\u200bHello\u00ad world\ufeff") == "Hello world"
    assert plain_text("   <br>  ") is None
    assert plain_text(None) is None


def test_plain_text_shortens_at_a_word_boundary() -> None:
    assert plain_text("one two three four", max_length=12) == "one two…"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/img/a.jpg", "https://shop.example/img/a.jpg"),
        ("//cdn.example/a.jpg", "https://cdn.example/a.jpg"),
        ("b.jpg", "https://shop.example/p/b.jpg"),
        ("  https://x.example/a.jpg ", "https://x.example/a.jpg"),
        ("data:image/png;base64,AAA", None),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
)
def test_absolute_url(href: object, expected: str | None) -> None:
    assert absolute_url("https://shop.example/p/1", href) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Oak Chair | Example Shop", "Oak Chair"),
        ("Oak Chair – Example", "Oak Chair"),
        ("Example.co.uk: Oak Chair", "Oak Chair"),
        ("Oak Chair - Seating - Example.co.uk", "Oak Chair - Seating"),
        ("Tommy Jeans - OFLEKI", "Tommy Jeans - OFLEKI"),  # no segment names the shop
        ("Example", "Example"),  # never strips everything
    ],
)
def test_strip_site_name(title: str, expected: str) -> None:
    assert strip_site_name(title, ["Example Shop", *host_labels("https://www.example.co.uk/p")]) == expected


def test_strip_site_name_keeps_words_that_merely_start_like_the_shop() -> None:
    assert strip_site_name("Brand - Ottoman Chair", ["otto.de", "otto"]) == "Brand - Ottoman Chair"
