"""Who to tell: the abuse contact for a traced host.

The contact is looked up in this order, and the first answer wins:

1. a partner record for the network (ASN) or the domain, through the injected
   ``abuse_contact_lookup`` (the partners app provides one; the setting
   ``TRACE_ABUSE_CONTACT_LOOKUP`` names it by dotted path, so this app needs no import
   of it);
2. the abuse mailbox the IP registry lists for the network, if the offline database has
   it (for an address behind a CDN that is the CDN's mailbox: the CDN is who can act);
3. none: a person finds one.

A lookup is any callable taking an ``AbuseQuery`` and returning an ``AbuseContact`` or
None. It must not contact the network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from tellsafe.core.errors import ApplicationError


@dataclass(frozen=True)
class AbuseQuery:
    """What a lookup may match on. ``asns`` are the origin ASNs of the public addresses,
    most common first; ``cdn`` is the CDN slug when the host is behind one."""

    host: str
    cname_chain: tuple[str, ...]
    asns: tuple[int, ...]
    countries: tuple[str, ...]
    cdn: str
    registry_mailboxes: tuple[tuple[int | None, str, str], ...] = ()  # (asn, org, email)


@dataclass(frozen=True)
class AbuseContact:
    """``source`` is "partner" or "ip_registry". ``partner_id`` is set for a partner."""

    source: str
    email: str
    name: str = ""
    asn: int | None = None
    partner_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


AbuseContactLookup = Callable[[AbuseQuery], AbuseContact | None]


def registry_contact(query: AbuseQuery) -> AbuseContact | None:
    """The registry's abuse mailbox of the most common network among the addresses."""
    for asn, org, email in query.registry_mailboxes:
        if email:
            return AbuseContact(source="ip_registry", email=email, name=org, asn=asn)
    return None


def find_contact(query: AbuseQuery, lookup: AbuseContactLookup | None) -> AbuseContact | None:
    """Apply the order of the module docstring: ``lookup`` first, then the registry."""
    if lookup is not None:
        found = lookup(query)
        if found is not None:
            if not isinstance(found, AbuseContact):
                raise TypeError("an abuse contact lookup must return an AbuseContact or None")
            return found
    return registry_contact(query)


@cache
def configured_lookup() -> AbuseContactLookup | None:
    """The lookup named by the setting ``TRACE_ABUSE_CONTACT_LOOKUP``, if any."""
    path = getattr(settings, "TRACE_ABUSE_CONTACT_LOOKUP", "") or ""
    if not path:
        return None
    # A deployment mistake, for the operator's eyes only (like ImproperlyConfigured):
    # the message names the setting and is not translated.
    message = "TRACE_ABUSE_CONTACT_LOOKUP must be the dotted path of a function."
    try:
        found = import_string(path)
    except ImportError as exc:
        raise ApplicationError("invalid_setting", message, status=503) from exc
    if not callable(found):
        raise ApplicationError("invalid_setting", message, status=503)
    return found


__all__ = [
    "AbuseContact",
    "AbuseContactLookup",
    "AbuseQuery",
    "configured_lookup",
    "find_contact",
    "registry_contact",
]
