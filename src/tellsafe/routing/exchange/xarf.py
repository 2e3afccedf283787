"""XARF v4 abuse reports of category ``content``, types ``csam`` and ``csem``: the
machine-readable notice a host or ISP can process. One report per URL, checked against
our JSON Schema (``schemas/xarf_content.schema.json``).

A report carries the URL, where it was hosted (provider, ASN, country, when traced), the
classification (INTERPOL baseline or an industry classification A1-B2) or, for csem, the
kind of exploitation, the hashes of what the URL serves, and tags for the analyst's
flags. It never carries a payload (XARF's ``evidence``): the schema has no place for one.
It never names who reported to us, and has a ``description`` only when the analyst
included the narrative.

Material assessed as not illegal gets no notice, and a csam notice for material that is
only nationally illegal needs an industry classification, since XARF has no code for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import documents
from tellsafe.routing.exchange.model import (
    IMAGERY_CATEGORIES,
    CaseExport,
    CategoryInfo,
    Forward,
    ForwardItem,
    Item,
)

VERSION = "4.0.0"
SCHEMA = "xarf_content"
MAX_REPORTS = 1000  # in one file
MAX_DESCRIPTION = 12000

# csem exploitation types for our categories, and back.
EXPLOITATION = {
    "grooming": "grooming",
    "sextortion": "sextortion",
    "trafficking": "trafficking",
    "distribution": "distribution",
    "harmful_sexual_behaviour": "solicitation",
    "obscene_material": "distribution",
    "sadistic_exploitation": "production",
    "contact_abuse": "production",
}
_EXPLOITATION_BACK = {
    "grooming": "grooming",
    "solicitation": "grooming",
    "sextortion": "sextortion",
    "trafficking": "trafficking",
    "distribution": "distribution",
    "production": "csam",
    "possession": "csam",
}
_AGE_RANGE = {
    "infant": "infant",
    "prepubescent": "prepubescent",
    "pubescent": "pubescent",
    "under_9": "0-8",
    "9_12": "9-12",
    "13_15": "13-15",
    "16_17": "16-17",
}
_AGE_BACK = {
    "infant": "under_9",
    "0-8": "under_9",
    "9-12": "9_12",
    "13-15": "13_15",
    "16-17": "16_17",
}
_MEDIA_TYPES = ("image", "video", "audio", "document")


def notice_type(export: CaseExport) -> str:
    """``csam`` or ``csem``: the taxonomy's XARF mapping, else by the kind of harm."""
    info = export.categories.get(export.assessment.category)
    mapped = info.xarf if info else ""
    if mapped in ("content/csam", "content/csem"):
        return mapped.split("/", 1)[1]
    return "csam" if export.assessment.category in IMAGERY_CATEGORIES else "csem"


def check_sendable(export: CaseExport) -> None:
    problems = export.problems()

    def fail(name: str, message: str) -> None:
        problems.setdefault(name, []).append(message)

    a = export.assessment
    info = export.categories.get(a.category)
    if a.legal_basis == "not_illegal":
        fail("legal_basis", "No notice is sent for material assessed as not illegal.")
    if info is not None and not info.csea:
        fail("category", "This category is outside child sexual exploitation and abuse.")
    if (
        info is not None
        and notice_type(export) == "csam"
        and a.legal_basis == "national"
        and not a.industry_classification
    ):
        fail(
            "industry_classification",
            "XARF has no code for nationally illegal material: give an industry "
            "classification (A1, A2, B1 or B2).",
        )
    if not export.url_items:
        fail("items", "An XARF notice is about a URL, and the case has none.")
    if len(export.url_items) > MAX_REPORTS:
        fail("items", f"At most {MAX_REPORTS} URLs in one file.")
    if len(export.narrative.strip()) > MAX_DESCRIPTION:
        fail("narrative", f"The narrative is longer than {MAX_DESCRIPTION} characters.")
    if problems:
        raise ApplicationError("not_sendable", "No XARF notice can be made so.", problems)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _party(export: CaseExport) -> dict[str, str]:
    party = {"org": export.sender.name, "contact": export.sender.email}
    if export.sender.domain:
        party["domain"] = export.sender.domain
    return party


def _report(export: CaseExport, item: Item, kind: str) -> dict[str, Any]:
    a = export.assessment
    # Stable for one export of one item, different for the next export.
    seed = f"{export.sender.domain}/{export.reference}/{item.id}/{_iso(export.exported_at)}"
    hosting = item.hosting
    report: dict[str, Any] = {
        "xarf_version": VERSION,
        "report_id": str(uuid.uuid5(uuid.NAMESPACE_URL, seed)),
        "timestamp": _iso(export.exported_at),
        "reporter": _party(export),
        "sender": _party(export),
        "source_identifier": (hosting.ip if hosting and hosting.ip else "")
        or item.host
        or item.url,
        "category": "content",
        "type": kind,
        "evidence_source": "hotline_assessment",
        "url": item.url,
    }
    tags = [*sorted(a.flags), f"category:{a.category}", f"legal_basis:{a.legal_basis}"]
    report["tags"] = tags
    if item.host and len(item.host) <= 253:  # a DNS name has at most 253 characters
        report["domain"] = item.host
    if hosting is not None:
        if hosting.org:
            report["hosting_provider"] = hosting.org
        if hosting.asn is not None:
            report["asn"] = hosting.asn
        if hosting.country:
            report["country_code"] = hosting.country
        if hosting.traced_at is not None:
            report["verified_at"] = _iso(hosting.traced_at)
            report["verification_method"] = "dns_trace"
    if kind == "csam":
        report["classification"] = (
            "baseline" if a.legal_basis == "baseline" else a.industry_classification
        )
        report["detection_method"] = "hash_match" if item.matched else "human_review"
        if item.media_type in _MEDIA_TYPES:
            report["media_type"] = item.media_type
    else:
        report["exploitation_type"] = EXPLOITATION.get(a.category, "distribution")
    age = _AGE_RANGE.get(a.age_band)
    if age:
        report["victim_age_range"] = age
    if item.hashes:
        report["hash_values"] = item.hashes.present()
    if export.narrative.strip():
        report["description"] = export.narrative.strip()
    return report


def build(export: CaseExport) -> list[dict[str, Any]]:
    """One XARF report per URL of ``export`` (see the module docstring)."""
    check_sendable(export)
    kind = notice_type(export)
    return [_report(export, item, kind) for item in export.url_items]


def problems(document: Any) -> list[str]:
    """What is wrong with a report, or a list of reports, under our schema."""
    if isinstance(document, list):
        if not document or len(document) > MAX_REPORTS:
            return [f".: a list of 1 to {MAX_REPORTS} reports"]
        found: list[str] = []
        for n, report in enumerate(document):
            found += documents.json_problems(SCHEMA, report, prefix=f"[{n}]")
            if len(found) >= documents.MAX_PROBLEMS:
                break
        return found
    return documents.json_problems(SCHEMA, document)


# --- reading a forward -------------------------------------------------------------------


def read(data: bytes, categories: Mapping[str, CategoryInfo]) -> Forward:
    """A forward from an XARF report or a list of them; ``ApplicationError`` listing the
    schema problems if it is not one."""
    document = documents.parse_json(data)
    found = problems(document)
    if found:
        raise documents.invalid(
            "invalid_document", "The file is not a valid XARF content report.", {"file": found}
        )
    reports = document if isinstance(document, list) else [document]
    forward = Forward(format="xarf")
    forward.reference = reports[0]["report_id"]
    forward.sender_org = reports[0]["reporter"]["org"]
    for n, report in enumerate(reports):
        codes: list[str] = []
        for tag in report.get("tags", []):
            name, _, value = tag.partition(":")
            if name == "category" and value in categories:
                codes.append(value)
            if name in ("ai_generated", "virtual") and "csam_generated" in categories:
                codes.append("csam_generated")
            if name == "self_generated" and "self_generated" in categories:
                codes.append("self_generated")
        if report["type"] == "csam":
            codes.append("csam")
        else:
            codes.append(_EXPLOITATION_BACK[report["exploitation_type"]])
        for code in codes:
            if code not in forward.categories:
                forward.categories.append(code)
        band = _AGE_BACK.get(report.get("victim_age_range", ""))
        if band and forward.age_band == "unknown":
            forward.age_band = band
        if report.get("description"):
            forward.notes.append(report["description"])
        forward.items.append(
            ForwardItem(
                url=report["url"],
                hashes=dict(report.get("hash_values", {})),
                media_type=report.get("media_type", ""),
                where=f"[{n}]",
            )
        )
        if "classification" in report:
            forward.facts.setdefault("classification", report["classification"])
        if report.get("country_code"):
            forward.facts.setdefault("hosting_country", report["country_code"])
    return forward
