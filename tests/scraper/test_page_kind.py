"""Pages a shop serves in place of the product with a 200 fail with a reason the gift can show,
instead of filling the gift with "Just a moment..." or "Page not found"."""

from __future__ import annotations

import json
import pickle

import pytest

from piglist.scraper.errors import CaptchaPage, ConsentWall, FetchError, MissingProductPage, NotAProductPage
from piglist.scraper.extract import extract

URL = "https://www.example-shop.com/p/oak-chair"


def page(title: str, body: str, head: str = "") -> str:
    return f"<html lang='en'><head><title>{title}</title>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    "html",
    [
        page("Just a moment...", "<h1>Checking your browser before accessing example-shop.com</h1>"),
        page(
            "Robot Check",
            "<p>Type the characters you see in this image.</p><form><input name='field-keywords'></form>",
        ),
        page("Example Shop", "<div class='g-recaptcha' data-sitekey='x'></div><p>Please confirm.</p>"),
        page("Attention Required! | Cloudflare", "<h1>Sorry, you have been blocked</h1>"),
        page(
            "Example Shop",
            "<h1>Pardon Our Interruption</h1><p>Something about your browser made us think you were a bot.</p>",
        ),
    ],
)
def test_a_captcha_page_is_refused_as_a_captcha(html: str) -> None:
    with pytest.raises(CaptchaPage) as raised:
        extract(html, URL)
    assert "captcha" in raised.value.reason


@pytest.mark.parametrize(
    "html",
    [
        page("Before you continue", "<h1>Before you continue to Example</h1><button>Accept all</button>"),
        page(
            "Example Shop",
            "<h2>We value your privacy</h2><p>We use cookies.</p><button>Accept all cookies</button>",
        ),
        page("Bevor Sie fortfahren", "<p>Wir verwenden Cookies.</p><button>Alle akzeptieren</button>"),
    ],
)
def test_a_consent_wall_is_refused_as_one(html: str) -> None:
    with pytest.raises(ConsentWall) as raised:
        extract(html, URL)
    assert "cookie" in raised.value.reason


@pytest.mark.parametrize(
    "html",
    [
        page("Page not found | Example Shop", "<h1>Oops!</h1><p>Try our bestsellers.</p>"),
        page("Example Shop", "<h1>404 – This page doesn't exist</h1>"),
        page("Seite nicht gefunden", "<h1>Leider ist dieser Artikel nicht mehr verfügbar</h1>"),
        page("Example", "<h1>Sorry, this product is no longer available</h1>"),
    ],
)
def test_a_not_found_page_served_with_200_is_refused(html: str) -> None:
    with pytest.raises(MissingProductPage) as raised:
        extract(html, URL)
    assert "can't be found" in raised.value.reason


def test_a_product_page_with_a_recaptcha_in_its_review_form_is_still_a_product() -> None:
    html = page(
        "Oak Chair | Example Shop",
        "<h1>Oak Chair</h1><div class='price'>£149.00</div>"
        "<form class='review'><div class='g-recaptcha'></div><button>Submit review</button></form>"
        "<div class='cookie-banner'>We use cookies. <button>Accept all cookies</button></div>",
    )
    assert extract(html, URL).title == "Oak Chair"


def test_a_product_named_like_an_error_is_still_a_product() -> None:
    data = {
        "@type": "Product",
        "name": "Levi's 404 Not Found Tee",
        "offers": {"price": "20", "priceCurrency": "EUR"},
    }
    html = page(
        "Levi's 404 Not Found Tee",
        "<h1>Levi's 404 Not Found Tee</h1>",
        f'<script type="application/ld+json">{json.dumps(data)}</script>',
    )
    assert extract(html, URL).title == "Levi's 404 Not Found Tee"


def test_a_product_without_a_price_is_not_refused() -> None:
    html = page(
        "Oak Chair | Example Shop",
        "<h1>Oak Chair</h1><p>Currently sold out.</p>",
        '<meta property="og:type" content="product">',
    )
    assert extract(html, URL).price is None


def test_the_refusal_is_a_permanent_fetch_error_that_survives_a_job_queue() -> None:
    """The gift job shows any FetchError's reason and retries only transient ones."""
    error = pickle.loads(pickle.dumps(ConsentWall()))  # noqa: S301 - our own bytes, as a job queue would
    assert isinstance(error, NotAProductPage) and isinstance(error, FetchError)
    assert not error.transient
    assert error.reason == ConsentWall.reason
