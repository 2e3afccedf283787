"""IP address to country and network (ASN, operator, abuse mailbox), offline.

The data ships in Python packages (docs/adr/0018-hosting-trace.md): ``plevin`` reads
memory-mapped files from ``plevin-db-network`` (announced prefix, origin ASN, operator,
the registry's abuse mailbox, the country the registry lists) and ``plevin-db-country``
(where the address is located). No lookup leaves the machine: plevin's optional DNS
lookups are never asked for.

The files are opened once per process (``default_database``) and shared by its threads.
An operator can point ``TRACE_IPDB_NETWORK_FILE`` and ``TRACE_IPDB_COUNTRY_FILE`` at newer
files without upgrading the packages, and ``TRACE_GEOLOCATION = False`` leaves the
country file out (registry countries only).
"""

from __future__ import annotations

import ipaddress
import re
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from django.conf import settings
from django.utils.translation import gettext as _

from tellsafe.core.errors import ApplicationError

_COUNTRY = re.compile(r"[A-Z]{2}")
_MAILBOX = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,63}")
_ORG_LENGTH = 255


@dataclass(frozen=True)
class IpInfo:
    """What the offline database knows of one address; empty where it knows nothing.

    ``country`` is where the address is located (ISO 3166 alpha-2), falling back to the
    country the registry lists for the block (``registry_country``) when the location is
    unknown; ``country_source`` says which ("geo", "registry" or "")."""

    country: str = ""
    country_source: str = ""
    registry_country: str = ""
    asn: int | None = None
    org: str = ""
    network: str = ""
    abuse_email: str = ""
    category: str = ""


class IpDatabase(Protocol):
    """An offline IP database. ``version`` names the data, to be kept with each trace."""

    version: str

    def lookup(self, ip: str) -> IpInfo: ...


def _country(value: Any) -> str:
    text = str(value or "").upper()
    return text if _COUNTRY.fullmatch(text) else ""


def _mailbox(value: Any) -> str:
    text = str(value or "").strip()
    return text.lower() if _MAILBOX.fullmatch(text) else ""


def _asn(value: Any) -> int | None:
    return value if isinstance(value, int) and 0 < value < 2**32 else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class PlevinDatabase:
    """The plevin network and country files. Lookups are serialised by a lock: plevin
    decodes its compressed blocks lazily into shared caches."""

    def __init__(
        self,
        *,
        network_path: str | None = None,
        country_path: str | None = None,
        geolocation: bool = True,
    ):
        """``geolocation=False`` leaves the country file out: every address then gets
        the country its registry lists (for deployers who do not take the GeoLite2
        terms of that file; see the ADR)."""
        try:
            import plevin

            if network_path is None:
                import plevin_db_network

                network_path = str(plevin_db_network.PATH)
            if geolocation and country_path is None:
                import plevin_db_country

                country_path = str(plevin_db_country.PATH)
            self._network = plevin.Plevin(network_path)
            self._country = plevin.Plevin(country_path) if geolocation else None
        except (ImportError, OSError, ValueError, LookupError) as exc:
            message = _("The offline IP database is not installed or cannot be read.")
            raise ApplicationError("ipdb_unavailable", message, status=503) from exc
        self._parse = plevin.address.parse
        self._lock = threading.Lock()
        located = f"country {self._country.built}" if self._country else "no geolocation"
        self.version = f"plevin network {self._network.built}, {located}"

    def lookup(self, ip: str) -> IpInfo:
        number, wide = self._parse(ip)
        with self._lock:
            network = self._row(self._network.file, number, wide).get("network")
            # Copied under the lock: plevin writes the per-prefix fields (prefix,
            # registry country...) into the network's shared row (see _row).
            network = dict(_dict(network))
            row = self._row(self._country.file, number, wide) if self._country else {}
            place = _dict(row.get("place"))
        located = _country(_dict(place.get("city")).get("country"))
        operator = _dict(network.get("operator"))
        registry = _country(network.get("country"))
        org = operator.get("company") or network.get("handle") or ""
        try:
            prefix = network.get("prefix") or 0
            block = str(ipaddress.ip_network((ip, prefix), strict=False)) if prefix else ""
        except (TypeError, ValueError):
            block = ""
        return IpInfo(
            country=located or registry,
            country_source="geo" if located else ("registry" if registry else ""),
            registry_country=registry,
            asn=_asn(network.get("asn")),
            org=str(org)[:_ORG_LENGTH],
            network=block,
            abuse_email=_mailbox(operator.get("abuse_email")),
            category=str(operator.get("category") or ""),
        )

    @staticmethod
    def _row(file: Any, number: int, wide: bool) -> dict[str, Any]:
        """The raw row of an address (plevin's documented model-free read, a third of
        the cost of ``Plevin.lookup``, which also spells every IPv6 form of the address).

        plevin 0.2.3 keeps one dict per network and writes each answer's per-prefix
        fields into it, so a cached answer can carry the prefix of another address of
        the same network. Building the answer afresh writes this address's fields;
        plevin's own ``lookup`` has the same flaw once its caches churn."""
        found = file.locate(number, wide)
        if found is None:
            return {}
        file.answers.pop(found, None)
        return _dict(file.answers[found])


@cache
def default_database() -> IpDatabase:
    """The process's database, opened on first use (about 50 ms; memory-mapped)."""
    return PlevinDatabase(
        network_path=getattr(settings, "TRACE_IPDB_NETWORK_FILE", None) or None,
        country_path=getattr(settings, "TRACE_IPDB_COUNTRY_FILE", None) or None,
        geolocation=bool(getattr(settings, "TRACE_GEOLOCATION", True)),
    )


__all__ = ["IpDatabase", "IpInfo", "PlevinDatabase", "default_database"]
