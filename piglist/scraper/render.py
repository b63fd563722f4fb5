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
loaded (the extractor reads the DOM); the script heap is capped, and so is the memory each of
the render's processes may write.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import BlockedAddress, FetchError, InvalidUrl
from .page import Page
from .text import plain_text

if TYPE_CHECKING:  # Playwright is imported where a page is rendered, in the child process
    from playwright.sync_api import ProxySettings

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
# Each process of a render (Python, Playwright's driver, Chromium's) may write at most this much
# memory (RLIMIT_DATA, inherited); a page that grabs more crashes its tab and the render fails.
PROCESS_MEMORY_MB = 768
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
DEAD_PROXY: ProxySettings = {"server": "http://127.0.0.1:9", "bypass": "<-loopback>"}


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
    text = plain_text(body.text_content()) if body is not None else None
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
    network: bool = True,
) -> Rendered:
    """The DOM of ``html`` (fetched from ``url``) after its scripts ran, within ``budget``
    seconds; without ``network`` every request but the page itself is refused (measuring).
    Raises RenderFailed when no browser is installed, the render overran, or the browser
    failed."""
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


# Resources fetched at once for one page, as a browser would (it opens six per host).
PARALLEL_FETCHES = 6


async def _render_here(
    url: str, html: str, allow_hosts: frozenset[str], budget: float, chromium: str, network: bool = True
) -> dict:
    """Chromium's requests are answered concurrently: each fetch runs on a thread, and the page
    goes on while they wait."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    from .fetch import HEADERS, FetchedResource, fetch_resource

    loop = asyncio.get_running_loop()
    fetchers = ThreadPoolExecutor(max_workers=PARALLEL_FETCHES)
    deadline = time.monotonic() + budget
    state = {"requests": 0, "bytes": 0, "document_served": False}
    blocked: list[str] = []

    def remaining() -> float:
        return deadline - time.monotonic()

    def fetch(request) -> FetchedResource:
        return fetch_resource(
            request.url,
            method=request.method,
            headers=request.headers,
            body=request.post_data_buffer,
            allow_hosts=allow_hosts,
            timeout=min(10.0, remaining()),
            budget=remaining(),
            max_bytes=MAX_RESOURCE_BYTES,
        )

    async def handle(route) -> None:
        request = route.request
        if not state["document_served"] and request.url == url and request.resource_type == "document":
            state["document_served"] = True
            await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            return
        if not network or request.resource_type in SKIPPED_RESOURCES or remaining() <= 0.5:
            await route.abort("blockedbyclient")
            return
        state["requests"] += 1
        if state["requests"] > MAX_REQUESTS or state["bytes"] > MAX_TOTAL_BYTES:
            await route.abort("blockedbyclient")
            return
        try:
            resource = await loop.run_in_executor(fetchers, fetch, request)
        except (BlockedAddress, InvalidUrl) as error:
            blocked.append(f"{request.url} ({error.reason})")
            await route.abort("blockedbyclient")
            return
        except FetchError:
            await route.abort("failed")
            return
        state["bytes"] += len(resource.body)
        await route.fulfill(status=resource.status, headers=resource.headers, body=resource.body)

    async def close_socket(socket) -> None:
        await socket.close()

    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=list(CHROMIUM_ARGS), proxy=DEAD_PROXY
            )
            try:
                context = await browser.new_context(
                    service_workers="block",
                    accept_downloads=False,
                    user_agent=HEADERS["User-Agent"],
                    locale="en-GB",
                )
                await context.route("**/*", handle)
                await context.route_web_socket("**/*", close_socket)
                page = await context.new_page()
                page.set_default_timeout(max(1.0, remaining()) * 1000)
                try:
                    await page.goto(url, wait_until="load", timeout=max(1.0, remaining() - 1) * 1000)
                    # Scripts often fetch the product after "load": wait for the network to settle.
                    await page.wait_for_load_state("networkidle", timeout=max(0.5, remaining() - 1) * 1000)
                except PlaywrightError:
                    pass  # whatever the page shows by the deadline is read
                content = await page.content()
                final_url = page.url
            finally:
                await browser.close()
    finally:
        fetchers.shutdown(wait=False, cancel_futures=True)
    return {"html": content, "url": final_url or url, "requests": state["requests"], "blocked": blocked}


def main() -> int:
    limit = PROCESS_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    job = json.loads(sys.stdin.read())
    result = asyncio.run(
        _render_here(
            job["url"],
            job["html"],
            frozenset(job["allow_hosts"]),
            float(job["budget"]),
            job["chromium"],
            bool(job.get("network", True)),
        )
    )
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
