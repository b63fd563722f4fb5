"""`make bench-web` still runs: bench/web.py --quick starts every site it compares (warm, cold,
floor, ceiling), seeds the many-families run in bulk and prints its tables. A smoke test only:
no figure is asserted (they are measurements, made on a quiet machine; README, Performance)."""

from __future__ import annotations

import os
import subprocess
import sys

from .support.databases import BASE_PG_URL
from .support.sites import ROOT


def test_bench_web_quick_runs_and_prints_its_tables():
    result = subprocess.run(
        [sys.executable, "bench/web.py", "--quick"],
        cwd=ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": BASE_PG_URL},
        capture_output=True,
        text=True,
        timeout=900,  # a deadline for a broken run, not a measurement
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "| family | site | request | req/s |" in out
    for site in ("floor", "cold", "warm", "ceiling"):
        assert f"| 8 × 25 | {site} | API list |" in out, site
    assert "| connections | req/s | whole pages/s |" in out
    assert "Highest rate at p99 < 100 ms:" in out
    assert "cold API list >= 50 % of the floor's req/s" in out
