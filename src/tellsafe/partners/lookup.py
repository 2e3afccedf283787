"""A partner's networks, for finding who to tell about content a trace located.

``partner_abuse_contact`` is the lookup the hosting trace calls (the setting
``TRACE_ABUSE_CONTACT_LOOKUP`` names it, see ``routing.contacts``): it matches a trace's
host, CNAME chain and origin ASNs against the ``domains`` and ``asns`` of active partners
that can take content down, without touching the network. A domain is more specific than
a network (a platform's site on a cloud provider's addresses is the platform's to act
on), so the host and its CNAME chain are tried first, then the networks, most common
first. ``partner_networks_set`` is the one write of those fields.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.partners.models import Partner
from tellsafe.routing.contacts import AbuseContact, AbuseQuery

# Who can remove hosted content. Hotlines, NGOs, services and the police cannot, so a
# network listed on them is never an abuse contact.
HOSTING_KINDS = (Partner.Kind.ISP, Partner.Kind.PLATFORM, Partner.Kind.OTHER)
MAX_ASNS = 200
MAX_DOMAINS = 200
ASN_MAX = 4_294_967_295  # 32 bits
# A DNS name as stored: lower-case ASCII labels (IDNA for other scripts), no trailing dot.
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _name(value: str) -> str:
    return value.strip().rstrip(".").lower()


def _within(name: str, domain: str) -> bool:
    """``name`` is ``domain`` or one of its subdomains (on a label boundary)."""
    return name == domain or name.endswith("." + domain)


def partner_abuse_contact(query: AbuseQuery) -> AbuseContact | None:
    """The active hosting partner that serves the query's host or CNAME chain (by
    domain) or announces one of its ASNs, as an ``AbuseContact`` of source "partner";
    None when no partner matches. One query, whatever the number of partners."""
    names = [_name(n) for n in (query.host, *query.cname_chain) if isinstance(n, str) and n]
    asns = [a for a in query.asns if isinstance(a, int) and not isinstance(a, bool)]
    if not names and not asns:
        return None
    partners = list(
        Partner.objects.filter(active=True, kind__in=HOSTING_KINDS)
        .only("id", "name", "asns", "domains", "abuse_email")
        .order_by("id")
    )
    for name in names:
        # The longest (most specific) matching domain wins: "cdn.example.net" over
        # "example.net".
        best: tuple[int, Partner] | None = None
        for partner in partners:
            for domain in partner.domains or []:
                if isinstance(domain, str) and domain and _within(name, domain):
                    if best is None or len(domain) > best[0]:
                        best = (len(domain), partner)
        if best is not None:
            return _contact(best[1], asn=None)
    for asn in asns:
        for partner in partners:
            if asn in (partner.asns or []):
                return _contact(partner, asn=asn)
    return None


def _contact(partner: Partner, *, asn: int | None) -> AbuseContact:
    return AbuseContact(
        source="partner",
        email=partner.abuse_email,
        name=partner.name,
        asn=asn,
        partner_id=partner.pk,
    )


# --- validation and the write ------------------------------------------------------------


def clean_asns(value: Any) -> list[int]:
    """Distinct ASNs (1 to 2^32-1), sorted. "AS13335" and "13335" are read as 13335."""
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
        raise _invalid("asns", "Must be a list of AS numbers.")
    found: set[int] = set()
    bad: list[str] = []
    for raw in value:
        number: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, str) and re.fullmatch(r"(?i)\s*(?:AS)?\d{1,10}\s*", raw):
            number = int(re.sub(r"(?i)[^0-9]", "", raw))
        if number is None or not 1 <= number <= ASN_MAX:
            bad.append(str(raw)[:20])
        else:
            found.add(number)
    if bad:
        raise _invalid("asns", f"Not AS numbers (1 to {ASN_MAX}): {', '.join(bad[:5])}.")
    if len(found) > MAX_ASNS:
        raise _invalid("asns", f"At most {MAX_ASNS} AS numbers.")
    return sorted(found)


def clean_domains(value: Any) -> list[str]:
    """Distinct domain names, lower-case ASCII (IDNA), sorted. A leading "*." or a
    trailing dot is dropped: a domain always covers its subdomains."""
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple | set | frozenset):
        raise _invalid("domains", "Must be a list of domain names.")
    found: set[str] = set()
    bad: list[str] = []
    for raw in value:
        domain = _domain(raw)
        if domain is None:
            bad.append(str(raw)[:40])
        else:
            found.add(domain)
    if bad:
        raise _invalid("domains", f"Not domain names: {', '.join(bad[:5])}.")
    if len(found) > MAX_DOMAINS:
        raise _invalid("domains", f"At most {MAX_DOMAINS} domain names.")
    return sorted(found)


def _domain(raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    text = _name(raw)
    if text.startswith("*."):
        text = text[2:]
    try:
        text = text.encode("idna").decode("ascii") if text else ""
    except UnicodeError:
        return None
    labels = text.split(".")
    if len(text) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(x) for x in labels):
        return None
    if labels[-1].isdigit():
        return None  # an IPv4 address is not a domain
    return text


def clean_abuse_email(value: Any) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise _invalid("abuse_email", "Must be an e-mail address.")
    text = value.strip()
    try:
        validate_email(text)
    except ValidationError as exc:
        raise _invalid("abuse_email", "Not a valid e-mail address.") from exc
    if len(text) > 254:
        raise _invalid("abuse_email", "At most 254 characters.")
    return text


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("invalid_partner_networks", message, {field: [message]})


def partner_networks_set(
    *, partner: Partner, asns: Any, domains: Any, abuse_email: Any = "", actor: Any
) -> Partner:
    """Replace the partner's ASNs, domains and abuse mailbox (all fields checked, every
    problem reported at once), audited. A hosting trace made afterwards finds it."""
    from tellsafe.partners.services import _audit_actor

    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for field, clean, raw in (
        ("asns", clean_asns, asns),
        ("domains", clean_domains, domains),
        ("abuse_email", clean_abuse_email, abuse_email),
    ):
        try:
            values[field] = clean(raw)
        except ApplicationError as exc:
            errors.update(exc.fields)
    if not isinstance(partner, Partner) or partner.pk is None:
        errors["partner"] = ["Must be a registered partner."]
    if errors:
        raise ApplicationError("invalid_partner_networks", "Check the partner's networks.", errors)
    who = _audit_actor(actor)
    with write_transaction():
        Partner.objects.filter(pk=partner.pk).update(**values)
        for field, value in values.items():
            setattr(partner, field, value)
        audit.record(
            actor=who,
            action="partner.networks",
            object_type="partner",
            object_id=partner.pk,
            # Networks and domains are public routing facts; the mailbox is not logged.
            data={
                "asns": values["asns"],
                "domains": values["domains"],
                "abuse_email": bool(values["abuse_email"]),
            },
        )
    return partner


__all__ = [
    "clean_abuse_email",
    "clean_asns",
    "clean_domains",
    "partner_abuse_contact",
    "partner_networks_set",
]
