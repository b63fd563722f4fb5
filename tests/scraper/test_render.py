"""The render fallback (issue 30): a shop that builds its product with JavaScript is rendered in
headless Chromium, and every request the page makes obeys the fetcher's address rules."""

from __future__ import annotations

import json
import logging
import time
from decimal import Decimal

import pytest

from piglist.scraper import render as rendering
from piglist.scraper.extract import extract
from piglist.scraper.render import RenderFailed, looks_script_rendered, render

# The tests' machine runs a dozen suites at once: a render that takes 3 s on a worker can take
# 20 here. What these tests check doesn't depend on the time.
BUSY_MACHINE_BUDGET = 45

PRODUCT = {"@context": "https://schema.org", "@type": "Product", "name": "Copper Kettle"}

# A React-style shop: an empty root, the product fetched from the shop's API, then drawn and
# described in JSON-LD by the script.
SHELL = """<!doctype html><html lang="en-GB"><head><title>Kettle Co.</title></head>
<body><div id="root"></div><noscript>You need to enable JavaScript to run this app.</noscript>
<script>
%(before)s
fetch("/api/products/kettle").then(r => r.json()).then(p => {
  document.getElementById("root").innerHTML =
    "<main><h1>" + p.name + "</h1><div class='price'>£" + p.price + "</div></main>";
  const data = document.createElement("script");
  data.type = "application/ld+json";
  data.text = JSON.stringify({"@context": "https://schema.org", "@type": "Product", "name": p.name,
    "offers": {"@type": "Offer", "price": p.price, "priceCurrency": "GBP"}});
  document.head.appendChild(data);
});
</script></body></html>"""


def shop(server, before: str = "") -> str:
    html = SHELL % {"before": before}
    server.page("/p/kettle", html.encode())
    server.page(
        "/api/products/kettle",
        json.dumps({"name": "Copper Kettle", "price": "64.50"}).encode(),
        "application/json",
    )
    return html


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<html><body><div id='root'></div><script src='/app.js'></script></body></html>", True),
        ("<html><body><div id='__next'></div></body></html>", True),
        ("<html><body><noscript>Please enable JavaScript.</noscript></body></html>", True),
        (
            "<html><body><h1>Kettle</h1>"
            + "<p>Words about the kettle.</p>" * 80
            + "<script>var s=document.createElement('script');s.type='application/ld+json';</script></body></html>",
            True,
        ),
        ("<html><body><h1>Kettle</h1>" + "<p>Words about the kettle.</p>" * 80 + "</body></html>", False),
        ("<html><body><p>Nothing here.</p></body></html>", False),
    ],
)
def test_a_script_rendered_page_is_recognised(html: str, expected: bool) -> None:
    assert looks_script_rendered(html, "https://shop.example/p") is expected


def test_the_product_a_script_draws_and_describes_is_read_from_the_rendered_page(server) -> None:
    html = shop(server)
    assert extract(html, server.url("/p/kettle")).price is None
    rendered = render(server.url("/p/kettle"), html, allow_hosts=server.allow, budget=BUSY_MACHINE_BUDGET)
    product = extract(rendered.html, rendered.url)
    assert (product.title, product.price, product.currency) == ("Copper Kettle", Decimal("64.50"), "GBP")
    assert rendered.blocked == []


def test_requests_to_loopback_and_metadata_addresses_are_blocked_logged_and_the_render_ends(
    server, canary, caplog
) -> None:
    """The page's script reaches for another local service, the cloud metadata address, and a
    redirect from the shop to the local service, and frames the local service: none of it
    leaves the fetcher's rules, and the product is still read."""
    server.redirect("/go", canary.url("/via-redirect"))
    canary.page("/secret", b"{}", "application/json")
    html = shop(
        server,
        before=f"""
        fetch("{canary.url("/secret")}").catch(() => 0);
        fetch("http://169.254.169.254/latest/meta-data/").catch(() => 0);
        fetch("/go").catch(() => 0);
        const frame = document.createElement("iframe"); frame.src = "{canary.url("/frame")}";
        document.body.appendChild(frame);
        """,
    )
    with caplog.at_level(logging.WARNING, logger="piglist.scraper.render"):
        rendered = render(server.url("/p/kettle"), html, allow_hosts=server.allow, budget=BUSY_MACHINE_BUDGET)
    assert canary.requests == []
    blocked = " ".join(rendered.blocked)
    assert (
        canary.url("/secret") in blocked and "169.254.169.254" in blocked and canary.url("/frame") in blocked
    )
    assert server.url("/go") in blocked  # its redirect hop to the local service was refused
    assert "169.254.169.254" in caplog.text
    assert extract(rendered.html, rendered.url).price == Decimal("64.50")


def test_a_page_that_never_stops_running_is_cut_off_at_the_budget(server) -> None:
    html = "<html><body><div id='root'></div><script>while (true) {}</script></body></html>"
    started = time.monotonic()
    with pytest.raises(RenderFailed):
        render(server.url("/p/busy"), html, allow_hosts=server.allow, budget=2)
    assert time.monotonic() - started < 2 + rendering.GRACE_SECONDS + 2


def test_a_page_that_grabs_all_the_memory_it_can_fails_without_taking_the_machine(server) -> None:
    html = (
        "<html><body><div id='root'></div>"
        "<script>const hoard = []; for (;;) { hoard.push(new Array(1e6).fill(1.5)); }</script></body></html>"
    )
    started = time.monotonic()
    with pytest.raises(RenderFailed):
        render(server.url("/p/hog"), html, allow_hosts=server.allow, budget=10)
    assert time.monotonic() - started < 10 + rendering.GRACE_SECONDS + 2


def test_without_chromium_a_render_fails_for_good(server) -> None:
    with pytest.raises(RenderFailed) as failure:
        render(server.url("/p"), "<html></html>", chromium="/nonexistent/chromium")
    assert failure.value.transient is False


def test_a_page_that_floods_requests_gets_at_most_the_cap_and_still_renders(server) -> None:
    html = (
        "<html><body><div id='root'></div><script>"
        "for (let i = 0; i < 400; i++) fetch('/api/item?i=' + i).catch(() => 0);"
        "document.getElementById('root').innerHTML = '<h1>Kettle</h1>';"
        "</script></body></html>"
    )
    # A budget for a busy machine: the cap is what's tested, not the time.
    rendered = render(server.url("/p/flood"), html, allow_hosts=server.allow, budget=BUSY_MACHINE_BUDGET)
    assert "<h1>Kettle</h1>" in rendered.html
    assert len(server.requests) <= rendering.MAX_REQUESTS
