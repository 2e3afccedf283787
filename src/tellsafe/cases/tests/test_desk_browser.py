"""A counsellor and a supervisor work a case in real headless Chromium: sign in with
TOTP, claim, read, note, message the child, change status, close with approval. The
child sees each change on their status page."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts.tests.factories import PASSWORD, staff, totp_code
from tellsafe.cases.models import Case
from tellsafe.intake.tests.factories import make_report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user, steps_ahead=0):
    page.goto("/desk/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    key = TOTPDevice.objects.get(user=user, confirmed=True).bin_key
    page.get_by_label("6-digit code").fill(totp_code(key, steps_ahead=steps_ahead))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_counsellor_and_supervisor_work_a_case(browser, live_server):
    counsellor = staff("counsellor", team="north", username="asha")
    supervisor = staff("supervisor", team="north", username="sam")
    created = make_report(age_band="9_12", categories=["cyberbullying"])
    case = created.report.case

    desk = browser.new_context(base_url=live_server.url).new_page()
    sign_in(desk, counsellor)
    assert "Triage queue" in desk.inner_text("h1")
    desk.get_by_role("button", name="Claim next case").click()
    desk.wait_for_url(f"**/desk/cases/{case.pk}/")
    assert "He says he will send my photos" in desk.content()
    desk.get_by_label("Add a note").fill("Spoke to school counsellor.")
    desk.get_by_role("button", name="Add note").click()
    desk.get_by_text("Note added.").wait_for()
    desk.get_by_label("Template", exact=True).select_option("reading")
    desk.get_by_role("button", name="Send to the reporter").click()
    desk.get_by_text("Message sent.").wait_for()
    desk.get_by_label("New status").select_option("action_taken")
    desk.get_by_label("Action taken").select_option("notice_sent")
    desk.get_by_role("button", name="Save status").click()
    desk.get_by_text("Status saved.").wait_for()

    child = browser.new_context(base_url=live_server.url).new_page()
    child.goto("/status/")
    child.get_by_label("Report code").fill(created.report.reference)
    child.get_by_label("Secret code").fill(created.passphrase)
    child.get_by_role("button", name="Show my report").click()
    child.wait_for_url("**/status/view/")
    assert "We asked the website to remove it." in child.inner_text(".status-now")
    assert "Someone from our team is reading your report now." in child.content()

    # Closing with no action needs a supervisor.
    desk.get_by_label("New status").select_option("closed")
    desk.get_by_label("No action possible (needs approval)").check()
    desk.get_by_role("button", name="Save status").click()
    desk.get_by_text("needs a supervisor's approval").wait_for()
    desk.get_by_label("Why").fill("Account already deleted by the platform.")
    desk.get_by_role("button", name="Request approval").click()
    desk.get_by_text("Approval requested.").wait_for()

    boss = browser.new_context(base_url=live_server.url).new_page()
    sign_in(boss, supervisor, steps_ahead=1)
    boss.goto("/desk/approvals/")
    boss.get_by_role("button", name="Approve").click()
    boss.get_by_text("Decision recorded.").wait_for()

    desk.goto(f"/desk/cases/{case.pk}/")
    desk.get_by_label("New status").select_option("closed")
    desk.get_by_label("No action possible (needs approval)").check()
    desk.get_by_role("button", name="Save status").click()
    desk.get_by_text("Status saved.").wait_for()
    assert Case.objects.get(pk=case.pk).status == "closed"
    child.reload()
    assert "We have finished. Here is what we did." in child.content()
    assert "We could not do more this time." in child.content()
    assert "How did we do?" in child.content()
