"""Resolving a reported host: its CNAME chain and its IPv4 and IPv6 addresses.

The trace asks a ``Resolver`` (a small protocol) for A and AAAA records. In production
that is ``DnsResolver`` (dnspython, with the nameservers and timeout of the settings
``TRACE_NAMESERVERS`` and ``TRACE_TIMEOUT_SECONDS``). Tests and the bench inject a
``RecordedResolver`` that answers from recorded data and never touches the network.

NXDOMAIN, an empty answer, a timeout or a failing server are answers, not exceptions:
each becomes the outcome of the trace. A CNAME chain is recorded hop by hop; a loop, or a
chain longer than ``MAX_CNAME_CHAIN``, stops the resolution with its own outcome.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.addresses import parse_address

MAX_CNAME_CHAIN = 10
MAX_ADDRESSES = 32
DEFAULT_TIMEOUT_SECONDS = 3.0
RECORD_TYPES = ("A", "AAAA")


@dataclass(frozen=True)
class DnsAnswer:
    """What one query returned. ``status`` is one of ok, nxdomain, no_answer, timeout,
    error, chain_too_long; ``cnames`` are the (owner, target) hops followed to reach the
    answer, in order, and may be given with any status."""

    status: str
    cnames: tuple[tuple[str, str], ...] = ()
    addresses: tuple[str, ...] = ()


class Resolver(Protocol):
    """Answers one question. Never raises for DNS conditions: they are statuses."""

    def query(self, name: str, rdtype: str) -> DnsAnswer: ...


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving a host: ok, nxdomain, no_answer, timeout, dns_error,
    cname_loop or cname_too_long. ``cname_chain`` holds the names after the host, in the
    order they were followed; ``addresses`` every address found, public or not."""

    outcome: str
    cname_chain: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()


def _name(value: Any) -> str:
    return str(value).rstrip(".").lower()


def _addresses(values: Sequence[str], rdtype: str) -> list[str]:
    """Canonical text of the addresses that are of the asked family; junk is dropped."""
    wanted = ipaddress.IPv4Address if rdtype == "A" else ipaddress.IPv6Address
    found = []
    for value in values:
        address = parse_address(value)
        if isinstance(address, wanted):
            found.append(str(address))
    return found


def _no_address_outcome(statuses: set[str]) -> str:
    for status, outcome in (
        ("chain_too_long", "cname_too_long"),
        ("nxdomain", "nxdomain"),
        ("timeout", "timeout"),
        ("error", "dns_error"),
    ):
        if status in statuses:
            return outcome
    return "no_answer"


def resolve_host(host: str, resolver: Resolver, *, max_chain: int = MAX_CNAME_CHAIN) -> Resolution:
    """Resolve ``host`` (a normalised name) to its CNAME chain and addresses.

    A recursive resolver follows CNAMEs itself and returns the whole chain; one that
    stops early (or an authoritative answer) returns only the first hop, and the chain is
    followed here. Either way a name seen twice is a loop, and more than ``max_chain``
    hops end the resolution."""
    chain: list[str] = []
    seen = {_name(host)}
    name = _name(host)
    while True:
        answers = {rdtype: resolver.query(name, rdtype) for rdtype in RECORD_TYPES}
        hops = answers["A"].cnames or answers["AAAA"].cnames
        for _owner, target in hops:
            target = _name(target)
            chain.append(target)
            if target in seen:
                return Resolution("cname_loop", tuple(chain))
            if len(chain) > max_chain:
                return Resolution("cname_too_long", tuple(chain))
            seen.add(target)
        found: list[str] = []
        for rdtype, answer in answers.items():
            found.extend(a for a in _addresses(answer.addresses, rdtype) if a not in found)
        if found:
            return Resolution("ok", tuple(chain), tuple(found[:MAX_ADDRESSES]))
        statuses = {answer.status for answer in answers.values()}
        if hops and statuses <= {"ok", "no_answer"}:
            name = chain[-1]  # the resolver stopped at a CNAME: follow it
            continue
        return Resolution(_no_address_outcome(statuses), tuple(chain))


# -- dnspython ---------------------------------------------------------------------------


def _setting_nameservers() -> list[str]:
    value = getattr(settings, "TRACE_NAMESERVERS", None) or []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def _setting_timeout() -> float:
    value = getattr(settings, "TRACE_TIMEOUT_SECONDS", None)
    return DEFAULT_TIMEOUT_SECONDS if value in (None, "") else value


class DnsResolver:
    """A stub resolver (dnspython) asking recursive nameservers: the given ones, else
    those of the system (``/etc/resolv.conf``). Search domains are never applied."""

    def __init__(self, *, nameservers: Sequence[str] = (), timeout: float | None = None):
        import dns.resolver

        seconds = DEFAULT_TIMEOUT_SECONDS if timeout is None else timeout
        try:
            seconds = float(seconds)
        except (TypeError, ValueError):
            seconds = -1.0
        if not 0 < seconds <= 60:
            message = _("The DNS timeout must be more than 0 and at most 60 seconds.")
            raise ApplicationError("invalid_setting", message, {"timeout": [message]})
        servers = [str(parse_address(server) or "") for server in nameservers]
        if not all(servers):
            message = _("Each nameserver must be an IP address.")
            raise ApplicationError("invalid_setting", message, {"nameservers": [message]})
        try:
            resolver = dns.resolver.Resolver(configure=not servers)
        except dns.resolver.NoResolverConfiguration as exc:
            message = _("No DNS nameserver is configured on this machine.")
            raise ApplicationError("dns_unavailable", message, status=503) from exc
        if servers:
            resolver.nameservers = servers
        resolver.lifetime = seconds
        resolver.timeout = seconds
        resolver.cache = dns.resolver.LRUCache(4096)
        self._resolver = resolver

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        import dns.exception
        import dns.message
        import dns.name
        import dns.resolver

        try:
            qname = dns.name.from_text(name)
            answer = self._resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            return DnsAnswer("nxdomain", _nxdomain_chain(exc))
        except dns.exception.Timeout:
            return DnsAnswer("timeout")
        except dns.message.ChainTooLong:
            return DnsAnswer("chain_too_long")
        except (dns.exception.DNSException, OSError, ValueError):
            return DnsAnswer("error")
        cnames = tuple(
            (_name(rrset.name), _name(rdata.target))
            for rrset in answer.chaining_result.cnames
            for rdata in list(rrset)[:1]
        )
        found = tuple(rdata.address for rdata in answer.rrset) if answer.rrset else ()
        return DnsAnswer("ok" if found else "no_answer", cnames, found)


def _nxdomain_chain(exc: Any) -> tuple[tuple[str, str], ...]:
    """The CNAME hops that led to a name that does not exist (a dangling CNAME)."""
    try:
        for response in exc.responses().values():
            chaining = response.resolve_chaining()
            return tuple(
                (_name(rrset.name), _name(rdata.target))
                for rrset in chaining.cnames
                for rdata in list(rrset)[:1]
            )
    except Exception:  # noqa: S110 - a malformed response only loses the chain
        pass
    return ()


def default_resolver(
    *, nameservers: Sequence[str] | None = None, timeout: float | None = None
) -> Resolver:
    """The production resolver, configured from the arguments, else the settings
    ``TRACE_NAMESERVERS`` (a list or comma-separated text; empty: the system's) and
    ``TRACE_TIMEOUT_SECONDS`` (default 3). With ``TRACE_RECORDED_ANSWERS_FILE`` (a JSON
    object in ``RecordedResolver``'s format), names recorded there are answered from it
    and every other name from DNS: the demo hosts of ``make run`` trace offline."""
    dns = DnsResolver(
        nameservers=_setting_nameservers() if nameservers is None else nameservers,
        timeout=_setting_timeout() if timeout is None else timeout,
    )
    path = getattr(settings, "TRACE_RECORDED_ANSWERS_FILE", "") or ""
    if not path:
        return dns
    try:
        records = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError):
        return dns  # a missing or broken demo file must not stop real traces
    if not isinstance(records, dict):
        return dns
    return LayeredResolver(RecordedResolver(records), dns)


@dataclass
class LayeredResolver:
    """Recorded answers first (for the names they hold), then a real resolver."""

    recorded: RecordedResolver
    fallback: Resolver

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        if _name(name) in self.recorded.records:
            return self.recorded.query(name, rdtype)
        return self.fallback.query(name, rdtype)


# -- recorded answers --------------------------------------------------------------------


@dataclass
class RecordedResolver:
    """Answers from recorded data, for tests, the bench and replaying a past trace.

    ``records`` maps a name to a status (``"nxdomain"``, ``"timeout"``, ``"error"``,
    ``"no_answer"``) or to a dict with ``"CNAME"`` (a target name) or ``"A"`` and
    ``"AAAA"`` (lists of addresses). A name that is not recorded does not exist. Like a
    recursive resolver it follows CNAMEs and returns the chain; it answers ``error``
    (as a server's SERVFAIL) after a loop or 16 hops. With ``follow_cnames=False`` it
    returns one hop at a time, as an authoritative server would. ``queries`` lists what
    was asked."""

    records: Mapping[str, Any]
    follow_cnames: bool = True
    queries: list[tuple[str, str]] = field(default_factory=list)

    def query(self, name: str, rdtype: str) -> DnsAnswer:
        self.queries.append((name, rdtype))
        hops: list[tuple[str, str]] = []
        current = _name(name)
        visited = {current}
        while True:
            record = self.records.get(current, "nxdomain")
            if isinstance(record, str):
                return DnsAnswer(record, tuple(hops))
            target = record.get("CNAME")
            if target is None:
                found = tuple(record.get(rdtype, ()))
                return DnsAnswer("ok" if found else "no_answer", tuple(hops), found)
            hops.append((current, _name(target)))
            if not self.follow_cnames:
                return DnsAnswer("ok", tuple(hops))
            current = _name(target)
            if current in visited or len(hops) >= 16:
                return DnsAnswer("error", tuple(hops))
            visited.add(current)


__all__ = [
    "MAX_CNAME_CHAIN",
    "DnsAnswer",
    "DnsResolver",
    "LayeredResolver",
    "RecordedResolver",
    "Resolution",
    "Resolver",
    "default_resolver",
    "resolve_host",
]
