"""Reading one case into a ``CaseExport``: its reports' codes, its content items with
their hashes and latest located hosting trace, the taxonomy's mappings and who we are.

Hosting comes from ``routing.models.HostingTrace`` (the latest trace that found hosting);
a caller may instead give a plain mapping per item id (``country``, ``asn``, ``org``,
``behind_cdn``, ``traced_at``, ``ip``), for traces made elsewhere. The narrative is read
(decrypted) only when ``include_narrative`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tellsafe.cases.models import Case, ContentItem
from tellsafe.config import env
from tellsafe.core.errors import ApplicationError
from tellsafe.intake.models import Report
from tellsafe.partners.countries import is_country_code
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
from tellsafe.taxonomy.models import HarmCategory


def setting(name: str, default: str = "") -> str:
    """``settings.NAME``, else the environment's ``TELLSAFE_NAME`` (or ``_FILE``)."""
    value = getattr(settings, name, None)
    if value in (None, ""):
        value = env.get(f"TELLSAFE_{name}", default)
    return str(value or default).strip()


def sender() -> Organisation:
    """Who we are in exchange documents, from the settings ``EXCHANGE_ORG_NAME``,
    ``EXCHANGE_ORG_EMAIL``, ``EXCHANGE_ORG_DOMAIN``, ``EXCHANGE_ORG_COUNTRY``,
    ``EXCHANGE_REFERENCE_PREFIX`` and, for CyberTipline reports, the reporting person
    ``NCMEC_REPORTER_FIRST_NAME`` and ``NCMEC_REPORTER_LAST_NAME``. Missing values are
    refused when a document needs them, not here."""
    domain = setting("EXCHANGE_ORG_DOMAIN")
    if not domain:
        public = str(getattr(settings, "PUBLIC_URL", "") or "")
        domain = public.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return Organisation(
        name=setting("EXCHANGE_ORG_NAME"),
        email=setting("EXCHANGE_ORG_EMAIL"),
        domain=domain,
        country=setting("EXCHANGE_ORG_COUNTRY").upper(),
        first_name=setting("NCMEC_REPORTER_FIRST_NAME"),
        last_name=setting("NCMEC_REPORTER_LAST_NAME"),
        reference_prefix=setting("EXCHANGE_REFERENCE_PREFIX", "TS"),
    )


def category_infos(*, active_only: bool = True) -> dict[str, CategoryInfo]:
    rows = HarmCategory.objects.all()
    if active_only:
        rows = rows.filter(active=True)
    return {
        row.code: CategoryInfo(
            code=row.code,
            csea=row.csea,
            ncmec=row.ncmec,
            iccam=row.iccam,
            xarf=row.xarf,
            position=row.position,
        )
        for row in rows
    }


def hosting_from_trace(trace: HostingTrace) -> Hosting:
    addresses = trace.data.get("addresses") if isinstance(trace.data, dict) else None
    ip = ""
    if isinstance(addresses, list) and addresses and isinstance(addresses[0], dict):
        ip = str(addresses[0].get("ip") or "")[:45]
    return Hosting(
        country=trace.country,
        asn=trace.asn,
        org=trace.org,
        behind_cdn=trace.behind_cdn,
        traced_at=trace.traced_at,
        ip=ip,
    )


def hosting_from_mapping(data: Mapping[str, Any], where: str) -> Hosting:
    """A hosting given as a plain mapping, checked; ``ApplicationError`` if malformed."""
    problems: list[str] = []
    country = data.get("country") or ""
    if not isinstance(country, str) or (country and not is_country_code(country)):
        problems.append("country must be an ISO 3166 alpha-2 code in capitals")
        country = ""
    asn = data.get("asn")
    if asn is not None and (
        isinstance(asn, bool) or not isinstance(asn, int) or not 0 <= asn <= 4294967295
    ):
        problems.append("asn must be a whole number from 0 to 4294967295")
        asn = None
    org = data.get("org") or ""
    if not isinstance(org, str) or len(org) > 255:
        problems.append("org must be text of at most 255 characters")
        org = ""
    behind_cdn = data.get("behind_cdn", False)
    if not isinstance(behind_cdn, bool):
        problems.append("behind_cdn must be true or false")
        behind_cdn = False
    traced_at = data.get("traced_at")
    if isinstance(traced_at, str):
        traced_at = parse_datetime(traced_at)
    if traced_at is not None and not (
        isinstance(traced_at, datetime) and timezone.is_aware(traced_at)
    ):
        problems.append("traced_at must be an aware date and time")
        traced_at = None
    ip = data.get("ip") or ""
    if not isinstance(ip, str) or len(ip) > 45:
        problems.append("ip must be an address")
        ip = ""
    if problems:
        raise ApplicationError("invalid_trace", "A hosting trace is malformed.", {where: problems})
    return Hosting(
        country=country, asn=asn, org=org, behind_cdn=behind_cdn, traced_at=traced_at, ip=ip
    )


def _latest_located(item_ids: list[int]) -> dict[int, HostingTrace]:
    """Each item's newest trace that found hosting, in one query."""
    latest: dict[int, HostingTrace] = {}
    rows = HostingTrace.objects.filter(
        content_item_id__in=item_ids, outcome=HostingTrace.Outcome.OK
    ).order_by("content_item_id", "-traced_at", "-id")
    for trace in rows:
        latest.setdefault(trace.content_item_id, trace)
    return latest


def _item(row: ContentItem, hosting: Hosting | None) -> Item:
    summary = row.match_summary if isinstance(row.match_summary, dict) else {}
    return Item(
        id=row.pk,
        kind=row.kind,
        url=row.url if row.kind == ContentItem.Kind.URL else "",
        host=row.host,
        media_type=row.media_type,
        hashes=Hashes(md5=row.md5, sha256=row.sha256, pdq=row.pdq),
        hosting=hosting,
        matched=bool(summary.get("actionable")),
    )


def collect(
    *,
    case: Case,
    assessment: Assessment,
    include_narrative: bool = False,
    traces: Mapping[int, Mapping[str, Any]] | None = None,
    now: datetime | None = None,
) -> CaseExport:
    """The snapshot of ``case`` to export. Content items a retention run emptied (no URL
    and no hash) are left out: there is nothing left to say about them."""
    reports = list(
        Report.objects.filter(case=case).order_by("created_at", "pk").prefetch_related("categories")
    )
    rows = list(ContentItem.objects.filter(case=case).order_by("pk"))
    traced = _latest_located([r.pk for r in rows]) if traces is None else {}
    items = []
    for row in rows:
        if traces is not None:
            given = traces.get(row.pk)
            hosting = hosting_from_mapping(given, f"traces.{row.pk}") if given else None
        else:
            trace = traced.get(row.pk)
            hosting = hosting_from_trace(trace) if trace else None
        item = _item(row, hosting)
        if (item.kind == "url" and item.url) or item.hashes:
            items.append(item)
    narrative = ""
    if include_narrative:
        narrative = "\n\n".join(r.details.strip() for r in reports if r.details.strip())
    return CaseExport(
        case_id=case.pk,
        created_at=case.created_at,
        exported_at=now or timezone.now(),
        imminent_danger=case.imminent_danger,
        assessment=assessment,
        sender=sender(),
        reports=tuple(
            ReportSummary(
                id=r.pk,
                channel=r.channel,
                age_band=r.age_band,
                language=r.language,
                categories=tuple(c.code for c in r.categories.all()),
                created_at=r.created_at,
            )
            for r in reports
        ),
        items=tuple(items),
        # Inactive categories too: an old report may use one, and the mapping still holds.
        categories=category_infos(active_only=False),
        narrative=narrative,
    )
