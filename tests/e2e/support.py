"""What the browser tests share besides their fixtures: the two screen widths, a person at their own
browser, the family made in the site's database, axe-core and the focus-ring check run on a page as
it is now, a page's marker that a reload would wipe, and finding a gift's tile.

The fixtures that start the browser and the site stay in conftest.py and build on these; the test
modules import them from here rather than from conftest.py or from one another, so that a journey
and the release-live test find a tile, and check a page with axe, the same way.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .. import factories

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
PASSWORD = factories.PASSWORD
# What waits on the site's worker (a scrape, then its live update) gets a deadline for a broken run
# rather than Playwright's 5 s default, which is a measurement of a job on a shared 2-core box: a
# run at four test processes saw a scraped tile arrive after it (tests/e2e/test_journeys.py). Scrapes
# and previews are both jobs.
WORKER_DEADLINE_MS = 30_000

# Added before any page script runs (Playwright's init scripts are not subject to the CSP), so a
# violation the page would only report is a console error the test sees.
REPORT_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

# The focus ring of the element focused now: is there one, is it thick enough, and does it stand out
# (3:1, WCAG 1.4.11) from the background behind it?
FOCUS_RING = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body || el.dataset.focusSeen) return null;
  el.dataset.focusSeen = "1";
  const style = getComputedStyle(el);
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  let node = el.parentElement, behind = [255, 255, 255];
  while (node) {
    const bg = rgb(getComputedStyle(node).backgroundColor);
    if (bg.length === 3 || (bg.length === 4 && bg[3] > 0.5)) { behind = bg; break; }
    node = node.parentElement;
  }
  const ring = rgb(style.outlineColor);
  const [a, b] = [lum(ring), lum(behind)].sort((x, y) => y - x);
  return {
    what: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${(el.innerText || el.value || el.name || "").trim().slice(0, 30)}"`,
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: (a + 0.05) / (b + 0.05),
  };
}
"""

both_widths = pytest.mark.parametrize("width", list(WIDTHS))

# A shop's product page a gift is added from by its link.
KITE_PAGE = """<!doctype html><html lang="en"><head><title>Stunt kite – Toy Shop</title>
<script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Stunt Kite",
 "offers": {"@type": "Offer", "price": "34.50", "priceCurrency": "USD"}}
</script></head><body><h1>Stunt Kite</h1></body></html>"""


class Person:
    """Someone at their own browser: a context with its own cookies, and the problems its pages had."""

    def __init__(
        self,
        browser: Browser,
        base_url: str,
        viewport: dict,
        javascript: bool = True,
        mails: Path | None = None,
    ) -> None:
        self.mails = mails  # the site worker's log, where a site without SMTP writes its mails
        self.context: BrowserContext = browser.new_context(
            base_url=base_url, viewport=viewport, java_script_enabled=javascript
        )
        self.context.add_init_script(REPORT_CSP)
        self.problems: list[str] = []
        self.context.on("page", self.watch)
        self.page: Page = self.context.new_page()
        self.name = ""

    def watch(self, page: Page) -> None:
        page.on("console", lambda m: self.console(page, m))
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: {error}"))

    def console(self, page: Page, message) -> None:
        # Chromium notes every page that answers 4xx (a form sent back with its messages is a 422, a
        # dead invite link a 404): the page itself is what the test checks. Anything else it loads
        # failing (a stylesheet, a script, a picture of ours) is a problem.
        own_page = "Failed to load resource" in message.text and message.location.get("url") == page.url
        if message.type == "error" and not own_page:
            self.problems.append(f"{page.url}: {message.text}")

    def register(self, name: str, email: str) -> Person:
        self.name = name
        page = self.page
        if not page.url.endswith("/register") and "/register?" not in page.url:
            page.goto("/register")
        page.get_by_label("Your name").fill(name)
        page.get_by_label("Email").fill(email)
        page.get_by_role("button", name=re.compile("sign up|create", re.I)).click()
        # The same answer for any address; the link comes by mail (piglist.auth.signups).
        expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
        page.goto(self.signup_link(email))
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name=re.compile("create", re.I)).click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return self

    def signup_link(self, email: str, seconds: float = 90) -> str:
        """The sign-up link the site's worker logged for ``email`` (no SMTP on the test site). A
        deadline for a broken test: the worker may still be starting when the first person signs up."""
        assert self.mails is not None, "this person's site keeps no mail log"
        line = re.compile(rf"to finish signing up as {re.escape(email)}, open (\S+)")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = line.findall(self.mails.read_text(errors="replace")) if self.mails.exists() else []
            if found:
                return urlsplit(found[-1]).path
            time.sleep(0.1)
        raise AssertionError(f"no sign-up link logged for {email}")

    def goto(self, path: str) -> Page:
        self.page.goto(path)
        return self.page

    def login(self, email: str, password: str = PASSWORD) -> Person:
        self.page.goto("/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Log in").click()
        expect(self.page.get_by_role("button", name="Log out")).to_be_visible()
        return self

    def close(self) -> None:
        self.context.close()


@dataclass
class E2EFamily:
    """A family made straight in the site's database: ids and e-mail addresses, no ORM objects."""

    group: int
    code: str
    emails: dict[str, str]
    ids: dict[str, int]
    gifts: dict[str, int]

    def list_of(self, who: str) -> str:
        return f"/groups/{self.group}/piglists/{self.ids[who]}"

    def gift(self, title: str) -> str:
        return f"/groups/{self.group}/gifts/{self.gifts[title]}"


def tile(page: Page, title: str):
    return page.locator("article.gift-tile").filter(has=page.get_by_role("link", name=title))


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(
            f"    {' '.join(node['target'])}: {node['failureSummary']}" for node in violation["nodes"][:5]
        )
    return "\n".join(lines)


def assert_axe_clean(page: Page) -> None:
    """axe-core on the page as it is now (after a form came back, a stream landed): evaluated
    through the browser's own channel, so the page's CSP stays as it is."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    assert not violations, format_violations(violations)


def stays_on_the_page(page: Page) -> None:
    """A marker that a full page load (a reload) would wipe."""
    page.evaluate("window.__noReload = true")


def not_reloaded(page: Page) -> bool:
    return page.evaluate("window.__noReload === true")


def focus_problems(page: Page, tab_stops: int) -> list[str]:
    problems = []
    for _ in range(tab_stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring is None:  # back at the start
            break
        if ring["style"] == "none" or ring["width"] < 2 or ring["contrast"] < 3:
            problems.append(
                f"focus on {ring['what']} is hard to see "
                f"({ring['style']} {ring['width']}px, {ring['contrast']:.1f}:1)"
            )
    return problems
