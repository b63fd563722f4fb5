"""Telling a product page from what a shop sometimes serves in its place with a 200: a robot
check, a cookie or consent wall, or a "not found" page. Reading those as products would fill a
gift with "Just a moment..." or "Page not found"; the gift should fail with the reason instead.

A page with product evidence (structured product data, a product og:type, any price) is always a
product page: shops load captcha and cookie scripts on every page, product pages included.
"""

from __future__ import annotations

import re

from .errors import CaptchaPage, ConsentWall, MissingProductPage, NotAProductPage
from .page import Page
from .product import Product
from .sources.layout import Layout
from .text import plain_text

# Only pages with little text are judged by their body; a long page is judged by its headings.
SHORT_PAGE = 2000

_CAPTCHA = re.compile(
    r"captcha|robot check|are you a (?:robot|human)|not a robot|verify (?:that )?you(?: are|'re) (?:a )?human|"
    r"unusual traffic|just a moment\.*|checking (?:if the site connection is secure|your browser)|"
    r"attention required|pardon our interruption|access to this page has been denied|bot protection|"
    r"security check|roboter|vérification|no soy un robot|non sono un robot",
    re.I,
)
_CAPTCHA_WIDGETS = "//*[contains(@class, 'g-recaptcha') or contains(@class, 'h-captcha') or contains(@class, 'cf-turnstile') or contains(@id, 'captcha') or contains(@id, 'challenge-form') or contains(@id, 'cf-challenge')]"
_CONSENT = re.compile(
    r"before you continue|cookie consent|consent to (?:the use of )?cookies|we value your privacy|"
    r"privacy (?:choices|preferences)|manage (?:cookie|your) (?:preferences|consent)|accept (?:all )?cookies|"
    r"bevor sie (?:fortfahren|weiter)|cookie-einstellungen|avant de continuer|gestion des cookies|"
    r"antes de continuar|prima di continuare|voordat je verdergaat",
    re.I,
)
_MISSING = re.compile(
    r"\b404\b|page not found|not found|no longer (?:available|exists)|(?:does not|doesn't|can't be|cannot be) "
    r"(?:exist|found)|nicht gefunden|existiert nicht|introuvable|n'existe pas|no encontrad[ao]|no existe|"
    r"non trovat[ao]|niet gevonden|nie znaleziono|não encontrad[ao]|не найден",
    re.I,
)
_PRODUCT_TYPES = ("product", "og:product", "product.item", "product.group")


def not_a_product(
    page: Page, layout: Layout, product: Product, found: dict[str, Product]
) -> NotAProductPage | None:
    """The error to fail with when ``page`` is not a product page; None when it is (or may be)."""
    if _has_product_evidence(page, product, found):
        return None
    headings = " ".join(filter(None, [_title_text(page), _heading_text(layout)]))
    body = plain_text(layout.body.text_content()) or ""
    short = body if len(body) <= SHORT_PAGE else ""
    if _CAPTCHA.search(headings) or (short and (_CAPTCHA.search(short) or page.root.xpath(_CAPTCHA_WIDGETS))):
        return CaptchaPage()
    if _CONSENT.search(headings) or (short and _CONSENT.search(short)):
        return ConsentWall()
    if _MISSING.search(headings):
        return MissingProductPage()
    return None


def _has_product_evidence(page: Page, product: Product, found: dict[str, Product]) -> bool:
    if product.price is not None or (page.meta_value("og:type") or "").lower() in _PRODUCT_TYPES:
        return True
    return any(found[name].title for name in ("json-ld", "microdata", "platform"))


def _title_text(page: Page) -> str | None:
    titles = page.root.xpath("//title")
    return plain_text(titles[0].text_content()) if titles else None


def _heading_text(layout: Layout) -> str | None:
    return plain_text(layout.anchor.text_content()) if layout.anchor is not None else None
