"""Rendering a product page that builds itself with JavaScript, in headless Chromium, for shops
whose HTML holds no product until a script has run.

A rendered page is as hostile as a fetched one, and a browser asks for far more: scripts, API
calls, frames, redirects. So Chromium never reaches the network itself. Every request the page
makes is intercepted and answered by the guarded fetcher (``fetch.fetch_resource``: public
addresses only, every redirect hop checked, the socket pinned to the vetted address); a refused
one is aborted and reported. Anything interception can't see (WebSockets, WebRTC, DNS
prefetching) is closed or pointed at a dead proxy.

Each render runs in a child process (``python -m piglist.scraper.render``) with its own
Chromium, killed whole at the deadline: a page that loops for ever, or a wedged browser, ends
with the budget however it misbehaves. Pictures, media, fonts and style sheets are never
loaded (the extractor reads the DOM), and the script heap is capped.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BlockedAddress, FetchError, InvalidUrl
from .page import Page
from .text import clean_text

log = logging.getLogger(__name__)

# Debian's headless shell (what the browser tests drive), then a full Chromium.
CHROMIUM_PATHS = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
RENDER_SECONDS = 15.0
# The child is killed this long after the budget: time to start Python and report.
GRACE_SECONDS = 5.0
MAX_REQUESTS = 150
MAX_RESOURCE_BYTES = 5 * 1024 * 1024
MAX_TOTAL_BYTES = 20 * 1024 * 1024
JS_HEAP_MB = 256
# What a rendered DOM doesn't need; skipping it saves most of a page's bytes.
SKIPPED_RESOURCES = frozenset(
    {"image", "media", "font", "stylesheet", "manifest", "texttrack", "beacon", "ping"}
)
# A page with less visible text than this may be an empty shell a script fills in.
SHELL_TEXT = 1000
_APP_ROOTS = re.compile(r"^(?:root|app|__next|__nuxt|___gatsby|svelte|main-app|app-root|spa-root)$", re.I)
_APP_ATTRIBUTES = ("ng-app", "ng-version", "data-reactroot", "data-server-rendered", "data-v-app")
_NEEDS_JAVASCRIPT = re.compile(
    r"javascript|enable js|activer? (?:le )?javascript|javascript aktivieren", re.I
)
_INJECTED_JSON_LD = re.compile(r"application/ld\+json", re.I)

# Chromium switches: no GPU, one renderer, a capped script heap, nothing that talks to the
# network behind interception's back.
CHROMIUM_ARGS = (
    "--disable-gpu",
    "--renderer-process-limit=1",
    f"--js-flags=--max-old-space-size={JS_HEAP_MB}",
    "--dns-prefetch-disable",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--no-first-run",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
)
# Requests that slip past interception go to a port nothing listens on; "<-loopback>" removes
# Chromium's implicit exemption of loopback addresses from the proxy.
DEAD_PROXY = {"server": "http://127.0.0.1:9", "bypass": "<-loopback>"}


class RenderFailed(FetchError):
    reason = "That page needs a browser to show its product, and it couldn't be shown in time."
    transient = True


@dataclass
class Rendered:
    html: str
    url: str
    requests: int = 0
    blocked: list[str] = field(default_factory=list)
    seconds: float = 0.0


def chromium_path() -> str | None:
    """The Chromium this machine has, if any."""
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


def looks_script_rendered(html: str, url: str) -> bool:
    """Whether a page that yielded no product probably builds it with JavaScript: a script writes
    its structured data, or the body is an empty shell (an app root, a "please enable
    JavaScript" notice, or scripts and next to no text)."""
    page = Page(html, url)
    if any(
        _INJECTED_JSON_LD.search(script.text)
        for script in page.scripts
        if script.type != "application/ld+json"
    ):
        return True
    body = page.root.find("body")
    text = clean_text(body.text_content()) if body is not None else None
    if text and len(text) >= SHELL_TEXT:
        return False
    if any(_APP_ROOTS.match(element.get("id", "")) for element in page.root.xpath("//body//*[@id]")):
        return True
    if any(page.root.xpath(f"//*[@{attribute}]") for attribute in _APP_ATTRIBUTES):
        return True
    if any(_NEEDS_JAVASCRIPT.search(e.text_content()) for e in page.root.iter("noscript")):
        return True
    return bool(page.scripts) and not text


def render(
    url: str,
    html: str,
    *,
    allow_hosts: frozenset[str] = frozenset(),
    budget: float = RENDER_SECONDS,
    chromium: str | None = None,
) -> Rendered:
    """The DOM of ``html`` (fetched from ``url``) after its scripts ran, within ``budget``
    seconds. Raises RenderFailed when no browser is installed, the render overran, or the
    browser failed."""
    chromium = chromium or chromium_path()
    if chromium is None or not os.access(chromium, os.X_OK):
        raise RenderFailed(transient=False)
    job = {
        "url": url,
        "html": html,
        "allow_hosts": sorted(allow_hosts),
        "budget": budget,
        "chromium": chromium,
    }
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "piglist.scraper.render"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: Chromium dies with it
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    try:
        out, _ = process.communicate(json.dumps(job).encode(), timeout=budget + GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _kill(process)
        raise RenderFailed() from None
    finally:
        _kill(process)
    try:
        answer = json.loads(out or b"{}")
    except ValueError:
        answer = {}
    if "html" not in answer:
        raise RenderFailed()
    for refused in answer.get("blocked", []):
        log.warning("render of %s: request blocked: %s", url, refused)
    return Rendered(
        answer["html"],
        answer.get("url", url),
        answer.get("requests", 0),
        answer.get("blocked", []),
        time.monotonic() - started,
    )


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


# --- inside the child process ------------------------------------------------------------


def _render_here(url: str, html: str, allow_hosts: frozenset[str], budget: float, chromium: str) -> dict:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from .fetch import fetch_resource

    deadline = time.monotonic() + budget
    state = {"requests": 0, "bytes": 0, "document_served": False}
    blocked: list[str] = []

    def remaining() -> float:
        return deadline - time.monotonic()

    def handle(route) -> None:
        request = route.request
        if not state["document_served"] and request.url == url and request.resource_type == "document":
            state["document_served"] = True
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            return
        if request.resource_type in SKIPPED_RESOURCES or remaining() <= 0.5:
            route.abort("blockedbyclient")
            return
        state["requests"] += 1
        if state["requests"] > MAX_REQUESTS or state["bytes"] > MAX_TOTAL_BYTES:
            route.abort("blockedbyclient")
            return
        try:
            resource = fetch_resource(
                request.url,
                method=request.method,
                headers=request.headers,
                body=request.post_data_buffer,
                allow_hosts=allow_hosts,
                timeout=min(10.0, remaining()),
                budget=remaining(),
                max_bytes=MAX_RESOURCE_BYTES,
            )
        except (BlockedAddress, InvalidUrl) as error:
            blocked.append(f"{request.url} ({error.reason})")
            route.abort("blockedbyclient")
            return
        except FetchError:
            route.abort("failed")
            return
        state["bytes"] += len(resource.body)
        route.fulfill(status=resource.status, headers=resource.headers, body=resource.body)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=list(CHROMIUM_ARGS), proxy=DEAD_PROXY
        )
        try:
            context = browser.new_context(
                service_workers="block", accept_downloads=False, java_script_enabled=True
            )
            context.route("**/*", handle)
            context.route_web_socket("**/*", lambda socket: socket.close())
            page = context.new_page()
            page.set_default_timeout(max(1.0, remaining()) * 1000)
            try:
                page.goto(url, wait_until="load", timeout=max(1.0, remaining() - 1) * 1000)
                # Scripts often fetch the product after "load": wait for the network to settle.
                page.wait_for_load_state("networkidle", timeout=max(0.5, remaining() - 1) * 1000)
            except PlaywrightError:
                pass  # whatever the page shows by the deadline is read
            content = page.content()
            final_url = page.url
        finally:
            browser.close()
    return {"html": content, "url": final_url or url, "requests": state["requests"], "blocked": blocked}


def main() -> int:
    job = json.loads(sys.stdin.read())
    result = _render_here(
        job["url"], job["html"], frozenset(job["allow_hosts"]), float(job["budget"]), job["chromium"]
    )
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
