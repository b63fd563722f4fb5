"""Fetching a product page, or a picture, from an address a user typed (or a page named), safely.

http(s) only; every hop of a redirect chain is resolved and must be a public address (see
``netguard``); connect and read time out, and an overall deadline bounds slow-drip servers;
the body is streamed and abandoned past ``max_bytes``; only HTML is accepted by :func:`fetch`,
only JPEG, PNG, WebP and GIF by :func:`fetch_image`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

from . import charset
from .errors import (
    BlockedAddress,
    ConnectionFailed,
    FetchError,
    FetchTimeout,
    HostNotFound,
    HttpStatusError,
    ImageTooLarge,
    InvalidUrl,
    NotAnImage,
    NotHtml,
    TlsError,
    TooLarge,
    TooManyRedirects,
)
from .netguard import Guard, GuardedAdapter

__all__ = [
    "BlockedAddress",
    "ConnectionFailed",
    "FetchError",
    "FetchTimeout",
    "FetchedImage",
    "FetchedPage",
    "FetchedResource",
    "HostNotFound",
    "HttpStatusError",
    "ImageTooLarge",
    "InvalidUrl",
    "NotAnImage",
    "NotHtml",
    "TlsError",
    "TooLarge",
    "TooManyRedirects",
    "fetch",
    "fetch_image",
    "fetch_resource",
]

MAX_URL_LENGTH = 2048
CHUNK_BYTES = 64 * 1024
# Beyond the per-read timeout, the whole fetch (all hops, all reads) gets this many timeouts.
DEADLINE_FACTOR = 3
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/pjpeg", "image/png", "image/webp", "image/gif"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Shops serve bots less, or differently; a current desktop browser's headers get the real page.
HEADERS = {
    "User-Agent": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.9",
}
IMAGE_HEADERS = {**HEADERS, "Accept": "image/webp,image/png,image/jpeg,image/gif;q=0.9"}


@dataclass(frozen=True)
class FetchedPage:
    url: str
    status: int
    content_type: str
    text: str
    encoding: str


@dataclass(frozen=True)
class FetchedImage:
    url: str
    content_type: str
    body: bytes


def fetch(
    url: str,
    *,
    allow_hosts: frozenset[str] = frozenset(),
    timeout: float = 10,
    max_bytes: int = 5 * 1024 * 1024,
    max_redirects: int = 5,
    session: requests.Session | None = None,
    budget: float | None = None,
) -> FetchedPage:
    """Fetches ``url``, following up to ``max_redirects`` redirects, each one checked.

    ``allow_hosts`` holds exact "host:port" strings exempt from the public-address check (for
    tests against a local server). ``session`` may be passed to share cookies; its adapters are
    replaced by guarded ones for the duration of the call. ``budget`` bounds the whole call (every
    hop, connect and read) in seconds; by default ``DEADLINE_FACTOR`` timeouts. Raises a
    ``FetchError`` subclass.
    """
    return _guarded(url, _read_page, allow_hosts, timeout, max_bytes, max_redirects, session, HEADERS, budget)


@dataclass(frozen=True)
class FetchedResource:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes


# Headers a browser's request carries that the fetcher sets itself, or that name the connection.
_OWN_HEADERS = frozenset(
    {"host", "connection", "content-length", "accept-encoding", "transfer-encoding", "keep-alive", "upgrade"}
)


def fetch_resource(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    allow_hosts: frozenset[str] = frozenset(),
    timeout: float = 10,
    max_bytes: int = 5 * 1024 * 1024,
    max_redirects: int = 5,
    budget: float | None = None,
) -> FetchedResource:
    """Any resource a rendered page asks for (a script, an API call), under the same address
    rules as :func:`fetch`: every hop checked, at most ``max_bytes``, within ``budget``. Any
    content type and status is returned as it came. Raises a ``FetchError`` subclass."""
    sent = {name: value for name, value in (headers or {}).items() if name.lower() not in _OWN_HEADERS}
    return _guarded(
        url,
        _read_resource,
        allow_hosts,
        timeout,
        max_bytes,
        max_redirects,
        None,
        {**HEADERS, **sent},
        budget,
        method=method.upper(),
        body=body,
    )


def fetch_image(
    url: str,
    *,
    allow_hosts: frozenset[str] = frozenset(),
    timeout: float = 10,
    max_bytes: int = 5 * 1024 * 1024,
    max_redirects: int = 5,
    budget: float | None = None,
) -> FetchedImage:
    """Fetches a picture under the same address rules as :func:`fetch`: JPEG, PNG, WebP or GIF
    by their Content-Type, at most ``max_bytes``, within ``budget`` seconds as :func:`fetch`.
    Whether the bytes really are a picture is for the decoder to say. Raises a ``FetchError``
    subclass."""
    return _guarded(
        url, _read_image, allow_hosts, timeout, max_bytes, max_redirects, None, IMAGE_HEADERS, budget
    )


def _guarded(
    url: str,
    read: Callable,
    allow_hosts: frozenset[str],
    timeout: float,
    max_bytes: int,
    max_redirects: int,
    session: requests.Session | None,
    headers: dict[str, str],
    budget: float | None,
    *,
    method: str = "GET",
    body: bytes | None = None,
):
    allowed = frozenset(entry.strip().lower() for entry in allow_hosts)
    guard = Guard(allowed, time.monotonic() + (budget if budget is not None else DEADLINE_FACTOR * timeout))
    adapter = GuardedAdapter(guard)
    own_session = session is None
    session = session or requests.Session()
    saved_trust_env, saved_adapters = session.trust_env, dict(session.adapters)
    # Proxies from the environment or .netrc credentials must not apply to user-given URLs.
    session.trust_env = False
    session.adapters.clear()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        return _follow(session, url, guard, timeout, max_bytes, max_redirects, read, headers, method, body)
    finally:
        guard.stop()
        adapter.close()
        session.adapters.clear()
        session.adapters.update(saved_adapters)
        session.trust_env = saved_trust_env
        if own_session:
            session.close()


def _follow(
    session: requests.Session,
    url: str,
    guard: Guard,
    timeout: float,
    max_bytes: int,
    max_redirects: int,
    read: Callable,
    headers: dict[str, str],
    method: str = "GET",
    body: bytes | None = None,
):
    url = _checked_url(url)
    for _ in range(max_redirects + 1):
        response = _request(session, url, guard, timeout, headers, method, body)
        with response:
            location = response.headers.get("Location")
            if response.status_code in REDIRECT_STATUSES and location:
                if response.status_code in (301, 302, 303) and method not in ("GET", "HEAD"):
                    method, body = "GET", None  # as browsers do
                try:
                    url = urljoin(url, location)
                except ValueError as error:  # e.g. "http://[x": no address to go to
                    raise InvalidUrl("That page sent us to an address that doesn't work.") from error
                url = _checked_url(url)
                continue
            return read(response, url, guard, max_bytes)
    raise TooManyRedirects()


def _checked_url(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl("That web address is too long.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as error:
        raise InvalidUrl() from error
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidUrl()
    return url


def _request(
    session: requests.Session,
    url: str,
    guard: Guard,
    timeout: float,
    headers: dict[str, str],
    method: str = "GET",
    body: bytes | None = None,
) -> requests.Response:
    try:
        return session.request(
            method,
            url,
            headers=headers,
            data=body,
            timeout=(timeout, timeout),
            allow_redirects=False,
            stream=True,
        )
    except FetchError:
        raise
    except requests.RequestException as error:
        raise _translated(error, guard) from error


def _translated(error: requests.RequestException, guard: Guard) -> FetchError:
    if guard.expired or isinstance(error, requests.Timeout):
        return FetchTimeout()
    if isinstance(error, requests.exceptions.SSLError):
        return TlsError()
    if isinstance(error, requests.exceptions.InvalidURL | requests.exceptions.InvalidSchema):
        return InvalidUrl()
    if isinstance(error, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return ConnectionFailed()
    return FetchError()


def _read_page(response: requests.Response, url: str, guard: Guard, max_bytes: int) -> FetchedPage:
    if response.status_code >= 300:
        raise HttpStatusError(response.status_code)
    content_type = response.headers.get("Content-Type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type and media_type not in HTML_TYPES:
        raise NotHtml()
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge()
    body = _read_body(response, guard, max_bytes)
    if not media_type and not _looks_like_html(body):
        raise NotHtml()
    text, encoding = charset.decode(body, content_type)
    return FetchedPage(url, response.status_code, media_type or "text/html", text, encoding)


def _read_image(response: requests.Response, url: str, guard: Guard, max_bytes: int) -> FetchedImage:
    if response.status_code >= 300:
        raise HttpStatusError(response.status_code)
    media_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media_type not in IMAGE_TYPES:
        raise NotAnImage()
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ImageTooLarge()
    try:
        return FetchedImage(url, media_type, _read_body(response, guard, max_bytes))
    except TooLarge:
        raise ImageTooLarge() from None


# Response headers that describe the transfer, not the resource: requests has undone them.
_TRANSFER_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


def _read_resource(response: requests.Response, url: str, guard: Guard, max_bytes: int) -> FetchedResource:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge()
    headers = {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower() not in _TRANSFER_HEADERS
    }
    return FetchedResource(url, response.status_code, headers, _read_body(response, guard, max_bytes))


def _read_body(response: requests.Response, guard: Guard, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge()
            chunks.append(chunk)
    except requests.RequestException as error:
        raise _translated(error, guard) from error
    if guard.expired:
        # The deadline cut the connection; what arrived is a fragment, not the page.
        raise FetchTimeout()
    return b"".join(chunks)


_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<!--")


def _looks_like_html(body: bytes) -> bool:
    """Sniffing for a response without a Content-Type, as browsers do."""
    start = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(_HTML_STARTS)
