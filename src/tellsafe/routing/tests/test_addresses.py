"""``is_public_address``: every class of internal address is refused."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tellsafe.routing.addresses import is_public_address, parse_address

REFUSED = {
    "unspecified v4": "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
    "this network": "0.1.2.3",
    "private 10/8": "10.20.30.40",
    "private 172.16/12": "172.31.255.1",
    "private 192.168/16": "192.168.1.1",
    "CGNAT 100.64/10": "100.64.0.1",
    "CGNAT top": "100.127.255.254",
    "loopback": "127.0.0.1",
    "loopback other": "127.255.0.9",
    "link-local v4": "169.254.169.254",
    "IETF protocol assignments": "192.0.0.8",
    "documentation 1": "192.0.2.10",
    "documentation 2": "198.51.100.7",
    "documentation 3": "203.0.113.99",
    "6to4 relay anycast": "192.88.99.1",
    "benchmarking": "198.18.0.1",
    "multicast v4": "224.0.0.1",
    "multicast v4 top": "239.255.255.250",
    "reserved v4": "240.0.0.1",
    "broadcast": "255.255.255.255",
    "unspecified v6": "::",
    "loopback v6": "::1",
    "IPv4-mapped private": "::ffff:10.0.0.1",
    "IPv4-mapped loopback": "::ffff:127.0.0.1",
    "IPv4-mapped public": "::ffff:8.8.8.8",
    "IPv4-compatible": "::127.0.0.1",
    "IPv4-translated": "::ffff:0:a00:1",
    "NAT64 well-known": "64:ff9b::a00:1",
    "NAT64 local-use": "64:ff9b:1::1",
    "discard-only": "100::1",
    "Teredo": "2001::1",
    "benchmarking v6": "2001:2::1",
    "ORCHIDv2": "2001:20::1",
    "documentation v6": "2001:db8::1",
    "documentation v6 new": "3fff::1",
    "6to4 of private": "2002:a00:1::1",
    "6to4 of loopback": "2002:7f00:1::1",
    "unique local": "fd12:3456:789a::1",
    "unique local fc": "fc00::1",
    "link-local v6": "fe80::1",
    "site-local v6": "fec0::1",
    "multicast v6": "ff02::1",
    "SRv6 SIDs": "5f00::1",
}

PUBLIC = [
    "1.1.1.1",
    "8.8.8.8",
    "5.9.0.1",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.32.0.1",  # just above 172.16/12
    "223.255.255.254",
    "2606:4700::1111",
    "2a01:4f8::1",
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]


@pytest.mark.parametrize("address", REFUSED.values(), ids=REFUSED.keys())
def test_internal_addresses_are_refused(address):
    assert is_public_address(address) is False
    assert is_public_address(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_accepted(address):
    assert is_public_address(address) is True


@pytest.mark.parametrize(
    "value", ["", "localhost", "1.2.3", "999.1.1.1", "fe80::1%eth0", None, 17, b"1.1.1.1"]
)
def test_anything_that_is_not_an_address_is_refused(value):
    assert is_public_address(value) is False


def test_zone_ids_are_not_parsed():
    assert parse_address("fe80::1%eth0") is None
    assert parse_address(" 8.8.8.8 ") == ipaddress.IPv4Address("8.8.8.8")


@given(st.ip_addresses())
def test_never_public_where_python_says_private(address):
    # Our tables are stricter than ``ipaddress``: whatever it calls private, loopback,
    # link-local, multicast, reserved or unspecified, we refuse too.
    flags = (
        address.is_private,
        address.is_loopback,
        address.is_link_local,
        address.is_multicast,
        address.is_reserved,
        address.is_unspecified,
    )
    if any(flags):
        assert not is_public_address(address)
