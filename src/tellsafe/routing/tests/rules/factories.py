"""Routing worlds for the tests: content items traced through the real trace service
(recorded DNS, a fake IP database, the partners' lookup), partners that receive notices,
the hotline directory, and assessments made through the service."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from tellsafe.accounts.tests.factories import staff
from tellsafe.cases.models import Case, ContentItem
from tellsafe.core.audit import Actor
from tellsafe.partners.lookup import partner_abuse_contact, partner_networks_set
from tellsafe.partners.models import Partner
from tellsafe.partners.tests import factories as partner_factories
from tellsafe.routing import services as trace_services
from tellsafe.routing.models import HostingTrace
from tellsafe.routing.notices import partner_settings
from tellsafe.routing.resolve import RecordedResolver
from tellsafe.routing.rules import services
from tellsafe.routing.rules.models import Assessment, Hotline
from tellsafe.routing.tests.factories import TABLE, FakeIpDatabase, content_item, info

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system()

JIO_V4 = "49.44.0.1"  # an Indian ISP: domestic when HOME_COUNTRY is IN
SAFARICOM_V4 = "41.90.0.1"  # Kenya: no hotline in the shipped directory
IPS = {
    **TABLE,
    JIO_V4: info("IN", 55836, "Reliance Jio Infocomm", "abuse@jio.example"),
    SAFARICOM_V4: info("KE", 33771, "Safaricom", "abuse@safaricom.example"),
}
RECORDS: dict[str, Any] = {
    "isp.example.in": {"A": [JIO_V4]},
    "files.example.net": {"A": ["5.9.0.1"]},  # Hetzner, Germany
    "host.example.ke": {"A": [SAFARICOM_V4]},
    "shop.example.org": {"CNAME": "shop.example.org.cdn.cloudflare.net"},
    "shop.example.org.cdn.cloudflare.net": {"A": ["104.16.1.1"]},
    "split.example.net": {"A": ["5.9.0.1", "51.68.0.1"]},
    "gone.example.net": "nxdomain",
}

_numbers = itertools.count(1)


def analyst() -> Any:
    return staff("analyst", team="")


def supervisor() -> Any:
    return staff("supervisor", team="")


def item(host: str = "isp.example.in", *, imminent: bool = False) -> ContentItem:
    """A URL item on ``host``, in a new case (in danger now if ``imminent``)."""
    made = content_item(f"https://{host}/album/{next(_numbers)}.jpg")
    if imminent:
        Case.objects.filter(pk=made.case_id).update(imminent_danger=True)
        made.case.imminent_danger = True
    return made


def trace(target: ContentItem, *, at: datetime = T0) -> HostingTrace:
    """Trace ``target`` as production does, offline; the partners' lookup finds who is
    a partner."""
    return trace_services.trace_content_item(
        item=target,
        resolver=RecordedResolver(RECORDS),
        ip_database=FakeIpDatabase(IPS),
        abuse_contact_lookup=partner_abuse_contact,
        now=at,
    )


def receiver(
    kind: str = Partner.Kind.ISP,
    *,
    name: str | None = None,
    asns: tuple[int, ...] = (),
    domains: tuple[str, ...] = (),
    settings: bool = True,
) -> Partner:
    """An active partner; with notice settings (e-mail) unless ``settings=False``."""
    made = partner_factories.partner(name=name or f"Receiver {next(_numbers)}", kind=kind)
    if asns or domains:
        partner_networks_set(partner=made, asns=list(asns), domains=list(domains), actor=SYSTEM)
    if settings:
        partner_settings.notice_settings_save(
            partner=made, transport="email", actor=SYSTEM, email="abuse@receiver.example"
        )
    return made


def link_hotline(country: str, partner: Partner) -> Hotline:
    """Link the first directory entry of ``country`` to ``partner``."""
    hotline = Hotline.objects.filter(country=country).order_by("name").first()
    assert hotline is not None, country
    hotline.partner = partner
    hotline.save(update_fields=["partner"])
    return hotline


def assess(
    target: ContentItem,
    legal_status: str = "baseline",
    *,
    category: str = "csam",
    by: Any = None,
    **kw: Any,
) -> Assessment:
    return services.assessment_record(
        item=target,
        category=category,
        legal_status=legal_status,
        actor=by or analyst(),
        **kw,
    )
