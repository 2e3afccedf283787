"""Cases to export, built as intake and the media worker build them, and snapshots of
cases for the pure builder tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.utils import timezone

from tellsafe.cases.models import Case, ContentItem
from tellsafe.core import crypto
from tellsafe.intake.tests.factories import make_report
from tellsafe.routing.exchange.model import (
    Assessment,
    CaseExport,
    CategoryInfo,
    Hashes,
    Hosting,
    Item,
    Organisation,
    ReportSummary,
)
from tellsafe.routing.models import HostingTrace

MD5 = "0cc175b9c0f1b6a831c399e269772661"
SHA256 = "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
SHA1 = "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"
URL = "https://files.example.net/album/7.jpg"
URL_2 = "https://forum.example.org/t/123"
NARRATIVE = "He sent pictures of my little sister to the group."

FIXTURE = Path(__file__).resolve().parents[2].parent / "taxonomy" / "fixtures" / "taxonomy.json"


def fixture_categories() -> dict[str, CategoryInfo]:
    """The shipped taxonomy's mappings, without a database."""
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return {
        row["code"]: CategoryInfo(
            code=row["code"],
            csea=row["csea"],
            ncmec=row["ncmec"],
            iccam=row["iccam"],
            xarf=row["xarf"],
            position=row["position"],
        )
        for row in rows
    }


def assessment(**overrides: Any) -> Assessment:
    values: dict[str, Any] = {
        "category": "csam",
        "legal_basis": "baseline",
        "age_band": "prepubescent",
        "flags": frozenset(),
    }
    values.update(overrides)
    return Assessment(**values)


def make_case(
    *,
    urls: tuple[str, ...] = (URL, URL_2),
    categories: tuple[str, ...] = ("csam",),
    media: bool = True,
    trace: bool = True,
    **report: Any,
) -> Case:
    """A case reported on the web with ``urls``, a chat media item known by its hashes
    (as the media worker leaves it) and a hosting trace of the first URL."""
    made = make_report(
        urls=list(urls), categories=list(categories), details=NARRATIVE, **report
    ).report
    case = made.case
    if media:
        ContentItem.objects.create(
            case=case,
            report=made,
            kind=ContentItem.Kind.MEDIA,
            url="",
            url_hash=crypto.keyed_hash("whatsapp:media-1", "media"),
            media_type="image",
            md5=MD5,
            sha256=SHA256,
            pdq=PDQ,
            pdq_quality=90,
            match_summary={"matches": [], "actionable": True, "suppressed": False},
            created_at=timezone.now(),
        )
    if trace and urls:
        item = ContentItem.objects.filter(case=case, kind="url").order_by("pk").first()
        HostingTrace.objects.create(
            content_item=item,
            traced_at=datetime(2026, 5, 1, 10, 0, tzinfo=UTC),
            outcome=HostingTrace.Outcome.OK,
            host=item.host,
            country="DE",
            asn=24940,
            org="Hetzner Online GmbH",
            behind_cdn=False,
            data={"addresses": [{"ip": "5.9.0.1", "country": "DE", "asn": 24940}]},
        )
    return case


SENDER = Organisation(
    name="Tellsafe National Hotline",
    email="exchange@hotline.example.org",
    domain="hotline.example.org",
    country="IN",
    first_name="Asha",
    last_name="Rao",
    reference_prefix="TSIN",
)
WHEN = datetime(2026, 5, 2, 8, 30, tzinfo=UTC)


def snapshot(**overrides: Any) -> CaseExport:
    """A case as ``collect`` would give it, without a database."""
    values: dict[str, Any] = {
        "case_id": 41,
        "created_at": WHEN,
        "exported_at": WHEN,
        "imminent_danger": False,
        "assessment": assessment(),
        "sender": SENDER,
        "reports": (
            ReportSummary(
                id=7,
                channel="web",
                age_band="under_9",
                language="en",
                categories=("csam",),
                created_at=WHEN,
            ),
        ),
        "items": (
            Item(
                id=1,
                kind="url",
                url=URL,
                host="files.example.net",
                hosting=Hosting(
                    country="DE", asn=24940, org="Hetzner Online GmbH", traced_at=WHEN, ip="5.9.0.1"
                ),
            ),
            Item(
                id=2,
                kind="media",
                media_type="image",
                hashes=Hashes(md5=MD5, sha256=SHA256, pdq=PDQ),
                matched=True,
            ),
        ),
        "categories": fixture_categories(),
    }
    values.update(overrides)
    return CaseExport(**values)
