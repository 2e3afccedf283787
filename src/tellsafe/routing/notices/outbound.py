"""Requests to a partner's server or a reported host, pinned to a public address.

A webhook URL or a reported URL names a host; its DNS can point anywhere, our own network
included. So the host is resolved here (``routing.resolve``, injectable for tests), every
address must be public (``routing.addresses.is_public_address``), and the request then
goes to that checked address, with the host name in ``Host`` and TLS's SNI (certificates
are still verified against the name). DNS cannot change between the check and the
connection. All of it through the one outbound client, ``core.http``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tellsafe.core import http
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.addresses import is_public_address
from tellsafe.routing.resolve import Resolver, default_resolver, resolve_host
from tellsafe.routing.urls_normalise import NormalisedUrl, normalise_url

_resolver: Resolver | None = None


def set_resolver(resolver: Resolver | None) -> None:
    """Answer DNS questions from ``resolver`` (tests, the bench); None restores DNS."""
    global _resolver
    _resolver = resolver


def resolver() -> Resolver:
    return _resolver if _resolver is not None else default_resolver()


class TargetRefused(Exception):
    """The URL cannot be contacted safely. ``code``: invalid_url, private_address,
    or the DNS outcome (nxdomain, no_answer, timeout, dns_error...)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Target:
    url: NormalisedUrl
    address: str  # the checked public address the request goes to

    @property
    def pinned_url(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        port = f":{self.url.port}" if self.url.port else ""
        query = f"?{self.url.query}" if self.url.query else ""
        return f"{self.url.scheme}://{host}{port}{self.url.path}{query}"

    @property
    def host_header(self) -> str:
        host = f"[{self.url.host}]" if self.url.kind == "ipv6" else self.url.host
        return f"{host}:{self.url.port}" if self.url.port else host


def parse_target_url(raw: str) -> NormalisedUrl:
    """The normalised URL; TargetRefused for a malformed or internal one."""
    try:
        return normalise_url(raw)
    except ApplicationError as exc:
        raise TargetRefused(exc.code) from exc


def target(raw: str) -> Target:
    """Resolve the URL's host and pick a public address; refuse when any address it
    resolves to is not public (a name that points inside as well as outside is not
    trusted either)."""
    url = parse_target_url(raw)
    if url.kind != "name":
        return Target(url, url.host)  # normalise_url already refused a private literal
    resolution = resolve_host(url.host, resolver())
    if resolution.outcome != "ok" or not resolution.addresses:
        raise TargetRefused(resolution.outcome if resolution.outcome != "ok" else "no_answer")
    if not all(is_public_address(address) for address in resolution.addresses):
        raise TargetRefused("private_address")
    return Target(url, resolution.addresses[0])


def request(
    method: str,
    raw_url: str,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> httpx.Response:
    """Send one request to the pinned address of ``raw_url``. Raises TargetRefused, or
    httpx's errors for network failures. Redirects are not followed."""
    checked = target(raw_url)
    extensions: dict[str, Any] = {}
    if checked.url.scheme == "https" and checked.url.kind == "name":
        extensions["sni_hostname"] = checked.url.host
    with http.client(timeout=timeout) as client:
        return client.request(
            method,
            checked.pinned_url,
            content=content,
            headers={**(headers or {}), "Host": checked.host_header},
            extensions=extensions,
        )
