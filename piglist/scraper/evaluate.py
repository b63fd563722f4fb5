"""Scores the extractor against the shared corpus of saved shop pages.

    python -m piglist.scraper.evaluate [--corpus DIR]

Per folder it prints the share of pages where title, price, currency and image are right, and
per field which source supplied the value and how often it was right; then every miss with
expected vs got and the reason for it. A field is scored only where the page's expected.json
states it (see the corpus README); pages whose ground truth is doubtful (``fixture_note``) are
marked.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from .errors import NotAProductPage
from .extract import extract
from .money import currency_code
from .product import Product


def _default_corpus() -> Path:
    """``shared/corpus`` beside the checkout, or beside any folder above it (git worktrees)."""
    repository = Path(__file__).resolve().parents[2]
    for folder in repository.parents:
        if (folder / "shared" / "corpus").is_dir():
            return folder / "shared" / "corpus"
    return repository.parent / "shared" / "corpus"


DEFAULT_CORPUS = _default_corpus()
# Misses whose cause was checked by hand in the page: page name → (field, reason).
REVIEWED = {
    ("globalindustrial", "price"): 'the origin says no price, but the page shows "Price: $165.95" '
    'beside the product (class "price main") and in its product data: the ground truth is doubtful',
    ("amazon-es-product-url", "image"): "the expected picture is a 260 px thumbnail; the page's main "
    "image (data-old-hires, 1500 px) is another photo of the same product",
}
SCORED_FIELDS = ("title", "price", "currency", "image")
_UNSTATED = ("not present", "no fixture", "unknown")
_SEPARATORS = "|｜-–—:·•»"
_SPACE = re.compile(r"\s+")


@dataclass
class Outcome:
    """One scored field of one page."""

    page: str
    field: str
    ok: bool
    expected: object
    got: object
    source: str | None
    note: str | None = None
    reason: str | None = None


@dataclass
class FolderReport:
    name: str
    pages: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def tally(self, name: str, priced: bool | None = None) -> tuple[int, int]:
        chosen = [
            o
            for o in self.outcomes
            if o.field == name and (priced is None or (o.expected is not None) == priced)
        ]
        return sum(o.ok for o in chosen), len(chosen)


def is_stated(expected: dict, name: str) -> bool:
    source = expected.get("field_sources", {}).get(name, "")
    if not source or source.startswith(_UNSTATED):
        return False
    if expected.get(name) is None:
        # Only the price can be asserted absent, and only by the origin's own ground truth.
        return name == "price" and source.startswith("fixture:")
    return True


def _normal_title(value: object) -> str:
    return _SPACE.sub(" ", html.unescape(str(value))).strip().casefold()


def title_matches(expected: str, got: str | None) -> bool:
    """Equal after whitespace/entity/case normalisation, or ``got`` is ``expected`` minus a
    leading or trailing segment after a separator (the site name the extractor is meant to drop)."""
    if not got:
        return False
    want, have = _normal_title(expected), _normal_title(got)
    if want == have:
        return True
    if want.startswith(have):
        dropped = want.removeprefix(have).strip()
        return dropped[:1] in _SEPARATORS and bool(dropped.strip(_SEPARATORS + " "))
    if want.endswith(have):
        dropped = want.removesuffix(have).strip()
        return dropped[-1:] in _SEPARATORS and bool(dropped.strip(_SEPARATORS + " "))
    return False


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def score_field(name: str, expected: dict, product: Product) -> tuple[bool, object]:
    if name == "title":
        return title_matches(expected["title"], product.title), product.title
    if name == "price":
        want = expected["price"]
        ok = product.price is None if want is None else product.price == _decimal(want)
        return ok, product.price
    if name == "currency":
        return product.currency == expected["currency"], product.currency
    acceptable = {expected["image"], *expected.get("image_acceptable", [])}
    acceptable = {html.unescape(url) for url in acceptable if url}
    return (
        product.image_url is not None and html.unescape(product.image_url) in acceptable
    ), product.image_url


def evaluate(corpus: Path) -> tuple[list[FolderReport], float, int]:
    reports: dict[str, FolderReport] = {}
    elapsed = 0.0
    pages = 0
    for html_path in sorted(corpus.glob("*/*.html")):
        expected_path = html_path.with_name(html_path.name.removesuffix(".html") + ".expected.json")
        if not expected_path.exists():
            continue
        expected = json.loads(expected_path.read_text(encoding="utf-8"))
        markup = html_path.read_text(encoding="utf-8", errors="replace")
        started = time.perf_counter()
        refused = None
        try:
            product = extract(markup, expected["url"])
        except NotAProductPage as exc:
            product, refused = Product(), exc.reason
        elapsed += time.perf_counter() - started
        pages += 1
        report = reports.setdefault(html_path.parent.name, FolderReport(html_path.parent.name))
        report.pages += 1
        for name in SCORED_FIELDS:
            if is_stated(expected, name):
                ok, got = score_field(name, expected, product)
                source = product.sources.get("image_url" if name == "image" else name)
                outcome = Outcome(
                    html_path.stem, name, ok, expected[name], got, source, expected.get("fixture_note")
                )
                if not ok:
                    outcome.reason = (
                        f"refused as not a product page: {refused}"
                        if refused
                        else explain(outcome, expected, product)
                    )
                report.outcomes.append(outcome)
    return list(reports.values()), elapsed, pages


def _percent(right: int, total: int) -> str:
    return f"{right}/{total} ({100 * right / total:.0f}%)" if total else "-"


def explain(outcome: Outcome, expected: dict, product: Product) -> str:
    """Why a field missed, as far as the page and its ground truth tell."""
    reviewed = REVIEWED.get((outcome.page, outcome.field))
    if reviewed:
        return reviewed
    if outcome.got is None:
        return "nothing found"
    by = outcome.source or "no source"
    if outcome.field == "price":
        return _price_reason(outcome, expected, product, by)
    if outcome.field == "currency":
        if currency_code(str(outcome.expected)) == outcome.got:
            return f"the ground truth writes the withdrawn code {outcome.expected} for {outcome.got}"
        return f"{by} stated {outcome.got}"
    if outcome.field == "title":
        want, have = _normal_title(outcome.expected), _normal_title(outcome.got)
        if have and have in want:
            extra = want.replace(have, "", 1).strip()
            return f'{by} names the product without "{extra}" (the brand), which the ground truth includes'
        return f"{by} gave another name"
    expected_path = urlsplit(str(outcome.expected)).path
    if expected_path and expected_path in str(outcome.got):
        return f"the same picture file, served through the shop's image resizer ({by})"
    return f"{by} gave another picture"


def _price_reason(outcome: Outcome, expected: dict, product: Product, by: str) -> str:
    if outcome.expected is None:
        return f"the page has no price per its origin, but {by} gave one"
    want = _decimal(outcome.expected)
    got = outcome.got
    if want is not None and isinstance(got, Decimal) and want * 1000 == got:
        shown = (expected.get("currency_raw") or "") + f"{got:,.0f}".replace(",", ".")
        return (
            f'the ground truth reads the thousands dot in "{shown}" as a decimal point ({by} read {got:.0f})'
        )
    if want is not None and product.regular_price == want:
        return f"took {got}, the price shown now; the ground truth has the regular price {want}"
    return f"{by} gave {got}"


def _source_tally(outcomes: list[Outcome], name: str) -> str:
    """ "json-ld 30/31, html 12/12": per source, right answers out of the values it supplied."""
    supplied = Counter(o.source or "nothing" for o in outcomes if o.field == name)
    right = Counter(o.source or "nothing" for o in outcomes if o.field == name and o.ok)
    return ", ".join(f"{source} {right[source]}/{total}" for source, total in supplied.most_common())


def print_report(reports: list[FolderReport], elapsed: float, pages: int) -> None:
    for report in reports:
        print(f"\n{report.name}: {report.pages} pages")
        print(f"  price     priced pages {_percent(*report.tally('price', priced=True))}", end="")
        print(f"   no-price pages {_percent(*report.tally('price', priced=False))}")
        for name in ("currency", "title", "image"):
            print(f"  {name:<9} {_percent(*report.tally(name))}")
        print("  by source (right/supplied):")
        for name in SCORED_FIELDS:
            tally = _source_tally(report.outcomes, name)
            if tally:
                print(f"    {name:<9} {tally}")
        misses = [o for o in report.outcomes if not o.ok]
        if misses:
            print("  misses:")
        for miss in misses:
            doubt = f"  [doubtful ground truth: {miss.note}]" if miss.note else ""
            print(
                f"    {miss.page} {miss.field}: expected {miss.expected!r}, got {miss.got!r} — {miss.reason}{doubt}"
            )
        doubtful = sorted({o.page for o in report.outcomes if o.note and o.ok})
        if doubtful:
            print(f"  right despite doubtful ground truth: {', '.join(doubtful)}")
    print(f"\n{pages} pages in {elapsed:.2f} s: {pages / elapsed:.1f} pages/s (parse + extract)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"default: {DEFAULT_CORPUS}")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"Corpus directory not found: {args.corpus} (pass --corpus DIR)", file=sys.stderr)
        return 2
    reports, elapsed, pages = evaluate(args.corpus)
    if not pages:
        print(f"No *.html pages with *.expected.json found in {args.corpus}", file=sys.stderr)
        return 2
    print_report(reports, elapsed, pages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
