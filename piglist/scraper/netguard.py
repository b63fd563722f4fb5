"""Connecting only to public addresses: resolve once, vet every address, connect to a vetted one.

The check sits where urllib3 opens its socket, so no request can reach a connection that skipped
it, and the socket goes to the very address that was checked: a second DNS answer (rebinding)
never gets a say. TLS (SNI, certificate) and the Host header still use the hostname, because
only the socket's destination changes.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from functools import partial
from typing import Any, cast

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.connection import create_connection

from .errors import BlockedAddress, ConnectionFailed, FetchError, FetchTimeout, HostNotFound

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix: an IPv4 address inside

# Never a shop: every block of IANA's IPv4 and IPv6 Special-Purpose Address Registries
# (including the few marked globally reachable: anycast relays and AS112 sinks), multicast,
# and retired blocks that ``ipaddress`` still calls global. NAT64's well-known prefix (what an
# IPv6-only host's DNS64 hands out for every IPv4 site) is decided by the IPv4 address inside.
DENIED_NETWORKS = tuple(
    ipaddress.ip_network(block)
    for block in (
        # IPv4 special-purpose registry
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "255.255.255.255/32",
        # IPv4 multicast
        "224.0.0.0/4",
        # IPv6 special-purpose registry (64:ff9b::/96: see above)
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "64:ff9b:1::/48",
        "100::/64",
        "100:0:0:1::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "2620:4f:8000::/48",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        # IPv6 retired and multicast: IPv4-compatible, site-local (RFC 3879), multicast
        "::/96",
        "fec0::/10",
        "ff00::/8",
    )
)


def is_public(address: IPAddress) -> bool:
    """Whether an address is reachable on the public internet and nothing else: ``is_global``
    and outside every denied block; a NAT64 address is judged by the IPv4 address inside."""
    if isinstance(address, ipaddress.IPv6Address) and address in _NAT64:
        return is_public(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return address.is_global and not any(address in network for network in DENIED_NETWORKS)


def host_key(host: str, port: int) -> str:
    """The "host:port" form SCRAPER_ALLOW_HOSTS uses, with IPv6 literals in brackets."""
    host = host.lower().rstrip(".")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Guard:
    """One fetch's connection policy: public addresses only (bar ``allow_hosts``), and a deadline
    after which every socket it opened is shut down, however slowly the server is dripping."""

    def __init__(self, allow_hosts: frozenset[str], deadline: float) -> None:
        self.allow_hosts = allow_hosts
        self.deadline = deadline
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._expire)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        self._timer.cancel()

    def open_socket(self, host: str, port: int, timeout: Any, options: Any) -> socket.socket:
        addresses = self._vetted_addresses(host, port)
        failure: OSError | None = None
        for address in addresses:
            try:
                sock = create_connection((str(address), port), timeout, socket_options=options)
            except TimeoutError as error:
                raise FetchTimeout() from error
            except OSError as error:
                failure = error
                continue
            self._watch(sock)
            return sock
        raise ConnectionFailed() from failure

    def _vetted_addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as error:
            transient = error.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", None))
            raise HostNotFound(transient=transient) from error
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos))
        if host_key(host, port) in self.allow_hosts:
            return addresses
        # Refuse if any answer is private: connecting to "the public one" would let a hostile
        # DNS server steer retries to the internal address.
        if not addresses or not all(is_public(address) for address in addresses):
            raise BlockedAddress()
        return addresses

    def _watch(self, sock: socket.socket) -> None:
        with self._lock:
            if self.expired:
                sock.close()
                raise FetchTimeout()
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                # shutdown, unlike close, wakes a thread blocked reading the socket.
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class _GuardedConnectionMixin:
    # Set by urllib3's HTTPConnection, which every class using this mixin also derives from.
    _dns_host: str
    port: int
    timeout: float | None
    socket_options: Any

    def __init__(self, *args: Any, guard: Guard, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = guard

    def _new_conn(self) -> socket.socket:
        # _dns_host is the bare hostname urllib3 would otherwise resolve itself.
        return self._guard.open_socket(self._dns_host, self.port, self.timeout, self.socket_options)


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose every connection goes through ``guard``."""

    def __init__(self, guard: Guard) -> None:
        self._guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        # Pools pass unknown keyword arguments on to their connections: that carries the guard.
        # urllib3 only calls what this maps to, so a partial serves as a pool class.
        self.poolmanager.pool_classes_by_scheme = {
            "http": cast(type, partial(_GuardedHTTPPool, guard=self._guard)),
            "https": cast(type, partial(_GuardedHTTPSPool, guard=self._guard)),
        }

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        # A proxy (set on a caller's session) would connect on our behalf, past the guard.
        raise FetchError()
