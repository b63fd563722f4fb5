from __future__ import annotations

import json
from pathlib import Path

import pytest

from piglist.scraper import evaluate

PAGE = """<html><head><meta property="og:title" content="Oak Chair | Example">
<meta property="og:image" content="https://cdn.example/chair.jpg"></head>
<body><h1>Oak Chair</h1><div class="price">£149.00</div></body></html>"""


def expected(**overrides: object) -> dict:
    data = {
        "url": "https://example.co.uk/p/1",
        "title": "Oak Chair | Example",
        "price": "149",
        "currency": "GBP",
        "image": "https://cdn.example/chair.jpg",
        "image_acceptable": ["https://cdn.example/chair.jpg"],
        "field_sources": {
            "title": "read-from-page:og:title",
            "price": "fixture:ground-truth.price",
            "currency": "derived:unambiguous fixture symbol",
            "image": "read-from-page:og:image",
        },
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("want", "got", "ok"),
    [
        ("Oak  Chair", "oak chair", True),
        ("Black &amp; Silver", "Black & Silver", True),
        ("Oak Chair | eBay", "Oak Chair", True),
        ("Shop – Oak Chair", "Oak Chair", True),
        ("Oak Chair Deluxe", "Oak Chair", False),
        ("Oak Chair", None, False),
    ],
)
def test_title_matches(want: str, got: str | None, ok: bool) -> None:
    assert evaluate.title_matches(want, got) is ok


def test_only_stated_fields_are_scored() -> None:
    data = expected(
        currency=None,
        field_sources={
            "price": "fixture:absent",
            "currency": "unknown (no page tag)",
            "title": "not present",
        },
        price=None,
    )
    assert evaluate.is_stated(data, "price")  # asserted absent by the fixture
    assert not evaluate.is_stated(data, "currency")
    assert not evaluate.is_stated(data, "title")


def write_corpus(root: Path, **overrides: object) -> Path:
    folder = root / "shop"
    folder.mkdir()
    (folder / "chair.html").write_text(PAGE, encoding="utf-8")
    (folder / "chair.expected.json").write_text(json.dumps(expected(**overrides)), encoding="utf-8")
    return root


def test_scores_every_stated_field(tmp_path: Path) -> None:
    reports, _, pages = evaluate.evaluate(write_corpus(tmp_path))

    assert pages == 1
    assert {(o.field, o.ok) for o in reports[0].outcomes} == {
        ("title", True),
        ("price", True),
        ("currency", True),
        ("image", True),
    }


def test_reports_misses_with_expected_and_got(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path, price="99", fixture_note="doubtful")

    assert evaluate.main(["--corpus", str(corpus)]) == 0

    output = capsys.readouterr().out
    assert "priced pages 0/1" in output
    assert "chair price: expected '99', got Decimal('149.00')" in output
    assert "doubtful ground truth: doubtful" in output
    assert "pages/s" in output


def test_missing_corpus_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate.main(["--corpus", str(tmp_path / "nowhere")]) == 2
    assert "not found" in capsys.readouterr().err


def test_every_miss_has_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    corpus = write_corpus(tmp_path, price="0.149", currency_raw="£", title="Acme Oak Chair", currency="RUR")

    assert evaluate.main(["--corpus", str(corpus)]) == 0

    output = capsys.readouterr().out
    assert 'reads the thousands dot in "£149" as a decimal point' in output
    assert 'names the product without "acme" (the brand)' in output
    assert "price     html 0/1" in output  # per source: right out of supplied


def test_a_page_refused_as_not_a_product_is_a_miss_with_the_reason(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path)
    (corpus / "shop" / "chair.html").write_text(
        "<title>Just a moment...</title><h1>Checking your browser</h1>"
    )

    reports, _, _ = evaluate.evaluate(corpus)

    misses = [o for o in reports[0].outcomes if not o.ok]
    assert misses and all(o.reason.startswith("refused as not a product page: ") for o in misses)
