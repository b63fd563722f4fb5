"""Fixtures for the scraper tests: loopback servers, and a guard against leaving loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from piglist.scraper import netguard

from .servers import LocalServer


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    yield local
    local.close()


@pytest.fixture
def canary() -> Iterator[LocalServer]:
    """A server that must never be reached: every refused fetch points at it."""
    local = LocalServer()
    yield local
    local.close()


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Safety net: even if the guard regressed, no test may open a socket off this machine."""
    real = netguard.create_connection

    def checked(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        host = address[0]
        assert host.startswith("127.") or host == "::1", f"test tried to connect to {host}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(netguard, "create_connection", checked)


@pytest.fixture(scope="session")
def price_strings() -> list[dict]:
    """scrapinghub/price-parser's examples, kept in the repository (data/README.md)."""
    path = Path(__file__).parent / "data" / "price-strings.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
