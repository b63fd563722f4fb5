from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import requests

from piglist.scraper.fetch import (
    BlockedAddress,
    FetchError,
    FetchTimeout,
    HttpStatusError,
    InvalidUrl,
    NotHtml,
    TlsError,
    TooLarge,
    TooManyRedirects,
    fetch,
)

from ..support.mailbox import self_signed_certificate
from .servers import LocalServer

HTML = b"<!doctype html><html><head><title>Chair</title></head><body><h1>Chair</h1></body></html>"


def test_fetches_a_page_with_browser_headers(server: LocalServer) -> None:
    server.page("/chair", HTML, "text/html; charset=utf-8")

    page = fetch(server.url("/chair"), allow_hosts=server.allow)

    assert (page.url, page.status, page.content_type, page.encoding) == (
        server.url("/chair"),
        200,
        "text/html",
        "utf-8",
    )
    assert "<h1>Chair</h1>" in page.text
    headers = server.requests[0][1]
    assert headers["Host"] == server.host_port
    assert "Mozilla/5.0" in headers["User-Agent"]
    assert headers["Accept-Language"]
    assert "text/html" in headers["Accept"]


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "0.0.0.0",
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f.1",  # hexadecimal, short form
        "0177.0.0.1",  # octal
        "127.1",
        "[::ffff:127.0.0.1]",  # IPv4-mapped IPv6
    ],
)
def test_refuses_loopback_in_any_spelling(host: str, canary: LocalServer) -> None:
    with pytest.raises(BlockedAddress) as refused:
        fetch(f"http://{host}:{canary.port}/", timeout=1)

    assert refused.value.transient is False
    assert "private or local" in refused.value.reason
    assert canary.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[::]/",
    ],
)
def test_refuses_private_link_local_and_multicast_addresses(url: str) -> None:
    with pytest.raises(BlockedAddress):
        fetch(url, timeout=1)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://example.com/x", "data:text/html,hi", "//x/"]
)
def test_refuses_other_schemes(url: str) -> None:
    with pytest.raises(InvalidUrl) as refused:
        fetch(url)
    assert refused.value.transient is False


def test_refuses_a_redirect_to_loopback(server: LocalServer, canary: LocalServer) -> None:
    server.redirect("/go", canary.url("/secret"))

    with pytest.raises(BlockedAddress):
        fetch(server.url("/go"), allow_hosts=server.allow)

    assert [path for path, _ in server.requests] == ["/go"]
    assert canary.requests == []


def test_refuses_a_redirect_to_another_scheme(server: LocalServer) -> None:
    server.redirect("/go", "file:///etc/passwd")

    with pytest.raises(InvalidUrl):
        fetch(server.url("/go"), allow_hosts=server.allow)


def test_follows_relative_redirects_and_reports_the_final_url(server: LocalServer) -> None:
    server.redirect("/old", "/new", status=301)
    server.page("/new", HTML)

    page = fetch(server.url("/old"), allow_hosts=server.allow)

    assert page.url == server.url("/new")


def test_follows_five_redirects_but_not_six(server: LocalServer) -> None:
    for hop in range(6):
        server.redirect(f"/{hop}", f"/{hop + 1}")
    server.page("/6", HTML)

    assert fetch(server.url("/1"), allow_hosts=server.allow).url == server.url("/6")
    with pytest.raises(TooManyRedirects) as refused:
        fetch(server.url("/0"), allow_hosts=server.allow)
    assert refused.value.transient is False


def test_refuses_a_declared_12_mb_page_without_reading_it(server: LocalServer) -> None:
    sent = []

    def huge(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", str(12 * 1024 * 1024))
        request.end_headers()
        for _ in range(12 * 16):
            request.wfile.write(b"x" * 65536)
            sent.append(65536)

    server.routes["/huge"] = huge
    started = time.monotonic()

    with pytest.raises(TooLarge) as refused:
        fetch(server.url("/huge"), allow_hosts=server.allow)

    assert time.monotonic() - started < 2
    assert refused.value.transient is False


def test_stops_reading_an_undeclared_12_mb_page_at_the_cap(server: LocalServer) -> None:
    finished = threading.Event()

    def endless(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Connection", "close")
        request.end_headers()
        for _ in range(12 * 16):
            request.wfile.write(b"<p>" + b"x" * 65533)
        finished.set()

    server.routes["/stream"] = endless
    started = time.monotonic()

    with pytest.raises(TooLarge):
        fetch(server.url("/stream"), allow_hosts=server.allow, max_bytes=64 * 1024)

    assert time.monotonic() - started < 2
    # Socket buffers hold a few MB at most, so a server that could finish was fully read.
    assert not finished.wait(0.5)


def test_refuses_a_pdf(server: LocalServer) -> None:
    server.page("/manual.pdf", b"%PDF-1.7 ...", "application/pdf")

    with pytest.raises(NotHtml) as refused:
        fetch(server.url("/manual.pdf"), allow_hosts=server.allow)
    assert refused.value.transient is False


def test_sniffs_a_page_without_content_type(server: LocalServer) -> None:
    server.page("/page", HTML, content_type=None)
    server.page("/blob", b"\x89PNG\r\n\x1a\n....", content_type=None)

    assert "Chair" in fetch(server.url("/page"), allow_hosts=server.allow).text
    with pytest.raises(NotHtml):
        fetch(server.url("/blob"), allow_hosts=server.allow)


@pytest.mark.parametrize(
    ("status", "transient"), [(404, False), (403, False), (410, False), (503, True), (429, True)]
)
def test_http_errors_say_whether_to_retry(server: LocalServer, status: int, transient: bool) -> None:
    server.page("/x", b"<html>error</html>", status=status)

    with pytest.raises(HttpStatusError) as failed:
        fetch(server.url("/x"), allow_hosts=server.allow)

    assert failed.value.status == status
    assert failed.value.transient is transient
    assert failed.value.reason


def test_a_slow_answer_times_out(server: LocalServer) -> None:
    def slow(request: BaseHTTPRequestHandler) -> None:
        time.sleep(2)
        request.send_response(200)
        request.end_headers()

    server.routes["/slow"] = slow
    started = time.monotonic()

    with pytest.raises(FetchTimeout) as failed:
        fetch(server.url("/slow"), allow_hosts=server.allow, timeout=0.3)

    assert time.monotonic() - started < 1.5
    assert failed.value.transient is True
    assert failed.value.reason == "That page took too long to answer."


def test_a_slow_drip_is_cut_off_by_the_overall_deadline(server: LocalServer) -> None:
    def drip(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.end_headers()
        for _ in range(100):  # each byte well inside the read timeout, forever in total
            request.wfile.write(b"x")
            request.wfile.flush()
            time.sleep(0.1)

    server.routes["/drip"] = drip
    started = time.monotonic()

    with pytest.raises(FetchTimeout):
        fetch(server.url("/drip"), allow_hosts=server.allow, timeout=0.3)

    assert time.monotonic() - started < 2


def test_the_budget_bounds_the_whole_fetch_however_steady_the_drip(server: LocalServer) -> None:
    def drip(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Content-Length", "60")
        request.end_headers()
        for _ in range(60):  # 1.2 s in all: within the default deadline (3 timeouts), past the budget
            request.wfile.write(b"x")
            request.wfile.flush()
            time.sleep(0.02)

    server.routes["/drip"] = drip
    assert fetch(server.url("/drip"), allow_hosts=server.allow, timeout=1).text == "x" * 60
    with pytest.raises(FetchTimeout):
        fetch(server.url("/drip"), allow_hosts=server.allow, timeout=1, budget=0.4)


def test_decodes_undeclared_windows_1252(server: LocalServer) -> None:
    text = "<html><body><p>Café “Deluxe” – only €12</p></body></html>"
    server.page("/legacy", text.encode("cp1252"), "text/html")

    page = fetch(server.url("/legacy"), allow_hosts=server.allow)

    assert page.text == text
    assert page.encoding == "cp1252"


def test_reads_the_charset_from_meta(server: LocalServer) -> None:
    text = '<html><head><meta charset="windows-1251"></head><body>Цена: 1 299 руб.</body></html>'
    server.page("/ru", text.encode("cp1251"), "text/html")

    assert "Цена" in fetch(server.url("/ru"), allow_hosts=server.allow).text


def test_the_header_charset_wins_over_meta(server: LocalServer) -> None:
    text = '<html><head><meta charset="windows-1251"></head><body>Zażółć</body></html>'
    server.page("/pl", text.encode("iso-8859-2"), "text/html; charset=ISO-8859-2")

    assert "Zażółć" in fetch(server.url("/pl"), allow_hosts=server.allow).text


def test_connects_to_the_address_it_vetted_and_never_asks_dns_again(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebinding resolver answers the allowed address first, then a different one.
    try:
        rebound = LocalServer("127.0.0.2", server.port)
    except OSError:
        pytest.skip("127.0.0.2 is not available here")
    server.page("/", HTML)
    real_getaddrinfo = socket.getaddrinfo
    lookups = []

    def rebinding(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host == "shop.test":
            lookups.append(host)
            target = "127.0.0.1" if len(lookups) == 1 else "127.0.0.2"
            return real_getaddrinfo(target, port, *args, **kwargs)
        return real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    try:
        page = fetch(f"http://shop.test:{server.port}/", allow_hosts=frozenset({f"shop.test:{server.port}"}))
    finally:
        rebound.close()

    assert "Chair" in page.text
    assert lookups == ["shop.test"]
    assert server.requests[0][1]["Host"] == f"shop.test:{server.port}"
    assert rebound.requests == []


def test_tls_uses_the_hostname_for_sni_and_certificate_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = self_signed_certificate(tmp_path, "shop.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_once() -> None:
        connection, _ = listener.accept()
        # The client rejects our self-signed certificate, as it should.
        with contextlib.suppress(ssl.SSLError, OSError):
            context.wrap_socket(connection, server_side=True).close()

    thread = threading.Thread(target=accept_once, daemon=True)
    thread.start()
    real_getaddrinfo = socket.getaddrinfo
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, *args, **kwargs: real_getaddrinfo(
            "127.0.0.1" if host == "shop.test" else host, *args, **kwargs
        ),
    )

    with pytest.raises(TlsError) as failed:
        fetch(f"https://shop.test:{port}/", allow_hosts=frozenset({f"shop.test:{port}"}), timeout=2)

    thread.join(2)
    listener.close()
    assert server_names == ["shop.test"]
    assert failed.value.transient is False


def test_leaves_a_given_session_as_it_was(server: LocalServer) -> None:
    server.page("/", HTML)
    session = requests.Session()
    adapters = dict(session.adapters)

    fetch(server.url("/"), allow_hosts=server.allow, session=session)

    assert session.adapters == adapters
    assert session.trust_env is True


def test_refuses_a_proxy_set_on_a_given_session(server: LocalServer) -> None:
    server.page("/", HTML)
    session = requests.Session()
    session.proxies = {"http": server.url("/")}

    with pytest.raises(FetchError):
        fetch(server.url("/"), allow_hosts=server.allow, session=session)
    assert server.requests == []
