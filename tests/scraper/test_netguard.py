from __future__ import annotations

import ipaddress

import pytest

from piglist.scraper.fetch import BlockedAddress, fetch
from piglist.scraper.netguard import host_key, is_public


@pytest.mark.parametrize(
    "address",
    ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "2a00:1450:4001:80b::200e", "64:ff9b::808:808"],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.1",
        "172.16.5.4",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456:789a::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 wrapping 169.254.169.254
        "64:ff9b::7f00:1",  # NAT64 wrapping 127.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo wrapping 127.0.0.1
        "2001:db8::1",  # documentation
    ],
)
def test_internal_and_special_addresses_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_host_key_matches_the_allow_list_format() -> None:
    assert host_key("LocalHost.", 8000) == "localhost:8000"
    assert host_key("::1", 8000) == "[::1]:8000"


# IANA IPv4 Special-Purpose Address Registry, every entry (iana.org/assignments/iana-ipv4-special-registry).
IANA_IPV4_SPECIAL = [
    "0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32",
    "192.0.0.170/32", "192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
    "192.88.99.0/24", "192.88.99.2/32", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
]  # fmt: skip
# IANA IPv6 Special-Purpose Address Registry, every entry (iana.org/assignments/iana-ipv6-special-registry),
# then the retired site-local block, IPv4-compatible addresses and multicast.
IANA_IPV6_SPECIAL = [
    "::1/128", "::/128", "::ffff:0:0/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
    "2001::/23", "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48",
    "2001:3::/32", "2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28", "2001:db8::/32",
    "2002::/16", "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
    "fec0::/10", "::/96", "ff00::/8", "224.0.0.0/4",
]  # fmt: skip


def sample(block: str) -> list[str]:
    """First, middle and last address of a block."""
    network = ipaddress.ip_network(block)
    middle = network.network_address + network.num_addresses // 2
    return [str(network.network_address), str(middle), str(network.broadcast_address)]


SPECIAL_ADDRESSES = sorted(
    {address for block in IANA_IPV4_SPECIAL + IANA_IPV6_SPECIAL for address in sample(block)}
)


@pytest.mark.parametrize("address", SPECIAL_ADDRESSES)
def test_every_special_purpose_range_is_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", SPECIAL_ADDRESSES)
def test_the_pinning_fetcher_never_connects_to_a_special_purpose_address(address: str, canary) -> None:
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(BlockedAddress):
        fetch(f"http://{host}:{canary.port}/", timeout=1)
    assert canary.requests == []


@pytest.mark.parametrize("address", ["64:ff9b::c058:6301", "64:ff9b::a00:1", "::ffff:8.8.8.8"])
def test_nat64_of_a_refused_ipv4_address_and_every_ipv4_mapped_address_are_refused(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))
