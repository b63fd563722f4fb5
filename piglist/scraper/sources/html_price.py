"""Finding the product's price in the visible page when no structured data gives it.

Every short piece of text that reads as a price is a candidate. Each is scored by what the
template calls it (price, sale, old…), how it is shown (struck through, hidden, large) and how
close it sits to the product heading. Prices in page chrome and recommendation blocks score low,
so an unavailable product beside a carousel of priced suggestions yields no price rather than a
wrong one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from lxml.html import HtmlElement

from ..money import Money, find_currency, money_in
from ..text import plain_text
from .layout import Layout, attribute_text

# A price's text is short; containers with more text are never one price.
MAX_PRICE_TEXT = 48
# Words around a price count as its label ("Excl. VAT:", "or 4 x") only in a short container.
MAX_LABEL_TEXT = 32
# Without a currency, only a bare number may pass ("12,99", not "10 buyers"), and only if the
# template calls it a price or sets it large.
MAX_BARE_TEXT = 12
MIN_SCORE = 4.0
# Per enclosing block of page chrome or recommendations: enough that such prices fall below
# MIN_SCORE however close they sit, yet a buy box the template calls "sidebar" can still win.
CHROME_PENALTY = 6.0
# A price inside the product's own block (its Product scope, or the block that holds its heading
# and add-to-cart control) and in no block of other products within it.
MAIN_REGION_BONUS = 2.0
# How far up two prices may share an ancestor and still be one price block (sale + was).
PRICE_BLOCK_LEVELS = 3
# Product pages show a few dozen numbers; a page with thousands (a price list) is cut short
# rather than scored in full, which would take seconds.
MAX_HOLDERS = 2000

_DIGIT = re.compile(r"\d")
_NUMBER_RUN = re.compile(r"\d[\d.,'\s]*")
_PRICE_NAMES = re.compile(r"price|preis|prix|precio|prezzo|preco|prijs|cena|cijena|hinta|amount|cost", re.I)
_CURRENT_NAMES = re.compile(
    r"sale|special|final|current|actual|now|offer|deal|promo|selling|to-?pay|main|primary|big|large|"
    r"our-?price|buy-?box|new",
    re.I,
)
_OLD_NAMES = re.compile(
    r"old|was|regular|strike|through|compare|list-?price|original|before|crossed|rrp|msrp|retail|"
    r"prev|former|reference|uvp|initial|barred|without|suggested|a-text-price|rec-price|crossout",
    re.I,
)
_SIDE_NAMES = re.compile(
    r"unit-?price|per-?unit|price-?per|base-?price|grundpreis|instal|financ|klarna|afterpay|monthly|"
    r"shipping|delivery|postage|saving|you-?save|economy|voucher|coupon|bonus|points|cashback|"
    r"deposit",
    re.I,
)
# Texts of prices that are not the price to pay: savings, former prices, instalments, unit
# prices, shipping, prices before tax, coupons; in the languages shops commonly use.
_SIDE_TEXT = re.compile(
    r"^\+|%|\bsave\b|\bspar|économ|ahorr|rispar|\bwas\b|statt|instead|\buvp\b|\brrp\b|"
    r"/\s*(?:mo|month)\b|\bper\s*(?:month|\d|kg|g|l|ml|lb|oz|unit|piece|item)\b|/\s*(?:kg|l|100|st)\b|"
    r"\bx\s*\d|\d\s*x\b|\binstal|\bshipping|versand|livraison|env[ií]o|spedizione|delivery|postage|"
    r"משלוח|coupon|gutschein|"
    r"每期|分期|期付|할부|쿠폰|优惠券|優惠券|クーポン|적립|포인트|ポイント",
    re.I,
)
# The EU's "lowest price in the last 30 days" beside a discount: a reference, never the price.
# Its label is a sentence, so it is looked for in up to MAX_NOTE_TEXT characters around.
_LOWEST_PRICE_TEXT = re.compile(
    r"lowest price|niedrigste|najniższa|prix le plus bas|prezzo più basso|precio más bajo|laagste prijs|"
    r"nejnižší|legalacsonyabb|\b30 (?:days|dni|tage|tagen|jours|giorni|días|dias|dagen|dní|nap)\b",
    re.I,
)
MAX_NOTE_TEXT = 80
# Labels of a former price written as text beside it ("Regular price:", "Antes:", "Prezzo di
# copertina:", "通常価格"); a price so labelled is the former one when a current one stands by.
_OLD_TEXT = re.compile(
    r"\bregular(?:ly)?\b|\blist price|\boriginal(?:ly)?\b|\bcompare at|\bmsrp\b|retail price|"
    r"\bnormal(?:pris|preis)?\b|\bbefore\b|precio (?:normal|regular|anterior|de lista|lista)|\bantes\b|"
    r"\bavant\b|au lieu de|prix (?:initial|barré|de référence|conseillé)|prezzo (?:di copertina|di listino|pieno|"
    r"consigliato)|\blistino\b|\bcopertina\b|invece di|anziché|streichpreis|ursprünglich|alter preis|\bvorher\b|"
    r"\bvoorheen\b|\badviesprijs\b|przed obniżką|cena regularna|cena katalogowa|pre[çc]o (?:original|anterior|de)|"
    r"обычная цена|старая цена|通常価格|定価|希望小売価格|参考価格|原价|原價|정가|정상가",
    re.I,
)
# A sale price, by its block's name or its label: beside it, a dearer price is the former one.
_SALE_NAMES = re.compile(
    r"sale|special|promo|offer|deal|reduced|clearance|scontat|rebaj|oferta|angebot|aktion|solde|"
    r"remise|korting|akcij|promocj|акци|セール|特価|할인",
    re.I,
)
_SALE_TEXT = re.compile(
    r"\bsale\b|\bnow\b|special price|\bscontat|precio (?:oferta|rebajado|internet)|\boferta\b|"
    r"angebot|aktionspreis|prix soldé|\bsoldé|\bpromo|\bteraz\b|セール価格|特価|할인가",
    re.I,
)
# A price before tax, which some shops lead with and others show second.
_NET_TEXT = re.compile(
    r"\bex\.?\s*(?:tax|vat|gst)|excl|without (?:tax|vat)|\bbrez ddv|\bbez dph|ohne mwst|\bnetto\b|"
    r"hors tax|\bht\b|sin iva|senza iva|sem iva|zonder btw",
    re.I,
)
# Digits wedged between letters are codes ("A4B", base64), never prices.
_CODE_LIKE = re.compile(r"[A-Za-z]\d+[A-Za-z]")
_PRICE_PUNCTUATION = re.compile(r"[\s\d.,:;'\-–*/|()]+")
_LARGE_FONT = re.compile(r"font(?:-size)?:[^;]*?(\d{2,3})px", re.I)
_CENTS_NAMES = re.compile(r"decimal|cent|fraction|minor", re.I)
_STRUCK_TAGS = frozenset({"del", "s", "strike"})
_SKIP_TAGS = frozenset({"option", "select", "textarea", "button", "input", "label", "a", "title"})


@dataclass
class Candidate:
    element: HtmlElement
    money: Money
    score: float
    old: bool
    side: bool
    net: bool
    struck: bool
    # The holder and its nearest ancestors: prices sharing one of these form one price block.
    block: tuple[HtmlElement, ...]
    former: bool = False
    # Named or labelled as the sale price ("sale-block", "promo-price", "Prezzo scontato:").
    sale: bool = False


@dataclass(frozen=True)
class Shown:
    """What the page shows a buyer: the price to pay, the former price beside it, if any, and
    every amount the page shows as a former price (struck through, or named "was" beside a
    current price) in the main product's price blocks."""

    current: Money | None = None
    regular: Decimal | None = None
    former: frozenset[Decimal] = frozenset()
    payable: tuple[Money, ...] = ()


def find(layout: Layout) -> Money | None:
    """The best-scoring price on the page, or None when nothing scores convincingly."""
    return shown(layout).current


def shows_as_former(layout: Layout, amount: Decimal) -> bool:
    """Whether the page shows ``amount`` crossed out or named as an old, regular or list price.

    A quick test that spares scoring every price on the page when structured data agree: only
    text holding the amount's last three whole digits (in "1.299,00", "1,299" or "1299" alike)
    is looked at.
    """
    for element, text in _showing(layout, amount):
        if (
            _former_context(element)
            or _OLD_TEXT.search(_label(element, text))
            or _discounted_beside(element, amount, layout)
            or _sale_beside(element, amount, layout)
        ):
            return True
    return False


def _showing(layout: Layout, amount: Decimal) -> Iterator[tuple[HtmlElement, str]]:
    """The elements whose short text reads as ``amount``, with that text."""
    key = str(int(amount))[-3:]
    for node in layout.body.xpath(".//text()[contains(., $key)]", key=key):
        element = node.getparent()
        if node.is_tail:
            element = element.getparent()
        if element is None:
            continue
        text = _text(element, MAX_PRICE_TEXT)
        money = money_in(text, country=layout.page.country) if text else None
        if text and money is not None and money.amount == amount:
            yield element, text


def regular_beside(layout: Layout, amount: Decimal) -> Decimal | None:
    """The former price the page shows in ``amount``'s price block (crossed out, or named or
    labelled old, regular, list…), when it is above ``amount``: the regular price of a price
    structured data agree on, found without scoring the whole page."""
    for element, _ in _showing(layout, amount):
        for _, container in zip(range(PRICE_BLOCK_LEVELS), element.iterancestors(), strict=False):
            if _text(container, MAX_BADGE_TEXT) is None:
                break
            former = [
                candidate.money.amount
                for candidate in _candidates(layout, container)
                if (candidate.old or candidate.struck)
                and not candidate.side
                and candidate.money.amount > amount
                and candidate.element is not element
            ]
            if former:
                return min(former)
    return None


def _discounted_beside(element: HtmlElement, amount: Decimal, layout: Layout) -> bool:
    """Whether a discount badge near ``amount`` ("-20%") takes it to another price shown there."""
    for _, container in zip(range(PRICE_BLOCK_LEVELS), element.iterancestors(), strict=False):
        text = _text(container, MAX_BADGE_TEXT)
        if text is None:
            return False
        for discount in _badges_in(text):
            expected = amount * (100 - discount) / 100
            for number in _NUMBER_RUN.findall(text):
                money = money_in(number, country=layout.page.country)
                if (
                    money
                    and money.amount < amount
                    and abs(money.amount - expected) <= max(Decimal(1), amount / 100)
                ):
                    return True
    return False


def _sale_beside(element: HtmlElement, amount: Decimal, layout: Layout) -> bool:
    """Whether a cheaper price named as the sale price stands in ``amount``'s price block."""
    if _SALE_NAMES.search(" ".join(attribute_text(e) for e in [element, *element.iterancestors()][:3])):
        return False  # this is the sale price itself
    for _, container in zip(range(PRICE_BLOCK_LEVELS), element.iterancestors(), strict=False):
        if _text(container, MAX_BADGE_TEXT) is None:
            return False
        for named in container.iterdescendants("*"):
            if named is element or not _SALE_NAMES.search(attribute_text(named)):
                continue
            text = _text(named, MAX_PRICE_TEXT)
            money = money_in(text, country=layout.page.country) if text else None
            if text and money and money.amount < amount and not _SIDE_TEXT.search(text):
                return True
    return False


def _former_context(element: HtmlElement) -> bool:
    for _, ancestor in zip(range(5), element.iterancestors(), strict=False):
        if ancestor.tag in _STRUCK_TAGS or "line-through" in ancestor.get("style", ""):
            return True
        if _OLD_NAMES.search(attribute_text(ancestor)):
            return True
    return element.tag in _STRUCK_TAGS or bool(_OLD_NAMES.search(attribute_text(element)))


def shown(layout: Layout) -> Shown:
    candidates = _candidates(layout)
    _penalise_former_prices(candidates)
    _penalise_discounted_prices(candidates)
    _penalise_prices_beside_a_sale(candidates)
    # Shipping, instalments, unit prices and savings are never the price to pay.
    payable = [
        candidate
        for candidate in candidates
        if not (candidate.side or candidate.former or candidate.struck) and candidate.score >= MIN_SCORE
    ]
    _prefer_first_in_block(payable, layout)
    payable.sort(key=lambda candidate: candidate.score, reverse=True)
    if not payable:
        # A lone struck-through or "old" price with nothing beside it is still what the page asks.
        payable = sorted(
            (c for c in candidates if not c.side and c.score >= MIN_SCORE),
            key=lambda c: c.score,
            reverse=True,
        )[:1]
    if not payable:
        return Shown()
    best = payable[0]
    blocks = _block_ancestors(c for c in payable if c.score >= best.score - CHROME_PENALTY)
    former = [
        c for c in candidates if (c.struck or c.former) and not c.side and not blocks.isdisjoint(c.block)
    ]
    beside = [
        c.money.amount
        for c in former
        if c.money.amount > best.money.amount and not set(c.block).isdisjoint(best.block[1:])
    ]
    return Shown(
        current=best.money,
        regular=min(beside, default=None),
        former=frozenset(c.money.amount for c in former) - {best.money.amount},
        payable=tuple(c.money for c in payable),
    )


def _candidates(layout: Layout, within: HtmlElement | None = None) -> list[Candidate]:
    """Every price on the page, or in the ``within`` element."""
    seen: set[HtmlElement] = set()
    found = []
    root = layout.body if within is None else within
    for element in root.iter("*"):
        if element.tag in _SKIP_TAGS or not _has_own_digit(element):
            continue
        if len(seen) >= MAX_HOLDERS:
            break
        found_holder = _price_holder(element, layout)
        if found_holder is None or found_holder[0] in seen:
            continue
        holder, text = found_holder
        seen.add(holder)
        candidate = _read(holder, layout, text)
        if candidate is not None:
            found.append(candidate)
    for element in root.xpath(".//*[@itemprop='price'][@content]"):
        if element not in seen:
            candidate = _read(element, layout, element.get("content", ""))
            if candidate is not None:
                found.append(candidate)
    return found


def _has_own_digit(element: HtmlElement) -> bool:
    own = (element.text or "") + "".join(child.tail or "" for child in element)
    return _DIGIT.search(own) is not None


def _text(element: HtmlElement, limit: int | None = None) -> str | None:
    """The element's text as a price reads: "€" "12" "," "99" in sibling spans join up, cents in
    a <sup> become decimals, and two numbers in separate elements ("$200" "2 bids") stay apart.

    With ``limit``, gives up (None) once the text grows longer: big containers are never a
    price, and reading all of them for every number on the page would take quadratic time.
    """
    parts: list[str] = []
    length = 0
    for piece, owner in _pieces(element):
        piece = piece.strip()
        if not piece:
            continue
        if parts and parts[-1][-1].isdigit() and piece[0].isdigit():
            parts.append(_cents_separator(parts[-1]) if _is_cents(piece, owner) else " | ")
        parts.append(piece)
        length += len(piece)
        if limit is not None and length > limit:
            return None
    return plain_text("".join(parts)) or ""


def _pieces(element: HtmlElement) -> Iterator[tuple[str, HtmlElement]]:
    """Text nodes in document order, each with the element it belongs to."""
    if element.text:
        yield element.text, element
    for child in element.iterchildren("*"):
        yield from _pieces(child)
        if child.tail:
            yield child.tail, element


def _cents_separator(whole: str) -> str:
    """The decimal mark for cents set apart: whichever the whole part doesn't use, so that
    "1.299" + "99" reads 1.299,99."""
    return "," if "." in _NUMBER_RUN.findall(whole)[-1] else "."


def _is_cents(piece: str, owner: HtmlElement) -> bool:
    return (
        len(piece) == 2
        and piece.isdigit()
        and (owner.tag in ("sup", "sub", "small") or bool(_CENTS_NAMES.search(owner.get("class", ""))))
    )


def _price_holder(element: HtmlElement, layout: Layout) -> tuple[HtmlElement, str] | None:
    """The largest element around ``element`` that still holds just this one price, with its text.

    Prices are often split ("<span>€</span><span>12</span><sup>99</sup>"), so the holder climbs
    while the parent adds no more than a currency or separator and no second number: climbing
    into "Oak Chair £149" would lose which element the shop called the price.
    """
    text = _text(element, MAX_PRICE_TEXT)
    if text is None:
        return None
    holder = element
    for _ in range(3):
        parent = holder.getparent()
        if parent is None or parent is layout.body:
            break
        parent_text = _text(parent, MAX_PRICE_TEXT)
        if (
            parent_text is None
            or len(_NUMBER_RUN.findall(parent_text)) != 1
            or not _only_price_marks(parent_text.replace(text, "", 1), layout)
        ):
            break
        holder, text = parent, parent_text
    return holder, text


def _only_price_marks(extra: str, layout: Layout) -> bool:
    """Whether text a container adds to a price is still part of it: digits, separators or a
    currency ("€", "EUR", ",-"), but no words."""
    marks = _PRICE_PUNCTUATION.sub("", extra)
    return not marks or (len(marks) <= 4 and find_currency(marks, layout.page.country) is not None)


def _read(holder: HtmlElement, layout: Layout, text: str) -> Candidate | None:
    if len(_NUMBER_RUN.findall(text)) > 2 or _CODE_LIKE.search(text):
        return None
    money = money_in(text, country=layout.page.country)
    if money is None:
        return None
    if money.currency is None:
        money = Money(money.amount, _currency_beside(holder, layout))
    context = [holder, *layout.ancestors(holder)]
    names = " ".join(attribute_text(element) for element in _named_parts(holder))
    near_names = " ".join(attribute_text(element) for element in context[1:4])
    prominent = _is_prominent(context[:3])
    if money.currency is None and (
        len(text) > MAX_BARE_TEXT or not (_PRICE_NAMES.search(names + " " + near_names) or prominent)
    ):
        return None
    label = _label(holder, text)
    side = bool(
        _SIDE_NAMES.search(names)
        or _SIDE_NAMES.search(near_names)
        or _SIDE_TEXT.search(label)
        or _LOWEST_PRICE_TEXT.search(_note(holder))
    )
    old = bool(_OLD_NAMES.search(names) or _OLD_NAMES.search(near_names) or _OLD_TEXT.search(label))
    net = bool(_NET_TEXT.search(label))
    sale = bool(
        _SALE_NAMES.search(names)
        or _SALE_NAMES.search(near_names)
        or (label != text and _SALE_TEXT.search(label))
    )
    struck = _is_struck(holder, context)
    score = _naming_score(holder, names, near_names) + _display_score(holder, context, money, prominent)
    if struck:
        score -= 5.0
    depth = layout.chrome_depth(holder)
    score += _position_score(holder, layout) - CHROME_PENALTY * depth
    if depth == 0 and layout.in_main_region(holder):
        score += MAIN_REGION_BONUS
    block = tuple(context[: PRICE_BLOCK_LEVELS + 1])
    return Candidate(holder, money, score, old, side, net, struck, block, sale=sale)


def _note(holder: HtmlElement) -> str:
    """The sentence the price stands in, when its container is short ("Lowest price in the last
    30 days: $44.99"), whatever other numbers it holds."""
    parent = holder.getparent()
    return (_text(parent, MAX_NOTE_TEXT) if parent is not None else None) or ""


def _label(holder: HtmlElement, text: str) -> str:
    """The price with the few words of its container ("Excl. VAT: 36.53 €", "or 4 x £12.50"),
    if they belong to this price alone; longer notes ("incl. VAT, plus shipping") are not labels."""
    parent = holder.getparent()
    around = _text(parent, MAX_LABEL_TEXT) if parent is not None else None
    if around is None or len(_NUMBER_RUN.findall(around)) != 1:
        return text
    return around


def _named_parts(holder: HtmlElement) -> list[HtmlElement]:
    """The holder and the descendants that show text: empty placeholders don't describe it."""
    parts = [holder]
    for element in holder.iterdescendants("*"):
        if len(parts) == 6:
            break
        if (element.text or "").strip():
            parts.append(element)
    return parts


def _currency_beside(holder: HtmlElement, layout: Layout) -> str | None:
    """A currency written just outside the number's element ("$<span>99</span>", "<b>99</b> kr")."""
    before = holder.getprevious()
    parent = holder.getparent()
    texts = [
        (before.tail or "") if before is not None else (parent.text or "") if parent is not None else "",
        holder.tail or "",
    ]
    for sibling in (holder.getnext(), before):
        if sibling is not None:
            texts.append(_text(sibling, MAX_PRICE_TEXT) or "")
    for text in texts:
        # A neighbour with digits of its own is another figure ("29 sold"), not a currency label.
        if len(text) <= 16 and not any(char.isdigit() for char in text):
            currency = find_currency(text, layout.page.country)
            if currency:
                return currency
    return None


def _is_prominent(elements: list[HtmlElement]) -> bool:
    """Set in a large font by inline style, as older shops do for the price to pay."""
    for element in elements:
        match = _LARGE_FONT.search(element.get("style", ""))
        if match and int(match.group(1)) >= 18:
            return True
    return False


def _is_struck(holder: HtmlElement, context: list[HtmlElement]) -> bool:
    """Crossed out, as former prices are: <del>, <s>, <strike> or a line-through style."""
    nearby = context[:5]
    if any(element.tag in _STRUCK_TAGS for element in nearby) or holder.xpath(".//del|.//s|.//strike"):
        return True
    return any("line-through" in element.get("style", "") for element in nearby)


def _naming_score(holder: HtmlElement, names: str, near_names: str) -> float:
    score = 0.0
    if holder.get("itemprop") == "price" or holder.xpath(".//*[@itemprop='price']"):
        score += 3.0
    if _PRICE_NAMES.search(names):
        score += 3.0
    elif _PRICE_NAMES.search(near_names):
        score += 1.5
    if _CURRENT_NAMES.search(names) or _CURRENT_NAMES.search(near_names):
        score += 1.0
    return score


def _display_score(holder: HtmlElement, context: list[HtmlElement], money: Money, prominent: bool) -> float:
    score = 2.0 if money.currency else 0.0
    nearby = context[:5]
    styles = " ".join(element.get("style", "") for element in nearby).replace(" ", "").lower()
    if "display:none" in styles or any(element.get("hidden") is not None for element in nearby):
        score -= 2.0
    if prominent or holder.tag in ("h1", "h2", "h3", "strong", "b"):
        score += 1.0
    return score


def _position_score(holder: HtmlElement, layout: Layout) -> float:
    """Close to the heading in the tree and soon after it in reading order."""
    levels = layout.levels_to_anchor(holder)
    distance = layout.distance_from_anchor(holder)
    if levels is None or distance is None:
        return 0.0
    score = max(0.0, 6.0 - levels) * 0.8
    if distance > 0:
        score += 2.0 * math.exp(-distance / 400)
    else:
        score -= min(2.0, -distance / 200)
    return score


def _penalise_former_prices(candidates: list[Candidate]) -> None:
    """A price named "old" or "regular" is the former price only if a current one stands beside
    it; alone, it is what the shopper pays (templates keep the class when there is no sale)."""
    current = _block_ancestors(c for c in candidates if not (c.old or c.side or c.net))
    for candidate in candidates:
        if candidate.old and not current.isdisjoint(candidate.block):
            candidate.former = True
            candidate.score -= 4.0


def _penalise_discounted_prices(candidates: list[Candidate]) -> None:
    """Two prices in one block with a discount badge between them ("-20%"), neither of them
    struck through: the higher is the former price when the badge's discount takes it to the
    lower one."""
    current = [
        c for c in candidates if not (c.old or c.side or c.struck or c.former) and c.score >= MIN_SCORE
    ]
    for low in current:
        for high in current:
            if high.money.amount <= low.money.amount or set(low.block[1:]).isdisjoint(high.block[1:]):
                continue
            for discount in _badges(_shared_container(low, high)):
                expected = high.money.amount * (100 - discount) / 100
                if abs(expected - low.money.amount) <= max(Decimal(1), high.money.amount / 100):
                    high.former = True
                    high.score -= 4.0
                    break


def _penalise_prices_beside_a_sale(candidates: list[Candidate]) -> None:
    """Two prices in one block, neither crossed out nor labelled, the cheaper one named or
    labelled as the sale price ("sale-block", "Prezzo scontato:"): the dearer is the former."""
    current = [
        c for c in candidates if not (c.old or c.side or c.struck or c.former) and c.score >= MIN_SCORE
    ]
    for low in (c for c in current if c.sale):
        for high in current:
            if high.sale or high.money.amount <= low.money.amount:
                continue
            if not set(low.block[1:]).isdisjoint(high.block[1:]):
                high.former = True
                high.score -= 4.0


_BADGE = re.compile(r"[-−]\s?(\d{1,2}(?:[.,]\d)?)\s?%")
MAX_BADGE_TEXT = 400


def _shared_container(first: Candidate, second: Candidate) -> HtmlElement:
    return next(element for element in first.block[1:] if element in second.block[1:])


def _badges(container: HtmlElement) -> list[Decimal]:
    """The percentages off that a price block announces ("-20%", "- 15 %")."""
    return _badges_in(_text(container, MAX_BADGE_TEXT) or "")


def _badges_in(text: str) -> list[Decimal]:
    return [Decimal(match.replace(",", ".")) for match in _BADGE.findall(text)]


def _prefer_first_in_block(candidates: list[Candidate], layout: Layout) -> None:
    """Where a block shows two prices to pay (with and without tax, say), shops lead with the one
    they mean: the first in reading order gets a small lead."""
    led: set[HtmlElement] = set()
    eligible = [c for c in candidates if not (c.side or c.former or c.struck)]
    for candidate in sorted(eligible, key=lambda c: layout.order.get(c.element, 0)):
        if led.isdisjoint(candidate.block):
            led.update(candidate.block[1:])
            candidate.score += 1.0


def _block_ancestors(candidates: Iterable[Candidate]) -> set[HtmlElement]:
    """The containers that make up these candidates' price blocks (a price shares a block with
    any other whose own element or near ancestor is one of them)."""
    return {ancestor for candidate in candidates for ancestor in candidate.block[1:]}
