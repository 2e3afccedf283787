"""The hosting trace of one URL: where it is hosted, by whom, and who to tell.

``trace_url`` normalises the URL, resolves its host (CNAME chain, A and AAAA) through an
injected resolver, refuses internal addresses, maps each public address to its country
and network with the offline database, detects CDNs, and finds the abuse contact. It
never fetches the content and never raises for a bad URL or a DNS failure: those are
outcomes of the ``TraceResult``.

Outcomes: ``ok`` (public addresses found), ``nxdomain``, ``no_answer``, ``timeout``,
``dns_error``, ``cname_loop``, ``cname_too_long``, ``refused_private`` (the URL or every
address it resolves to is internal) and ``invalid`` (not a traceable URL).
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from tellsafe.core.errors import ApplicationError
from tellsafe.routing import cdn as cdn_data
from tellsafe.routing.addresses import is_public_address
from tellsafe.routing.contacts import AbuseContact, AbuseContactLookup, AbuseQuery, find_contact
from tellsafe.routing.ipdb import IpDatabase, IpInfo, default_database
from tellsafe.routing.resolve import Resolution, Resolver, resolve_host
from tellsafe.routing.urls_normalise import parse_url, refuse_internal

OUTCOMES = (
    "ok",
    "nxdomain",
    "no_answer",
    "timeout",
    "dns_error",
    "cname_loop",
    "cname_too_long",
    "refused_private",
    "invalid",
)


@dataclass(frozen=True)
class AddressInfo:
    """One public address of the host, with what the offline database says of it."""

    ip: str
    version: int
    country: str
    country_source: str
    registry_country: str
    asn: int | None
    org: str
    network: str
    cdn: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "ip": self.ip,
            "version": self.version,
            "country": self.country,
            "country_source": self.country_source,
            "registry_country": self.registry_country,
            "asn": self.asn,
            "org": self.org,
            "network": self.network,
            "cdn": self.cdn,
        }


@dataclass(frozen=True)
class TraceResult:
    """The trace of one URL at ``traced_at``. ``url`` is the normalised URL, without
    userinfo ("" when the input was not a URL). ``hosting_country`` is the addresses'
    country when they agree, a tuple of countries when they do not, None when unknown.
    ``error`` and ``message`` explain an ``invalid`` or ``refused_private`` outcome."""

    url: str
    host: str
    outcome: str
    cname_chain: tuple[str, ...]
    addresses: tuple[AddressInfo, ...]
    refused_addresses: tuple[str, ...]
    behind_cdn: bool
    cdn: str
    cdn_name: str
    hosting_country: str | tuple[str, ...] | None
    abuse_contact: AbuseContact | None
    traced_at: datetime
    error: str = ""
    message: str = ""
    ipdb_version: str = ""

    @property
    def asns(self) -> tuple[int, ...]:
        """The origin ASNs of the addresses, most common first."""
        return _by_count(a.asn for a in self.addresses if a.asn is not None)

    @property
    def countries(self) -> tuple[str, ...]:
        return _by_count(a.country for a in self.addresses if a.country)

    @property
    def asn(self) -> int | None:
        """The ASN when every address with one agrees, else None."""
        asns = self.asns
        return asns[0] if len(asns) == 1 else None

    @property
    def org(self) -> str:
        if self.asn is None:
            return ""
        return next((a.org for a in self.addresses if a.asn == self.asn and a.org), "")

    def to_dict(self, *, include_url: bool = True) -> dict[str, Any]:
        """A JSON-serialisable dict. ``include_url=False`` leaves the URL out: stored
        traces keep only the host, because a URL's path can name a child."""
        data: dict[str, Any] = {
            "host": self.host,
            "outcome": self.outcome,
            "cname_chain": list(self.cname_chain),
            "addresses": [a.as_dict() for a in self.addresses],
            "refused_addresses": list(self.refused_addresses),
            "behind_cdn": self.behind_cdn,
            "cdn": self.cdn,
            "cdn_name": self.cdn_name,
            "hosting_country": (
                list(self.hosting_country)
                if isinstance(self.hosting_country, tuple)
                else self.hosting_country
            ),
            "asns": list(self.asns),
            "abuse_contact": self.abuse_contact.as_dict() if self.abuse_contact else None,
            "traced_at": self.traced_at.isoformat(),
            "ipdb_version": self.ipdb_version,
        }
        if self.error:
            data["error"] = self.error
            data["message"] = self.message
        return {"url": self.url, **data} if include_url else data


def _by_count(values: Any) -> tuple[Any, ...]:
    counted = Counter(values)  # insertion-ordered: ties keep their first appearance
    return tuple(value for value, _count in counted.most_common())


def _address_info(ip: str, info: IpInfo, catalogue: cdn_data.Catalogue) -> AddressInfo:
    return AddressInfo(
        ip=ip,
        version=ipaddress.ip_address(ip).version,
        country=info.country,
        country_source=info.country_source,
        registry_country=info.registry_country,
        asn=info.asn,
        org=info.org,
        network=info.network,
        cdn=catalogue.for_asn(info.asn),
    )


def _hosting_country(addresses: tuple[AddressInfo, ...]) -> str | tuple[str, ...] | None:
    countries = _by_count(a.country for a in addresses if a.country)
    if not countries:
        return None
    return countries[0] if len(countries) == 1 else tuple(sorted(countries))


def _stopped(
    *, url: str, host: str, outcome: str, error: ApplicationError, now: datetime
) -> TraceResult:
    return TraceResult(
        url=url,
        host=host,
        outcome=outcome,
        cname_chain=(),
        addresses=(),
        refused_addresses=(),
        behind_cdn=False,
        cdn="",
        cdn_name="",
        hosting_country=None,
        abuse_contact=None,
        traced_at=now,
        error=error.code,
        message=error.message,
    )


def trace_url(
    raw: object,
    *,
    resolver: Resolver,
    ip_database: IpDatabase | None = None,
    abuse_contact_lookup: AbuseContactLookup | None = None,
    catalogue: cdn_data.Catalogue | None = None,
    now: datetime | None = None,
) -> TraceResult:
    """Trace one URL (see the module docstring). Only an injected collaborator that
    fails (the IP database missing, a lookup raising) raises."""
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("traced_at must be an aware datetime")
    try:
        parsed = parse_url(raw)
    except ApplicationError as exc:
        return _stopped(url="", host="", outcome="invalid", error=exc, now=now)
    try:
        refuse_internal(parsed)
    except ApplicationError as exc:
        outcome = "refused_private" if exc.code == "private_address" else "invalid"
        return _stopped(url=parsed.url, host=parsed.host, outcome=outcome, error=exc, now=now)

    if parsed.kind == "name":
        resolution = resolve_host(parsed.host, resolver)
    else:
        resolution = Resolution("ok", (), (parsed.host,))
    public = tuple(ip for ip in resolution.addresses if is_public_address(ip))
    refused = tuple(ip for ip in resolution.addresses if ip not in public)
    outcome = resolution.outcome
    if outcome == "ok" and not public:
        outcome = "refused_private"

    database = ip_database or default_database()
    catalogue = catalogue or cdn_data.catalogue()
    looked_up = [(ip, database.lookup(ip)) for ip in public]
    addresses = tuple(_address_info(ip, info, catalogue) for ip, info in looked_up)
    names = (parsed.host, *resolution.cname_chain) if parsed.kind == "name" else ()
    cdn = catalogue.detect(cname_chain=names, asns=(a.asn for a in addresses))
    query = AbuseQuery(
        host=parsed.host,
        cname_chain=resolution.cname_chain,
        asns=_by_count(a.asn for a in addresses if a.asn is not None),
        countries=_by_count(a.country for a in addresses if a.country),
        cdn=cdn,
        registry_mailboxes=_mailboxes(looked_up),
    )
    contact = None if outcome == "refused_private" else find_contact(query, abuse_contact_lookup)
    return TraceResult(
        url=parsed.url,
        host=parsed.host,
        outcome=outcome,
        cname_chain=resolution.cname_chain,
        addresses=addresses,
        refused_addresses=refused,
        behind_cdn=bool(cdn),
        cdn=cdn,
        cdn_name=catalogue.name(cdn),
        hosting_country=_hosting_country(addresses),
        abuse_contact=contact,
        traced_at=now,
        ipdb_version=str(getattr(database, "version", "")),
    )


def _mailboxes(looked_up: list[tuple[str, IpInfo]]) -> tuple[tuple[int | None, str, str], ...]:
    """(asn, org, abuse mailbox) per network with a mailbox, most common network first."""
    counts = Counter(info.asn for _ip, info in looked_up)
    found: dict[int | None, tuple[int | None, str, str]] = {}
    for _ip, info in sorted(looked_up, key=lambda pair: -counts[pair[1].asn]):
        if info.abuse_email and info.asn not in found:
            found[info.asn] = (info.asn, info.org, info.abuse_email)
    return tuple(found.values())


__all__ = ["OUTCOMES", "AddressInfo", "TraceResult", "trace_url"]
