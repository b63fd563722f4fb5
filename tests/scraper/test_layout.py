from __future__ import annotations

from piglist.scraper.page import Page
from piglist.scraper.sources.layout import Layout


def heading(body: str, known_title: str | None = None) -> str | None:
    layout = Layout(Page(f"<html><body>{body}</body></html>", "https://shop.example/p"), known_title)
    return layout.anchor.text_content().strip() if layout.anchor is not None else None


def test_the_first_h1_outside_page_chrome() -> None:
    body = "<header><h1>Shop Logo</h1></header><main><h1>Oak Chair</h1></main>"
    assert heading(body) == "Oak Chair"


def test_the_h1_that_matches_the_known_title() -> None:
    body = "<div class='popup'><h1>Newsletter</h1></div><h1>Other</h1><h1>Oak Chair, natural</h1>"
    assert heading(body, known_title="Oak Chair, natural") == "Oak Chair, natural"


def test_any_element_showing_the_title_when_no_h1_does() -> None:
    body = "<h1>Summer sale</h1><div class='name'>[Shop] Oak Chair natural</div>"
    assert heading(body, known_title="[Big Shop] Oak Chair natural") == "[Shop] Oak Chair natural"


def test_a_template_product_title_without_any_heading() -> None:
    assert heading("<div class='product-title'>Oak Chair</div>") == "Oak Chair"


def test_chrome_depth_ignores_containers_of_the_heading() -> None:
    page = Page(
        "<html><body><div class='slider-wrap'><h1>Oak Chair</h1><span class='price'>£5</span></div>"
        "<div class='related-products'><div><span class='price'>£9</span></div></div></body></html>",
        "https://shop.example/p",
    )
    layout = Layout(page, None)
    main, related = page.root.xpath("//span[@class='price']")
    assert layout.chrome_depth(main) == 0
    assert layout.chrome_depth(related) == 1
