"""Extraction speed over the scrape corpus: parse + extract per page, no network; then what
the render fallback costs per page.

    python bench/bench_extract.py [--corpus DIR] [--repeat N] [--renders N]

Each page is extracted N times; a page's time is its median run, and the report gives the
median and 95th percentile of those per-page times, plus the slowest pages. Wall-clock time is
what a scrape waits; CPU time is what the extractor costs, and stays readable on a machine other
processes are busy on (where wall-clock figures swell with the queue for a core).

Renders: the first N corpus pages are rendered in headless Chromium as the worker would, but
offline (every request but the page itself refused), each in its own browser; the report gives
median and p95 seconds per render, start-up included, and the largest process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from piglist.scraper.evaluate import DEFAULT_CORPUS
from piglist.scraper.extract import NotAProductPage, extract
from piglist.scraper.render import RenderFailed, chromium_path, render


def load(corpus: Path) -> list[tuple[str, str, str]]:
    pages = []
    for html_path in sorted(corpus.glob("*/*.html")):
        expected_path = html_path.with_name(html_path.name.removesuffix(".html") + ".expected.json")
        url = json.loads(expected_path.read_text(encoding="utf-8"))["url"] if expected_path.exists() else ""
        pages.append((html_path.name, html_path.read_text(encoding="utf-8", errors="replace"), url))
    return pages


def time_page(html: str, url: str, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds of extracting one page (a refusal counts like a result)."""
    wall, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        with contextlib.suppress(NotAProductPage):
            extract(html, url)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(wall), statistics.median(cpu)


def summary(label: str, times: dict[str, float]) -> str:
    ordered = sorted(times.values())
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{label}: median {statistics.median(ordered):.1f} ms/page, p95 {p95:.1f} ms/page, max {ordered[-1]:.1f} ms"


def render_costs(pages: list[tuple[str, str, str]], count: int) -> None:
    if chromium_path() is None:
        print("renders: no Chromium installed, not measured")
        return
    seconds, failed = [], 0
    for _, html, url in pages[:count]:
        started = time.perf_counter()
        try:
            render(url or "https://shop.example/", html, network=False)
        except RenderFailed:
            failed += 1
        seconds.append(time.perf_counter() - started)
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"renders: {len(seconds)} pages, median {statistics.median(ordered):.2f} s/page, p95 {p95:.2f} s, "
        f"{failed} failed; largest process peaked at {peak:.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--renders", type=int, default=10, help="corpus pages to render (0: none)")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"Corpus directory not found: {args.corpus}", file=sys.stderr)
        return 2
    pages = load(args.corpus)
    measured = {name: time_page(html, url, args.repeat) for name, html, url in pages}
    times = {name: wall * 1000 for name, (wall, _) in measured.items()}
    cpu_times = {name: cpu * 1000 for name, (_, cpu) in measured.items()}
    size = sum(len(html) for _, html, _ in pages) / len(pages) / 1024
    print(f"{len(pages)} pages (mean {size:.0f} KiB), {args.repeat} runs each")
    print(summary("wall clock", times))
    print(summary("CPU time  ", cpu_times))
    for name, ms in sorted(times.items(), key=lambda item: item[1], reverse=True)[:3]:
        print(f"  slowest: {name} {ms:.1f} ms")
    if args.renders:
        render_costs(pages, args.renders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
