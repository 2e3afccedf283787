"""The secure confirmation page in headless Chromium: a real browser posts the form
(CSRF, referrer policy and all) without JavaScript."""

from __future__ import annotations

import pytest

from tellsafe.routing.notices import payload
from tellsafe.routing.notices.models import Notice
from tellsafe.routing.tests.notices import factories as f

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tellsafe.routing.tests.notices.urls"),
]


def test_partner_refuses_then_removes_in_a_browser_without_javascript(live_server, browser):
    notice = f.sent_notice()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + payload.LINK_PATH.format(token=payload.link_token(notice)))
    assert notice.reference in page.inner_text("h1")
    assert "Child sexual abuse material" in page.inner_text("main")
    page.click("button:has-text('Refused')")  # the reason is required: the browser asks
    assert Notice.objects.get(pk=notice.pk).outcome == ""
    page.fill("#reason", "Needs a court order")
    page.click("button:has-text('Refused')")
    assert "We recorded your answer" in page.inner_text("main")
    assert Notice.objects.get(pk=notice.pk).outcome == "refused"
    page.click("button:has-text('Removed')")
    row = Notice.objects.get(pk=notice.pk)
    assert (row.outcome, row.response_via) == ("removed", "link")
    context.close()
