"""Report Remove in real headless Chromium: the image is hashed on the device, only the
hashes are posted, the child gets codes, and withdraws the hashes with them. Without
JavaScript the page explains itself and offers nothing to upload."""

from __future__ import annotations

import pytest

from tellsafe.intake.models import Report
from tellsafe.intake.tests.test_browser import page  # noqa: F401 - a fixture
from tellsafe.matching import hashing
from tellsafe.matching.models import BankHash
from tellsafe.matching.report_remove import BANK_NAME
from tellsafe.matching.tests import images

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG = images.encode(images.photo_like(640, 480, seed=21), "PNG")


def test_hash_on_the_device_send_only_hashes_then_withdraw(page):  # noqa: F811
    posted: list[bytes] = []
    page.on(
        "request",
        lambda r: posted.append(r.post_data_buffer or b"") if r.method == "POST" else None,
    )
    page.goto("/remove/")
    page.get_by_label("Me: I am 13 to 15").check()
    page.get_by_role("button", name="Next").click()
    page.wait_for_url("**/remove/?for=13_15")
    page.wait_for_load_state()
    assert "Stop a nude or sexual image of you spreading" in page.inner_text("h1")
    send = page.locator("#rr-send")
    assert send.is_disabled()
    page.set_input_files(
        "#rr-file", files=[{"name": "me.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.locator("#rr-numbers").wait_for(state="visible")
    expected = hashing.get("pdq").hash_bytes(PNG)
    shown = page.inner_text("#rr-show-pdq")
    assert shown == expected.value
    assert page.inner_text("#rr-show-sha256") == hashing.get("sha256").hash_bytes(PNG).value
    send.click()
    page.wait_for_url("**/remove/done/")
    codes = page.locator(".codes .code").all_inner_texts()
    report = Report.objects.get()
    assert codes[0] == report.reference
    # Only the codes left the device: the one POST is small and holds no image bytes.
    [body] = posted
    assert len(body) < 1000 and PNG[100:140] not in body and expected.value.encode() in body
    rows = BankHash.objects.filter(report=report, bank__name=BANK_NAME)
    assert {r.hash_type: r.value for r in rows}["pdq"] == expected.value

    page.get_by_role("link", name="Take back your code").click()
    page.get_by_label("Report code").fill(codes[0])
    page.get_by_label("Secret code").fill(codes[1])
    page.get_by_role("button", name="Take back your code").click()
    page.get_by_text("We stopped using the code of your photo.").wait_for()
    assert set(rows.values_list("status", flat=True)) == {"removed"}


def test_a_file_that_is_not_an_image_gets_a_kind_message(page):  # noqa: F811
    page.goto("/remove/?for=9_12")
    page.set_input_files(
        "#rr-file", files=[{"name": "x.txt", "mimeType": "text/plain", "buffer": b"hello"}]
    )
    page.get_by_text("We cannot read this file. Try another photo.").wait_for()
    assert page.locator("#rr-send").is_disabled()
    assert not Report.objects.exists()


def test_without_javascript_the_page_explains_and_offers_other_help(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/remove/?for=9_12")
        text = page.inner_text("main")
        assert "This page needs JavaScript" in text
        assert "We will never ask you to send the photo." in text
        assert page.get_by_role("link", name="Tell us what happened").is_visible()
        assert not page.locator("#rr-form").is_visible()
    finally:
        context.close()
