"""Where things sit on the page: the product heading, page chrome, and distances between elements."""

from __future__ import annotations

import re
from functools import cached_property

from lxml.html import HtmlElement

from ..page import Page
from ..text import plain_text

# Page chrome and side content, by tag or by the role/class/id names templates give them.
_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_CHROME_NAMES = re.compile(
    r"related|recommend|similar|upsell|up-sell|cross-?sell|also-?(?:bought|viewed|like)|recent|"
    r"carousel|slider|swiper|slick|accessor|bundle|sponsor|advert|footer|masthead|site-header|"
    r"page-header|global-header|top-?bar|nav-?bar|navigation|mega-?menu|breadcrumb|mini-?cart|"
    r"cart-drawer|wishlist|reviews?\b|newsletter|cookie|modal|popup|teaser|tile|product-?list|"
    r"listing|grid-item|sidebar|history",
    re.IGNORECASE,
)
_TITLE_NAMES = re.compile(r"product[-_]?(?:title|name)|pdp[-_]?title|item[-_]?title", re.IGNORECASE)
# Blocks of other products, by the names templates give them: suggestions, recently viewed,
# bundles, the cart. Narrower than page chrome: a "sidebar" or "tile" may hold the buy box.
_OTHER_PRODUCT_NAMES = re.compile(
    r"related|recommend|similar|upsell|up-sell|cross-?sell|also-?(?:bought|viewed|like)|recently|"
    r"recent-?view|bundle|mini-?cart|cart-drawer|you-?may|ymal|complete-?the-?look|shop-?the-?look",
    re.IGNORECASE,
)
# What shops write above such a block, in the languages they commonly use.
_OTHER_PRODUCT_TEXT = re.compile(
    r"you (?:may|might|will) (?:also )?(?:like|love|be interested)|also (?:like|bought|viewed)|"
    r"related (?:products|items)|recommended (?:for|products|items)|recommendations|"
    r"similar (?:products|items|styles)|"
    r"recently viewed|frequently bought|bought together|complete the look|shop the look|"
    r"customers (?:also|who)|people also|more from|inspired by your|your (?:cart|basket|bag)|"
    r"das könnte (?:dir|ihnen) auch|ähnliche (?:produkte|artikel)|kunden (?:kauften|haben) auch|"
    r"zuletzt angesehen|passend dazu|empfehlungen|vous aimerez aussi|vous aimerez peut-être|"
    r"produits similaires|récemment consultés|nos suggestions|"
    r"te puede(?:n)? (?:gustar|interesar)|también te|productos (?:relacionados|similares)|vistos recientemente|"
    r"potrebbe(?:ro)? (?:interessarti|piacerti)|ti potrebbe|prodotti (?:correlati|simili)|visti di recente|"
    r"misschien ook|gerelateerde|vergelijkbare|onlangs bekeken|podobne produkty|polecane|"
    r"ostatnio oglądane|produtos relacionados|você (?:também )?pode gostar|"
    r"похожие товары|с этим товаром|вы смотрели|"
    r"おすすめ|関連商品|最近チェック|相关推荐|猜你喜欢|推薦商品|연관 상품|추천 상품",
    re.IGNORECASE,
)
# A heading above a block is short; longer text is content, not a heading.
MAX_HEADING_TEXT = 80
# How far up, and how many siblings back, a block's heading is looked for.
_HEADING_LEVELS = 6
_HEADING_SIBLINGS = 3
# The control that puts the product in the cart: a form posting to the cart, or its button.
_CART_ACTION = re.compile(
    r"cart|basket|\bbag\b|warenkorb|panier|carrito|carrello|winkelwagen|koszyk|kosik|checkout", re.I
)
_CART_BUTTON = re.compile(
    r"add[-_ ]?to[-_ ]?(?:cart|basket|bag)|buy[-_ ]?now|in den warenkorb|ajouter au panier|"
    r"añadir al (?:carrito|cesta)|agregar al carro|aggiungi al carrello|in winkelwagen|do koszyka|"
    r"adicionar ao carrinho|в корзину|カートに入れる|加入购物车|加入購物車|장바구니",
    re.IGNORECASE,
)
# The product's block is looked for this far above its heading.
_REGION_LEVELS = 6


def attribute_text(element: HtmlElement) -> str:
    """The names a template gives an element: class, id, itemprop and test hooks."""
    return " ".join(
        element.get(name, "")
        for name in ("class", "id", "itemprop", "data-testid", "data-test", "data-qa", "data-price-type")
    )


def is_chrome(element: HtmlElement, *, by_name: bool = True) -> bool:
    if element.tag in _CHROME_TAGS or element.get("role") in _CHROME_ROLES:
        return True
    return by_name and bool(_CHROME_NAMES.search(element.get("class", "") + " " + element.get("id", "")))


def _introduced_as_other_products(element: HtmlElement) -> bool:
    """Whether a short heading just before ``element`` ("You may also like") or its own label
    announces other products."""
    label = " ".join(element.get(name, "") for name in ("aria-label", "data-title", "title"))
    if label.strip() and _OTHER_PRODUCT_TEXT.search(label):
        return True
    sibling = element.getprevious()
    for _ in range(_HEADING_SIBLINGS):
        if sibling is None:
            return False
        if isinstance(sibling.tag, str):
            text = plain_text(_short_text(sibling))
            if text and _OTHER_PRODUCT_TEXT.search(text):
                return True
            if text:
                return False
        sibling = sibling.getprevious()
    return False


def _short_text(element: HtmlElement) -> str | None:
    """The element's text if it is short enough to be a heading; None for longer content."""
    text = ""
    for piece in element.itertext():
        text += piece
        if len(text) > MAX_HEADING_TEXT * 2:
            return None
    return text if len(text.strip()) <= MAX_HEADING_TEXT else None


def shows_other_products(element: HtmlElement) -> bool:
    """Whether ``element`` sits in a block of other products: suggestions, recently viewed,
    bundles or the cart, by the block's name or by the heading above it."""
    for height, ancestor in enumerate([element, *element.iterancestors()]):
        if ancestor.tag in ("body", "html") or height > _HEADING_LEVELS:
            return False
        if _OTHER_PRODUCT_NAMES.search(ancestor.get("class", "") + " " + ancestor.get("id", "")):
            return True
        if _introduced_as_other_products(ancestor):
            return True
    return False


def is_cart_control(element: HtmlElement) -> bool:
    """A form that posts to the cart, or a button that adds to it."""
    if element.tag == "form":
        return bool(_CART_ACTION.search(element.get("action", "") + " " + attribute_text(element)))
    if element.tag in ("button", "input") or element.get("role") == "button":
        words = " ".join(
            filter(
                None,
                [element.get("name"), element.get("value"), attribute_text(element), element.text_content()],
            )
        )
        return bool(_CART_BUTTON.search(words))
    return False


class Layout:
    """Document order and ancestry of one page, computed once for all heuristics."""

    def __init__(self, page: Page, known_title: str | None) -> None:
        self.page = page
        self.body = _body(page)
        self.order = {element: index for index, element in enumerate(self.body.iter("*"))}
        self._chrome_names: dict[HtmlElement, bool] = {}
        self._others: dict[HtmlElement, bool] = {}
        self.anchor = self._product_heading(known_title)

    def ancestors(self, element: HtmlElement) -> list[HtmlElement]:
        """Ancestors up to, not including, <body>."""
        found = []
        parent = element.getparent()
        while parent is not None and parent is not self.body and parent.tag != "html":
            found.append(parent)
            parent = parent.getparent()
        return found

    def in_chrome(self, element: HtmlElement) -> bool:
        return any(is_chrome(ancestor) for ancestor in [element, *self.ancestors(element)])

    def chrome_depth(self, element: HtmlElement) -> int:
        """How many enclosing elements are page chrome or side content.

        Containers that also hold the product heading don't count, nor do the names of the
        element's parent: "slider-price" names the price, "related-products" a section.
        """
        depth = 0
        for height, ancestor in enumerate(self.ancestors(element)):
            if ancestor in self.anchor_ancestors:
                break
            named = height >= 1 and self._named_chrome(ancestor)
            if is_chrome(ancestor, by_name=False) or named or self._introduces_others(ancestor):
                depth += 1
        return depth

    def _introduces_others(self, element: HtmlElement) -> bool:
        if element not in self._others:
            self._others[element] = _introduced_as_other_products(element)
        return self._others[element]

    @cached_property
    def main_region(self) -> HtmlElement | None:
        """The product's own block: the schema.org Product scope around its heading, else the
        nearest block holding both the heading and the add-to-cart control; None when neither
        is found (the whole page is then one region)."""
        if self.anchor is None:
            return None
        for ancestor in list(self.anchor_ancestors)[:_REGION_LEVELS]:
            if ancestor.get("itemscope") is not None and "product" in ancestor.get("itemtype", "").lower():
                return ancestor
        for ancestor in list(self.anchor_ancestors)[:_REGION_LEVELS]:
            if any(is_cart_control(element) for element in ancestor.iter("form", "button", "input")):
                return ancestor
        return None

    def in_main_region(self, element: HtmlElement) -> bool:
        region = self.main_region
        return region is not None and (element is region or any(a is region for a in element.iterancestors()))

    def _named_chrome(self, element: HtmlElement) -> bool:
        # Every price on a page asks about the same few containers: remember the answers.
        if element not in self._chrome_names:
            self._chrome_names[element] = is_chrome(element)
        return self._chrome_names[element]

    @cached_property
    def anchor_ancestors(self) -> dict[HtmlElement, int]:
        """The heading's ancestors with their height above it."""
        if self.anchor is None:
            return {}
        return {ancestor: height for height, ancestor in enumerate(self.ancestors(self.anchor), start=1)}

    def levels_to_anchor(self, element: HtmlElement) -> int | None:
        """How many levels above the heading its closest common ancestor with ``element`` is."""
        if self.anchor is None:
            return None
        for ancestor in [element, *self.ancestors(element)]:
            if ancestor in self.anchor_ancestors:
                return self.anchor_ancestors[ancestor]
        return len(self.anchor_ancestors) + 1

    def distance_from_anchor(self, element: HtmlElement) -> int | None:
        """Elements between the heading and ``element`` in document order (negative: before it)."""
        if self.anchor is None or element not in self.order:
            return None
        return self.order[element] - self.order[self.anchor]

    def _product_heading(self, known_title: str | None) -> HtmlElement | None:
        """The product's heading: the element showing the known title (an <h1> preferred), else
        the first <h1> outside page chrome, else an element templates name as the product title."""
        headings = [h for h in self.body.iter("h1") if plain_text(h.text_content())]
        if known_title:
            titled = self._showing_title(known_title, headings)
            if titled is not None:
                return titled
        outside = [h for h in headings if not self.in_chrome(h)]
        if outside or headings:
            return (outside or headings)[0]
        for element in self.body.iter("*"):
            if _TITLE_NAMES.search(attribute_text(element)) and plain_text(element.text_content()):
                return element
        return None

    def _showing_title(self, title: str, headings: list[HtmlElement]) -> HtmlElement | None:
        for heading in headings:
            if _shows_title(title, plain_text(heading.text_content()) or ""):
                return heading
        # Not every shop uses <h1>: look for any element whose own text is the title.
        for element in self.body.iter("*"):
            own = plain_text(element.text)
            if own and _shows_title(title, own) and not self.in_chrome(element):
                return element
        return None


_WORD = re.compile(r"\w+")


def _overlap(expected: str, candidate: str) -> float:
    """Share of the expected text's words found in the candidate."""
    wanted = set(_WORD.findall(expected.casefold()))
    if not wanted:
        return 0.0
    return len(wanted & set(_WORD.findall(candidate.casefold()))) / len(wanted)


def _shows_title(title: str, text: str) -> bool:
    """Whether ``text`` is the title, allowing for a shop prefix or suffix on either side."""
    if not text or len(text) > 2 * len(title) + 10 or 2 * len(text) < len(title):
        return False
    return _overlap(title, text) >= 0.8 or _overlap(text, title) >= 0.9


def _body(page: Page) -> HtmlElement:
    body = page.root.find("body")
    return body if body is not None else page.root
