"""Which IP addresses a trace may use: public unicast addresses only.

A reported URL, or the DNS answer for its host, can point at a private, loopback or
otherwise internal address. Such an address says nothing about where content is hosted,
and anything that later contacts it (a checker sending HEAD requests) could reach our own
network. So every address is checked here, by our own tables of the IANA special-purpose
registries, not by ``ipaddress.is_global``, whose answers changed between Python patch
releases.

The rule is strict on purpose: IPv6 must be global unicast (2000::/3) outside the special
blocks, so IPv4-mapped, IPv4-compatible, NAT64 and the like are refused whatever IPv4
address they carry; 6to4 is public only when the IPv4 address it embeds is public.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv4 blocks that are not globally reachable unicast (RFC 6890 and its updates).
_V4_SPECIAL = tuple(
    ipaddress.IPv4Network(block)
    for block in (
        "0.0.0.0/8",  # "this network", unspecified
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the limited broadcast address
    )
)

_V6_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_V6_6TO4 = ipaddress.IPv6Network("2002::/16")
# Blocks inside 2000::/3 that are not globally reachable unicast.
_V6_SPECIAL = tuple(
    ipaddress.IPv6Network(block)
    for block in (
        "2001::/23",  # IETF protocol assignments (Teredo, benchmarking, ORCHID...)
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation (RFC 9637)
    )
)


def parse_address(value: object) -> IPAddress | None:
    """An IP address object from a string or address object, or None if it is not one.
    Zone identifiers (``fe80::1%eth0``) are refused: they only name local links."""
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if not isinstance(value, str) or "%" in value or len(value) > 64:
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _public_v4(address: ipaddress.IPv4Address) -> bool:
    return not any(address in block for block in _V4_SPECIAL)


def _public_v6(address: ipaddress.IPv6Address) -> bool:
    if address not in _V6_GLOBAL_UNICAST:
        return False  # loopback, unspecified, mapped, NAT64, ULA, link-local, multicast
    if any(address in block for block in _V6_SPECIAL):
        return False
    if address in _V6_6TO4:
        embedded = address.sixtofour
        return embedded is not None and _public_v4(embedded)
    return True


@lru_cache(maxsize=4096)
def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv4Address):
        return _public_v4(address)
    return _public_v6(address)


def is_public_address(value: object) -> bool:
    """True only for a public unicast IPv4 or IPv6 address (a string or an ``ipaddress``
    object). Anything else, unparsable text included, is False: callers that may contact
    an address (a HEAD checker, say) must refuse it."""
    address = parse_address(value)
    return address is not None and _is_public(address)


__all__ = ["IPAddress", "is_public_address", "parse_address"]
