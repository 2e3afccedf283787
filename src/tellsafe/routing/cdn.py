"""CDN and reverse-proxy detection, from the data file ``data/cdn.json``.

Behind a CDN the addresses of a host belong to the CDN's edge, not to the server that
holds the content: the trace then says ``behind_cdn`` and which CDN, and the real host
stays unknown until the CDN names it. A provider is recognised by a CNAME suffix anywhere
in the host's chain (``.cloudfront.net``) or by the origin ASN of an address (13335).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_FILE = Path(__file__).parent / "data" / "cdn.json"


@dataclass(frozen=True)
class Provider:
    slug: str
    name: str
    asns: frozenset[int]
    cname_suffixes: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    """The providers, indexed by ASN and by CNAME suffix (longest suffix first)."""

    providers: dict[str, Provider]
    by_asn: dict[int, str]
    suffixes: tuple[tuple[str, str], ...]

    def for_asn(self, asn: int | None) -> str:
        return self.by_asn.get(asn, "") if asn is not None else ""

    def for_name(self, name: str) -> str:
        name = name.lower().rstrip(".")
        for suffix, slug in self.suffixes:
            if name.endswith(suffix):
                return slug
        return ""

    def detect(self, *, cname_chain: Iterable[str], asns: Iterable[int | None]) -> str:
        """The slug of the first CDN found: by CNAME (in chain order), else by ASN; ""
        when none is."""
        for name in cname_chain:
            slug = self.for_name(name)
            if slug:
                return slug
        for asn in asns:
            slug = self.for_asn(asn)
            if slug:
                return slug
        return ""

    def name(self, slug: str) -> str:
        provider = self.providers.get(slug)
        return provider.name if provider else ""


def _problem(message: str) -> ValueError:
    return ValueError(f"{DATA_FILE.name}: {message}")


def parse(data: Any) -> Catalogue:
    """Validate the data file's content; any mistake is a ValueError naming it."""
    providers = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(providers, dict) or not providers:
        raise _problem("'providers' must be a non-empty object")
    found: dict[str, Provider] = {}
    by_asn: dict[int, str] = {}
    suffixes: dict[str, str] = {}
    for slug, entry in providers.items():
        if not (isinstance(slug, str) and slug.replace("_", "").isalnum() and slug.islower()):
            raise _problem(f"provider key {slug!r} must be lower-case letters, digits, _")
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _problem(f"{slug}: needs a 'name'")
        asns = entry.get("asns", [])
        names = entry.get("cname_suffixes", [])
        if not isinstance(asns, list) or not isinstance(names, list) or not (asns or names):
            raise _problem(f"{slug}: needs 'asns' or 'cname_suffixes' (lists)")
        for asn in asns:
            if not (isinstance(asn, int) and 0 < asn < 2**32) or asn in by_asn:
                raise _problem(f"{slug}: ASN {asn!r} is not valid or is listed twice")
            by_asn[asn] = slug
        for suffix in names:
            if not (isinstance(suffix, str) and suffix.startswith(".") and suffix.count(".") > 1):
                raise _problem(f"{slug}: suffix {suffix!r} must look like '.example.net'")
            if suffix.lower() != suffix or suffix in suffixes:
                raise _problem(f"{slug}: suffix {suffix!r} must be lower case and unique")
            suffixes[suffix] = slug
        found[slug] = Provider(slug, entry["name"], frozenset(asns), tuple(names))
    ordered = tuple(sorted(suffixes.items(), key=lambda item: (-len(item[0]), item[0])))
    return Catalogue(found, by_asn, ordered)


@cache
def catalogue() -> Catalogue:
    """The providers of the data file, read once per process."""
    return parse(json.loads(DATA_FILE.read_text(encoding="utf-8")))


__all__ = ["Catalogue", "Provider", "catalogue", "parse"]
