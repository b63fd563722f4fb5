"""The last resort: what a person would read off the page itself."""

from __future__ import annotations

from ..page import Page
from ..product import Product
from ..text import plain_text, strip_site_name
from . import html_image, html_options
from .layout import Layout


def extract(page: Page, layout: Layout, known: Product) -> Product:
    """Fills only what earlier sources left open (the price is weighed in ``extract.py``, against
    what structured data says)."""
    product = Product()
    if known.title is None:
        product.title = _title(page, layout)
    if known.image_url is None:
        product.image_url = html_image.find(layout) or page.url_for(_link_image(page))
    if known.description is None:
        product.description = plain_text(page.meta_value("description"))
    product.options = html_options.find(layout)
    return product


def _title(page: Page, layout: Layout) -> str | None:
    if layout.anchor is not None:
        heading = plain_text(layout.anchor.text_content())
        if heading:
            return heading
    titles = page.root.xpath("//title")
    text = plain_text(titles[0].text_content()) if titles else None
    return strip_site_name(text, page.site_names) if text else None


def _link_image(page: Page) -> str | None:
    hrefs = page.root.xpath("//link[@rel='image_src']/@href")
    return hrefs[0] if hrefs else None
