"""Demo routing for ``tellsafe demo``: a report with two URLs, one hosted at home by a
partner ISP and one abroad where a partner hotline works, traced offline.

The two demo hosts (``.example`` names, which never exist in real DNS) are answered from
``DATA_DIR/demo/dns.json`` (``TRACE_RECORDED_ANSWERS_FILE``, set by ``make run``): one
address in India on AS9829, one in Germany on AS6724. The demo ISP is the partner for
AS9829 and the demo hotline receives forwards for Germany; both get notices by email,
which the console mail backend of ``make run`` prints in the worker's output, secure link
included. Nothing here contacts those networks: they are only what the IP database says.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from tellsafe.core import audit
from tellsafe.core.db import write_transaction

HOME_HOST = "isp-hosted.example"
ABROAD_HOST = "abroad.example"
ANSWERS = {
    HOME_HOST: {"A": ["117.239.1.1"]},  # IN, AS9829
    ABROAD_HOST: {"A": ["85.214.1.1"]},  # DE, AS6724
}
ISP = "Demo ISP"
HOTLINE = "Demo hotline (Germany)"
URLS = [f"https://{HOME_HOST}/album/1234", f"https://{ABROAD_HOST}/files/5678"]


def answers_file() -> Path:
    return Path(settings.DATA_DIR) / "demo" / "dns.json"


def ensure_demo_routing() -> list[str]:
    """Create what is missing; returns lines to print."""
    from tellsafe.intake import services as intake_services
    from tellsafe.intake.models import Report
    from tellsafe.intake.validation import validate_report
    from tellsafe.partners import selectors as partner_selectors
    from tellsafe.partners import services as partner_services
    from tellsafe.partners.lookup import partner_networks_set
    from tellsafe.routing.notices.partner_settings import notice_settings_save
    from tellsafe.routing.rules.models import Hotline

    path = answers_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(ANSWERS, indent=1), "utf-8")
    system = audit.Actor.system()
    isp = partner_selectors.partner_by_name(ISP) or partner_services.partner_create(
        name=ISP, kind="isp", country="IN", actor=system
    )
    if not isp.asns:
        partner_networks_set(
            partner=isp, asns=[9829], domains=[], abuse_email="abuse@demo-isp.example", actor=system
        )
        notice_settings_save(
            partner=isp, transport="email", email="abuse@demo-isp.example", actor=system
        )
    hotline_partner = partner_selectors.partner_by_name(HOTLINE)
    if hotline_partner is None:
        hotline_partner = partner_services.partner_create(
            name=HOTLINE, kind="hotline", country="DE", actor=system
        )
        notice_settings_save(
            partner=hotline_partner,
            transport="email",
            email="reports@demo-hotline.example",
            actor=system,
        )
        with write_transaction():
            entry = Hotline.objects.filter(country="DE", active=True).order_by("pk").first()
            if entry is not None and entry.partner_id is None:
                entry.partner = hotline_partner
                entry.save(update_fields=["partner"])
                audit.record(
                    actor=system,
                    action="routing.hotline_save",
                    object_type="hotline",
                    object_id=entry.pk,
                    data={"partner": hotline_partner.pk, "demo": True},
                )
    lines = []
    marker = f"https://{HOME_HOST}/"
    if not Report.objects.filter(content_items__host=HOME_HOST).exists():
        raw = {
            "reporter": "professional",
            "age_band": "13_15",
            "language": "en",
            "categories": ["csam"],
            "details": "Demo: two links found by a moderator, one hosted here, one abroad.",
            "urls": URLS,
            "safe_now": None,
            "contact": {"kind": "none"},
        }
        created = intake_services.report_create(data=validate_report(raw), channel="web")
        lines.append(
            f"Demo takedown case {created.report.case_id}: {marker}… (at home, {ISP}) and "
            f"https://{ABROAD_HOST}/… (Germany, {HOTLINE}). Assess each link on the case "
            "page as analyst, confirm the proposed routing, and watch the worker print the "
            "notice e-mails with their secure links."
        )
    return lines
