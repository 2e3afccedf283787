"""What a notice says, built in one place.

A notice carries ONLY the content item's URL or hashes, the legal and category basis and
our reference. Never content, never a narrative, never anything about the reporter or the
case: ``notice_payload`` reads those fields of the item and nothing else, and its tests
check that nothing more can appear. Every transport sends this payload (or renders it).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings

from tellsafe.cases.models import ContentItem
from tellsafe.core import crypto
from tellsafe.routing.notices.models import LegalBasis, Notice
from tellsafe.taxonomy.models import HarmCategory

SCHEMA = "tellsafe.notice/1"
# The partner's secure confirmation page; a stable public path (see urls.py).
LINK_PATH = "/notice/{token}/"
MEDIA_HASHES = ("sha256", "md5", "pdq")

# What the legal basis cites unless the setting NOTICE_LEGAL_REFERENCES says otherwise
# (a mapping of basis to text: a deployment names its own law there).
DEFAULT_LEGAL_REFERENCES: dict[str, str] = {
    LegalBasis.BASELINE: "INTERPOL Baseline: child sexual abuse material illegal in any country",
    LegalBasis.NATIONAL: "Illegal under national law",
    LegalBasis.NOT_ILLEGAL: "Not illegal: a voluntary request under the provider's own terms",
}


def legal_reference(legal_basis: str) -> str:
    configured = getattr(settings, "NOTICE_LEGAL_REFERENCES", None) or {}
    text = configured.get(legal_basis) or DEFAULT_LEGAL_REFERENCES.get(legal_basis, "")
    return str(text)[:200]


def content_of(item: ContentItem) -> dict[str, Any]:
    """The item as a notice shows it: its URL and host, or its media hashes."""
    if item.kind == ContentItem.Kind.URL:
        return {"type": "url", "url": item.url, "host": item.host}
    hashes = {name: getattr(item, name) for name in MEDIA_HASHES if getattr(item, name)}
    return {"type": "media", "media_type": item.media_type, "hashes": hashes}


def content_key(item: ContentItem) -> str:
    """The key a re-upload of the same content has (see models.Notice.content_key)."""
    if item.kind == ContentItem.Kind.URL:
        return item.url_hash
    for name in MEDIA_HASHES:
        value = getattr(item, name)
        if value:
            return f"{name}:{value.lower()}"
    return ""


def content_keys(item: ContentItem) -> list[str]:
    """Every key that would identify ``item`` (a media item has up to three)."""
    if item.kind == ContentItem.Kind.URL:
        return [item.url_hash] if item.url_hash else []
    return [f"{n}:{getattr(item, n).lower()}" for n in MEDIA_HASHES if getattr(item, n)]


def categories_for(notices: Iterable[Notice]) -> dict[str, HarmCategory]:
    """The harm categories of ``notices`` by code, in one query (for lists)."""
    codes = {n.category for n in notices}
    return {c.code: c for c in HarmCategory.objects.filter(code__in=codes)} if codes else {}


def notice_payload(
    notice: Notice, *, categories: Mapping[str, HarmCategory] | None = None
) -> dict[str, Any]:
    """The whole of what a partner is told about a notice, as JSON-ready data.
    ``categories`` (from ``categories_for``) saves a query per notice in lists."""
    if categories is None:
        categories = categories_for([notice])
    category = categories.get(notice.category)
    earlier = notice.earlier_notice.reference if notice.earlier_notice is not None else None
    return {
        "schema": SCHEMA,
        "id": notice.pk,
        "reference": notice.reference,
        "kind": notice.kind,
        "basis": {
            "category": notice.category,
            "category_name": category.name("en") if category else notice.category,
            "xarf_type": category.xarf if category else "",
            "legal_basis": notice.legal_basis,
            "legal_reference": notice.basis_reference,
        },
        "content": content_of(notice.content_item),
        "sent_at": notice.sent_at.isoformat() if notice.sent_at else None,
        "reminders_sent": notice.reminders_sent,
        "earlier_notice": earlier,
        "status": notice.status,
    }


# --- the secure link -----------------------------------------------------------------------


def new_link_salt() -> str:
    return secrets.token_hex(16)


def link_token(notice: Notice) -> str:
    """The token of ``notice``'s secure link: an HMAC of its random salt, so that every
    message about the notice (reminders too) carries the same working link, while the
    database holds only the salt and the token's hash (useless without the HMAC key)."""
    return token_for_salt(notice.link_salt)


def token_for_salt(salt: str) -> str:
    return crypto.keyed_hash(salt, "notice-link")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def link_url(notice: Notice) -> str:
    return settings.PUBLIC_URL + LINK_PATH.format(token=link_token(notice))


def token_matches(notice: Notice, token: str) -> bool:
    return hmac.compare_digest(notice.token_hash, token_hash(token))
