"""Browser fixtures: Debian's Chromium driven by Playwright against the site run the Procfile's way.

Every person is a browser context of their own (cookies, tabs) on the enforced CSP; a console error,
an uncaught exception or a CSP violation in any of their pages fails the test that made them.
``audit`` opens a page again in a context that may inject axe-core (bypass_csp, for that alone) at
the phone and the desktop width: 0 axe violations, nothing wider than the screen, a visible focus
ring on every control reached with Tab, and, for the main pages, a screenshot in SCREENSHOTS
(printed at the end).

Chromium comes from Debian (``scripts/e2e-deps.sh`` installs it): Playwright can't download its own
browsers here. Its headless shell, the build Playwright itself runs headless: the same Blink and V8
as the full browser without the desktop browser around them, which cost the suite about 40 CPU-seconds
(a new context ~180 ms of CPU there, ~35 ms here). axe-core is vendored (tests/e2e/vendor/axe-core,
``make vendor-axe``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from piglist.extensions import db
from scripts.procfile_site import ROOT

from .. import factories
from .support import AXE, DESKTOP, WIDTHS, E2EFamily, Person, focus_problems, format_violations

CHROMIUM = Path("/usr/bin/chromium-headless-shell")
SCREENSHOTS = ROOT / "build" / "screenshots"


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.iterdir()):
        terminalreporter.write_line(f"Browser screenshots: {SCREENSHOTS}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/e2e-deps.sh (make test does).", pytrace=False)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--disable-gpu"])
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def site(procfile_site):
    return procfile_site


@pytest.fixture
def people(browser, site) -> Iterator:
    """``people()`` opens a new person's browser; any console error or CSP violation fails the test."""
    made: list[Person] = []

    def person(viewport: dict = DESKTOP, javascript: bool = True) -> Person:
        made.append(Person(browser, site.url, viewport, javascript, mails=site.log("worker")))
        return made[-1]

    yield person
    problems = [problem for p in made for problem in p.problems]
    for p in made:
        p.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture
def family(site) -> E2EFamily:
    """Mum (admin), Tom (whose list it is), Dad and Gran, with two wishes on Tom's list."""
    app = site.app()
    with app.app_context():
        made = factories.make_family()
        people = {"mum": made.admin, "tom": made.owner, "dad": made.giver, "gran": made.other}
        kite = factories.make_gift(
            made.owner, made.group, title="Rainbow kite", price=19.99, description="The big one"
        )
        boots = factories.make_gift(made.owner, made.group, title="Football boots")
        result = E2EFamily(
            group=made.group.id,
            code=made.group.invite_code,
            emails={who: user.email for who, user in people.items()},
            ids={who: user.id for who, user in people.items()},
            gifts={"Rainbow kite": kite.id, "Football boots": boots.id},
        )
        db.session.remove()
        db.engine.dispose()
    return result


@pytest.fixture
def audit(browser, site) -> Iterator:
    """``audit(name, path, person=None, screenshot=False)``: the page as ``person`` sees it (logged
    out without one), at both widths: axe finds nothing, nothing is wider than the screen, every
    control shows focus; the main pages are also saved as screenshots.
    One tab per person and width visits all of a test's pages."""
    failures: list[str] = []
    pages: dict[tuple[int, str], Page] = {}

    def page_for(person: Person | None, width_name: str) -> Page:
        key = (id(person), width_name)
        if key not in pages:
            context = browser.new_context(
                base_url=site.url,
                viewport=WIDTHS[width_name],
                storage_state=person.context.storage_state() if person else None,
                bypass_csp=True,
            )
            pages[key] = context.new_page()
        return pages[key]

    def check(
        name: str, path: str, person: Person | None = None, tab_stops: int = 40, screenshot: bool = False
    ) -> None:
        for width_name in WIDTHS:
            page = page_for(person, width_name)
            response = page.goto(path)
            assert response is not None
            where = f"{name} at {width_name} ({path})"
            if screenshot:
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{width_name}.png"), full_page=True)
            page.add_script_tag(content=AXE)
            # Violations only: axe skips collecting what passed, most of its work.
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            )
            if violations:
                failures.append(f"{where}: axe\n{format_violations(violations)}")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                failures.append(f"{where}: {overflow}px wider than the screen")
            if width_name == "desktop":
                failures.extend(f"{where}: {problem}" for problem in focus_problems(page, tab_stops))

    yield check
    for page in pages.values():
        page.context.close()
    assert not failures, "\n\n".join(failures)
