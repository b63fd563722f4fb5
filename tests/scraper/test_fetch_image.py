"""Fetching a picture obeys the page fetcher's address rules (every hop public, or named in
allow_hosts), its size cap, and accepts picture content types only."""

from __future__ import annotations

import pytest

from piglist.scraper.fetch import (
    BlockedAddress,
    HttpStatusError,
    ImageTooLarge,
    NotAnImage,
    TooManyRedirects,
    fetch_image,
)

from .servers import LocalServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


@pytest.mark.parametrize("content_type", ["image/jpeg", "image/png", "image/webp", "image/gif"])
def test_a_picture_from_an_allowed_host_is_fetched(server: LocalServer, content_type: str) -> None:
    server.page("/p", PNG, content_type)
    fetched = fetch_image(server.url("/p"), allow_hosts=server.allow)
    assert (fetched.body, fetched.content_type) == (PNG, content_type)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/picture.png",
        "http://10.0.0.1/a.png",
        "http://[::1]/a.png",
        "http://0.0.0.0/a.png",
        "http://[::ffff:127.0.0.1]/a.png",
    ],
)
def test_pictures_at_private_addresses_are_refused(url: str) -> None:
    with pytest.raises(BlockedAddress):
        fetch_image(url)


def test_a_loopback_picture_is_refused_unless_allowed(canary: LocalServer) -> None:
    canary.page("/p.png", PNG, "image/png")
    with pytest.raises(BlockedAddress):
        fetch_image(canary.url("/p.png"))
    assert canary.requests == []


def test_a_redirect_to_a_private_address_is_refused(server: LocalServer, canary: LocalServer) -> None:
    canary.page("/p.png", PNG, "image/png")
    server.redirect("/p.png", canary.url("/p.png"))
    with pytest.raises(BlockedAddress):
        fetch_image(server.url("/p.png"), allow_hosts=server.allow)
    assert canary.requests == []


def test_redirects_are_limited(server: LocalServer) -> None:
    server.redirect("/loop", server.url("/loop"))
    with pytest.raises(TooManyRedirects):
        fetch_image(server.url("/loop"), allow_hosts=server.allow)


@pytest.mark.parametrize("content_type", ["text/html", "application/pdf", "image/svg+xml", None])
def test_only_picture_types_are_accepted(server: LocalServer, content_type: str | None) -> None:
    server.page("/p", PNG, content_type)
    with pytest.raises(NotAnImage):
        fetch_image(server.url("/p"), allow_hosts=server.allow)


def test_a_picture_over_the_cap_is_refused(server: LocalServer) -> None:
    server.page("/big", b"\0" * 2048, "image/png")
    with pytest.raises(ImageTooLarge):
        fetch_image(server.url("/big"), allow_hosts=server.allow, max_bytes=1024)


def test_an_error_status_is_an_error(server: LocalServer) -> None:
    server.page("/gone", b"", "image/png", status=404)
    with pytest.raises(HttpStatusError):
        fetch_image(server.url("/gone"), allow_hosts=server.allow)
