"""Content items to trace, recorded DNS answers and a fake IP database for the tests.

The addresses are real public addresses (documentation ranges are refused as
non-public, by design); what the fake database says of them is made up for the test."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.utils import timezone

from tellsafe.cases.models import ContentItem
from tellsafe.core import crypto
from tellsafe.intake.tests.factories import make_report
from tellsafe.routing.ipdb import IpInfo
from tellsafe.routing.resolve import RecordedResolver

HETZNER_V4 = "5.9.0.1"
HETZNER_V6 = "2a01:4f8::1"
OVH_V4 = "51.68.0.1"
CLOUDFLARE_V4 = "104.16.1.1"
AMAZON_V4 = "13.32.0.1"
FASTLY_V4 = "151.101.1.1"


def content_item(url: str = "https://files.example.net/album/7.jpg") -> ContentItem:
    """A content item of a real report's case, with ``url`` stored as intake stores it
    (encrypted, with its keyed hash and readable host), whatever ``url`` is."""
    report = make_report().report
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        host = ""
    return ContentItem.objects.create(
        case=report.case,
        report=report,
        url=url,
        url_hash=crypto.keyed_hash(url, "url"),
        host=host[:255],
        created_at=timezone.now(),
    )


class FakeIpDatabase:
    """An ``IpDatabase`` answering from a table; unknown addresses get an empty IpInfo."""

    version = "fake-ipdb 1"

    def __init__(self, table: dict[str, IpInfo] | None = None) -> None:
        self.table = dict(TABLE if table is None else table)
        self.asked: list[str] = []

    def lookup(self, ip: str) -> IpInfo:
        self.asked.append(ip)
        return self.table.get(ip, IpInfo())


def info(country: str, asn: int | None, org: str, email: str = "", **extra: Any) -> IpInfo:
    return IpInfo(
        country=country,
        country_source="geo" if country else "",
        registry_country=extra.pop("registry_country", country),
        asn=asn,
        org=org,
        network=extra.pop("network", ""),
        abuse_email=email,
        **extra,
    )


TABLE = {
    HETZNER_V4: info("DE", 24940, "Hetzner Online GmbH", "abuse@hetzner.example"),
    HETZNER_V6: info("DE", 24940, "Hetzner Online GmbH", "abuse@hetzner.example"),
    OVH_V4: info("FR", 16276, "OVH SAS", "abuse@ovh.example"),
    CLOUDFLARE_V4: info("US", 13335, "Cloudflare, Inc.", "abuse@cloudflare.example"),
    AMAZON_V4: info("US", 16509, "Amazon.com, Inc.", "abuse@amazon.example"),
    FASTLY_V4: info("US", 54113, "Fastly, Inc.", ""),
}

RECORDS: dict[str, Any] = {
    "files.example.net": {"A": [HETZNER_V4], "AAAA": [HETZNER_V6]},
    "www.example.net": {"CNAME": "files.example.net"},
    "moved.example.net": {"A": [OVH_V4]},
    "split.example.net": {"A": [HETZNER_V4, OVH_V4]},
    "shop.example.org": {"CNAME": "shop.example.org.cdn.cloudflare.net"},
    "shop.example.org.cdn.cloudflare.net": {"A": [CLOUDFLARE_V4]},
    "media.example.org": {"CNAME": "d111111abcdef8.cloudfront.net"},
    "d111111abcdef8.cloudfront.net": {"A": [AMAZON_V4]},
    "proxied.example.org": {"A": [CLOUDFLARE_V4]},
    "fastly.example.org": {"A": [FASTLY_V4]},
    "internal.example.org": {"A": ["10.1.2.3"], "AAAA": ["fd00::1"]},
    "half.example.org": {"A": ["127.0.0.1", HETZNER_V4]},
    "empty.example.org": {},
    "slow.example.org": "timeout",
    "broken.example.org": "error",
    "dangling.example.org": {"CNAME": "nowhere.example.org"},
}


def resolver(records: dict[str, Any] | None = None, **kwargs: Any) -> RecordedResolver:
    return RecordedResolver(RECORDS if records is None else records, **kwargs)


def partner_lookup(query: Any) -> Any:
    """A partner lookup named by dotted path in the settings tests: Hetzner is a partner."""
    from tellsafe.routing.contacts import AbuseContact

    if 24940 in query.asns:
        return AbuseContact(source="partner", email="csam@partner.example", partner_id=1)
    return None


NOT_CALLABLE = "a constant, not a function"
