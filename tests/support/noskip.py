"""The suite promises that nothing is silently skipped: a test that can't run because something
it needs is missing fails, naming what is missing, so CI never passes on less than it claims.
Loaded for every run by pyproject's ``addopts`` (``-p tests.support.noskip``)."""

from __future__ import annotations

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped, and this suite skips nothing: {reason}"
