"""The newcomer's takedown walk-through, end to end on the demo data: a report with two
URLs (one hosted at home by a partner ISP, one abroad) is traced, an analyst assesses
both and accepts the proposed routing, the notices go out through the demo transport
(e-mail), the ISP confirms removal through its secure link, and the removal time shows
in the ISP's figures."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tellsafe.accounts.tests.factories import login, staff
from tellsafe.cases.models import ContentItem
from tellsafe.partners.models import Partner
from tellsafe.routing import demo, services
from tellsafe.routing.notices import stats
from tellsafe.routing.notices.delivery import notice_deliver
from tellsafe.routing.notices.models import Notice
from tellsafe.routing.rules.engine import propose
from tellsafe.routing.rules.services import assessment_record, routing_confirm

pytestmark = pytest.mark.django_db


def test_demo_report_is_traced_routed_noticed_and_removed(client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.TRACE_RECORDED_ANSWERS_FILE = str(tmp_path / "demo" / "dns.json")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("demo", stdout=io.StringIO())
    home = ContentItem.objects.get(host=demo.HOME_HOST)
    abroad = ContentItem.objects.get(host=demo.ABROAD_HOST)

    # Both URLs are traced (offline: the demo answers), without fetching anything.
    home_trace = services.trace_content_item(item=home)
    abroad_trace = services.trace_content_item(item=abroad)
    assert (home_trace.country, home_trace.asn) == ("IN", 9829)
    assert (abroad_trace.country, abroad_trace.asn) == ("DE", 6724)

    analyst = staff("analyst")
    for item in (home, abroad):
        assessment_record(item=item, category="csam", legal_status="baseline", actor=analyst)
    home_offer = {p.plugin: p for p in propose(home)}
    # Every hotline in the country is offered; only the linked one can take a notice.
    abroad_offer = {p.plugin: p for p in propose(abroad) if p.can_confirm}
    assert home_offer["takedown_notice"].target_name == demo.ISP
    assert home_offer["takedown_notice"].can_confirm
    forward = abroad_offer["hotline_forward"]
    assert Partner.objects.get(pk=forward.target_id).name == demo.HOTLINE
    routing_confirm(item=home, chosen=[home_offer["takedown_notice"].key], actor=analyst)
    routing_confirm(item=abroad, chosen=[abroad_offer["hotline_forward"].key], actor=analyst)

    notices = {n.partner.name: n for n in Notice.objects.select_related("partner")}
    assert {n.kind for n in notices.values()} == {"takedown", "forward"}
    for notice in notices.values():
        notice_deliver(notice_id=notice.pk)
    to_isp = next(m for m in mail.outbox if "abuse@demo-isp.example" in m.to)
    body = to_isp.body
    assert "isp-hosted.example/album/1234" in body and "abroad.example" not in body
    assert "Demo: two links" not in body  # the narrative never leaves
    link = re.search(r"https?://[^\s]+/notice/([^/\s]+)/", body)
    assert link, body

    # The ISP confirms removal through its secure link, without signing in.
    page = client.get(reverse("notices:confirm", args=[link.group(1)]))
    assert page.status_code == 200 and "isp-hosted.example" in page.content.decode()
    client.post(reverse("notices:confirm", args=[link.group(1)]), {"outcome": "removed"})
    notice = Notice.objects.get(pk=notices[demo.ISP].pk)
    assert notice.status == "removed" and notice.removed_at >= notice.sent_at

    figures = {row.partner_name: row for row in stats.removal_stats().partners}
    assert figures[demo.ISP].removed == 1 and figures[demo.ISP].median_hours is not None
    assert figures[demo.HOTLINE].open == 1
    login(client, staff("supervisor"))
    assert demo.ISP in client.get(reverse("notices:stats")).content.decode()
