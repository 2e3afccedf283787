"""The journey in real headless Chromium (Debian's package, driven by Playwright), with
JavaScript on: quick exit by button and by Shift x3, instant emergency help, the whole
report, and the status page."""

import pytest
from django.test import override_settings

from tellsafe.intake.models import Report
from tellsafe.referrals.models import EmergencyNumber

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    # Nothing may leave the machine: any request to another host fails the test.
    outside = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server.url)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    yield page
    context.close()
    assert not outside, f"third-party requests: {outside}"


def test_report_end_to_end_with_javascript(page, live_server):
    EmergencyNumber.objects.create(names={"en": "Police"}, number="112")
    page.goto("/")
    page.get_by_role("link", name="Start").first.click()
    page.get_by_label("I am a child or young person").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("13 to 15").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Someone is threatening to share pictures of me").check()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("What happened").fill("He wants money or he will post my photos.")
    page.get_by_label("Link 1").fill("social.example/u/bad")
    page.get_by_role("button", name="Next").click()

    # "No" shows emergency help at once, before anything is sent.
    help_box = page.locator("#danger-now")
    assert not help_box.is_visible()
    page.get_by_label("No, I am not safe").check()
    assert help_box.is_visible()
    assert "112" in help_box.inner_text()
    page.get_by_label("I am not sure").check()
    assert not help_box.is_visible()
    page.get_by_label("Yes, I am safe").check()
    page.get_by_role("button", name="Next").click()

    page.get_by_label("No, do not contact me").check()
    page.get_by_role("button", name="Next").click()
    assert "Check your report" in page.inner_text("h1")
    page.get_by_role("button", name="Send my report").click()
    page.wait_for_load_state()
    assert "/report/done/" in page.url, page.inner_text("main")

    assert "Thank you. We got your report." in page.inner_text("h1")
    codes = page.locator(".codes .code").all_inner_texts()
    report = Report.objects.get()
    assert codes[0] == report.reference
    assert report.case.urgency == "high"

    page.goto("/status/")
    page.get_by_label("Report code").fill(codes[0].lower())
    page.get_by_label("Secret code").fill(codes[1])
    page.get_by_role("button", name="Show my report").click()
    page.wait_for_url("**/status/view/")
    assert "We got your report." in page.inner_text(".status-now")
    page.get_by_label("What do you want to add?").fill("He wrote again.")
    page.get_by_role("button", name="Add to my report").click()
    page.get_by_text("We added this to your report.").wait_for()


def test_quick_exit_button_leaves_and_forgets(page, live_server):
    with override_settings(QUICK_EXIT_URL=f"{live_server.url}/healthz"):
        page.goto("/report/who/")
        page.get_by_label("I am a child or young person").check()
        page.get_by_role("button", name="Next").click()
        page.wait_for_url("**/report/age/")
        page.get_by_role("link", name="Leave quickly").click()
        page.wait_for_url("**/healthz")
        # The page we left was replaced in the history (earlier pages stay: the safety
        # page says so), and the answers given so far are forgotten.
        page.go_back()
        assert not page.url.endswith("/report/age/")
        page.goto("/report/check/")
        assert page.url.endswith("/report/who/")  # the draft is gone


def test_shift_three_times_leaves(page, live_server):
    with override_settings(QUICK_EXIT_URL=f"{live_server.url}/healthz"):
        page.goto("/safety/")
        for _ in range(3):
            page.keyboard.press("Shift")
        page.wait_for_url("**/healthz")


def test_urdu_pages_are_right_to_left(page, live_server):
    page.goto("/")
    page.locator("footer a[hreflang=ur]").click()
    page.wait_for_load_state()
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("html", "lang") == "ur"


A11Y_PAGES = [
    "/",
    "/report/who/",
    "/report/age/",
    "/report/what/",
    "/report/details/",
    "/report/safe/",
    "/report/contact/",
    "/status/",
    "/safety/",
    "/help/",
    "/remove/",
    "/remove/?for=13_15",
    "/remove/withdraw/",
]


@pytest.mark.parametrize("language", ["en", "ur"])
def test_public_pages_pass_axe_wcag_2_2_aa(page, live_server, language):
    """Automated WCAG 2.2 A/AA checks (axe-core) on every step, left-to-right and
    right-to-left. Automated checks find only part of the problems; they are a floor."""
    from axe_playwright_python.sync_playwright import Axe

    EmergencyNumber.objects.create(names={"en": "Police"}, number="112")
    axe = Axe()
    page.goto("/")
    if language != "en":
        page.locator(f"footer a[hreflang={language}]").click()
        page.wait_for_load_state()
    problems = {}
    for path in A11Y_PAGES:
        page.goto(path)
        results = axe.run(
            page,
            options={
                "runOnly": {
                    "type": "tag",
                    "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"],
                }
            },
        )
        if results.violations_count:
            problems[path] = [(v["id"], v["help"]) for v in results.response["violations"]]
        if path == "/report/who/":  # answer so the later steps show their own page
            page.locator("input[value=child]").check()
            page.locator("button.primary").click()
    assert not problems, problems
