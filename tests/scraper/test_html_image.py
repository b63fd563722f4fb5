from __future__ import annotations

from piglist.scraper.page import Page
from piglist.scraper.sources import html_image
from piglist.scraper.sources.layout import Layout


def find(body: str) -> str | None:
    html = f"<html><body><header><img class='logo' src='/logo.png' width='400'></header>{body}</body></html>"
    return html_image.find(Layout(Page(html, "https://shop.example/p/1"), None))


def test_prefers_the_zoom_version_of_the_product_picture() -> None:
    body = (
        "<div class='product'><div class='gallery'>"
        "<img class='main-image' src='/img/chair-300.jpg' data-zoom-image='/img/chair-1500.jpg'></div>"
        "<h1>Oak Chair</h1></div>"
    )
    assert find(body) == "https://shop.example/img/chair-1500.jpg"


def test_takes_the_largest_srcset_candidate() -> None:
    body = (
        "<div class='product'><h1>Oak Chair</h1>"
        "<img class='product-photo' src='/a-small.jpg' srcset='/a-480.jpg 480w, /a-1200.jpg 1200w, /a-800.jpg 800w'>"
        "</div>"
    )
    assert find(body) == "https://shop.example/a-1200.jpg"


def test_skips_icons_tracking_pixels_and_svgs() -> None:
    body = (
        "<div class='product'><h1>Oak Chair</h1>"
        "<img src='/icons/star.png' class='rating-star' width='16' height='16'>"
        "<img src='/pixel.gif'><img src='/badge.svg'>"
        "<img src='/img/chair.jpg' width='600' height='600' alt='Oak Chair'></div>"
    )
    assert find(body) == "https://shop.example/img/chair.jpg"


def test_no_convincing_picture_gives_none() -> None:
    assert find("<h1>Oak Chair</h1><p>No pictures.</p>") is None
