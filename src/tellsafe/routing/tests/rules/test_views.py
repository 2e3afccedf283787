"""The routing pages: every one against every role, and the flows on the case page
as a person without JavaScript goes through them (plain forms, CSRF enforced)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tellsafe.accounts.tests.factories import assert_access, login, staff
from tellsafe.cases.models import Approval
from tellsafe.core.models import AuditEvent
from tellsafe.partners.models import Partner
from tellsafe.routing.notices.models import Notice
from tellsafe.routing.rules.models import Assessment, Hotline, PoliceHold, RoutingRule
from tellsafe.routing.tests.rules import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tellsafe.routing.tests.rules.urls")]

ROLES = ["anonymous", "counsellor", "analyst", "supervisor", "administrator", "auditor"]
C, A, S, AD, AU = "counsellor", "analyst", "supervisor", "administrator", "auditor"

# url name -> (method, roles allowed). Written out by hand: it is the design.
ROUTING = {
    "assess": ("post", {C, A, S}),
    "confirm": ("post", {C, A, S}),
    "hold_set": ("post", {S}),
    "hold_release": ("post", {S}),
    "rules": ("get", {AD}),
    "rule_new": ("get", {AD}),
    "rule": ("get", {AD}),
    "hotlines": ("get", {AD}),
    "hotline_new": ("get", {AD}),
    "hotline": ("get", {AD}),
}


def _routing_names():
    names = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "routing":
            names |= {p.name for p in pattern.url_patterns if isinstance(p, URLPattern)}
    return names


def test_every_routing_view_is_in_the_matrix():
    assert _routing_names() == set(ROUTING)


@pytest.fixture
def world():
    item = f.item("isp.example.in")
    return {"item": item, "case": item.case}


def _url(name, world):
    case, item = world["case"], world["item"]
    if name in ("assess", "confirm"):
        return reverse(f"routing:{name}", args=[case.pk, item.pk])
    if name.startswith("hold"):
        return reverse(f"routing:{name}", args=[case.pk])
    if name == "rule":
        return reverse("routing:rule", args=[RoutingRule.objects.first().pk])
    if name == "hotline":
        return reverse("routing:hotline", args=[Hotline.objects.first().pk])
    return reverse(f"routing:{name}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROUTING))
def test_routing_matrix(client, world, role, name):
    method, allowed = ROUTING[name]
    if role != "anonymous":
        login(client, staff(role, team="north"))
    assert_access(getattr(client, method)(_url(name, world)), role, allowed)


@pytest.mark.parametrize("role", ROLES[1:])
def test_password_without_second_factor_sees_nothing(client, world, role):
    client.force_login(staff(role))
    for name, (method, _allowed) in ROUTING.items():
        response = getattr(client, method)(_url(name, world))
        assert response.status_code == 302, name
        assert response["Location"].startswith("/desk/account/second-factor/"), name


# --- the case page, without JavaScript -------------------------------------------------


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def browser():
    return Client(enforce_csrf_checks=True)


def _page(browser, case):
    response = browser.get(reverse("desk:case", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _messages(browser, response):
    assert response.status_code == 302
    return browser.get(response["Location"]).content.decode()


def test_an_analyst_assesses_and_confirms_on_the_case_page(browser):
    isp = f.receiver(asns=(55836,))
    item = f.item("isp.example.in")
    f.trace(item)
    user = staff("analyst", team="")
    login(browser, user)
    html = _page(browser, item.case)
    assert (
        f'id="routing-{item.pk}"' in html and "Nothing proposed yet: assess the item first" in html
    )
    assert "AS55836" in html and "In this country" in html
    assert "Set police hold" not in html  # supervisors only
    response = browser.post(
        reverse("routing:assess", args=[item.case_id, item.pk]),
        {
            "csrfmiddlewaretoken": _csrf(html),
            "category": "csam",
            "legal_status": "baseline",
            "age_band": "prepubescent",
            "flags": ["self_generated"],
        },
    )
    assert response["Location"].endswith(f"#routing-{item.pk}")
    html = _messages(browser, response)
    assert "Assessment saved" in html
    assessment = Assessment.objects.get(content_item=item)
    assert (assessment.legal_status, assessment.flags, assessment.assessed_by_id) == (
        "baseline",
        ["self_generated"],
        user.pk,
    )
    key = f"takedown_notice:partner:{isp.pk}"
    assert f'name="chosen" value="{key}" checked' in html
    assert "Confirm the ticked destinations" in html
    response = browser.post(
        reverse("routing:confirm", args=[item.case_id, item.pk]),
        {"csrfmiddlewaretoken": _csrf(html), "chosen": [key]},
    )
    html = _messages(browser, response)
    notice = Notice.objects.get(content_item=item)
    assert f"1 notice(s) made: {notice.reference}" in html
    assert notice.reference in html and "Last decision" in html
    assert "<script" not in html.split("</head>", 1)[1]  # the panel needs no script


def test_problems_come_back_as_messages_not_errors(browser):
    item = f.item("isp.example.in")
    f.trace(item)
    login(browser, staff("analyst", team=""))
    html = _page(browser, item.case)
    response = browser.post(
        reverse("routing:assess", args=[item.case_id, item.pk]),
        {"csrfmiddlewaretoken": _csrf(html), "category": "nope", "legal_status": "maybe"},
    )
    html = _messages(browser, response)
    assert "Check the assessment." in html and "legal status:" in html
    assert not Assessment.objects.exists()
    response = browser.post(
        reverse("routing:confirm", args=[item.case_id, item.pk]),
        {"csrfmiddlewaretoken": _csrf(html)},
    )
    assert "Tick at least one destination." in _messages(browser, response)


def test_an_item_of_another_case_is_not_found(client):
    item, other = f.item(), f.item()
    login(client, staff("analyst", team=""))
    url = reverse("routing:assess", args=[item.case_id, other.pk])
    assert client.post(url, {"category": "csam", "legal_status": "baseline"}).status_code == 404
    assert not Assessment.objects.exists()


def test_a_supervisor_holds_the_case_and_releases_the_held_notices(browser):
    isp = f.receiver(asns=(55836,))
    item = f.item("isp.example.in")
    f.trace(item)
    f.assess(item)
    boss = staff("supervisor", team="")
    login(browser, boss)
    html = _page(browser, item.case)
    response = browser.post(
        reverse("routing:hold_set", args=[item.case_id]),
        {"csrfmiddlewaretoken": _csrf(html), "agency": "Cyber Cell", "reason": "Op Kite"},
    )
    assert response["Location"].endswith("#routing-hold")
    html = _messages(browser, response)
    assert "Police hold set" in html and "asked by Cyber Cell" in html
    assert "Op Kite" not in html  # the reason stays in the database, encrypted
    assert "held for the police until the hold is released" in html
    response = browser.post(
        reverse("routing:confirm", args=[item.case_id, item.pk]),
        {"csrfmiddlewaretoken": _csrf(html), "chosen": [f"takedown_notice:partner:{isp.pk}"]},
    )
    html = _messages(browser, response)
    assert "(1 held for the police)" in html
    assert Notice.objects.get().status == "held"
    response = browser.post(
        reverse("routing:hold_release", args=[item.case_id]), {"csrfmiddlewaretoken": _csrf(html)}
    )
    html = _messages(browser, response)
    assert "1 held notice(s) queued for sending" in html
    assert Notice.objects.get().status == "queued"
    assert PoliceHold.objects.get().released_by_id == boss.pk
    response = browser.post(
        reverse("routing:hold_release", args=[item.case_id]), {"csrfmiddlewaretoken": _csrf(html)}
    )
    assert "not on police hold" in _messages(browser, response)


def test_law_enforcement_confirmed_on_the_page_waits_for_a_supervisor(browser):
    item = f.item("gone.example.net", imminent=True)
    login(browser, staff("counsellor", team=""))
    html = _page(browser, item.case)
    key = f"law_enforcement:case:{item.case_id}"
    assert f'value="{key}" checked' in html
    response = browser.post(
        reverse("routing:confirm", args=[item.case_id, item.pk]),
        {"csrfmiddlewaretoken": _csrf(html), "chosen": [key]},
    )
    assert "a supervisor was asked to approve" in _messages(browser, response)
    assert Approval.objects.get(case=item.case).kind == "forward_police"


def test_an_auditor_sees_routing_but_no_form(client):
    item = f.item("isp.example.in")
    f.trace(item)
    f.assess(item)
    login(client, staff("auditor"))
    html = client.get(reverse("desk:case", args=[item.case_id])).content.decode()
    assert f'id="routing-{item.pk}"' in html and "Proposed destinations" in html
    assert 'name="chosen"' not in html and "Save assessment" not in html


# --- configuration ------------------------------------------------------------------------


def test_an_administrator_adds_a_rule_and_bad_parameters_are_refused(client):
    admin = staff("administrator")
    login(client, admin)
    page = client.get(reverse("routing:rules")).content.decode()
    assert "Hosted here: takedown notice to the host" in page and "ncmec_forward" in page
    data = {
        "position": "15",
        "name": "Generated material at home: police too",
        "legal_statuses": ["baseline", "national"],
        "hosting": ["domestic"],
        "flags": ["ai_generated"],
        "imminent_danger": "any",
        "destination": "law_enforcement",
        "params": '{"partner": "x"}',
        "active": "on",
    }
    response = client.post(reverse("routing:rule_new"), data)
    assert response.status_code == 400 and "Unknown parameter" in response.content.decode()
    response = client.post(reverse("routing:rule_new"), {**data, "params": "{oops"})
    assert response.status_code == 400 and "Not valid JSON" in response.content.decode()
    response = client.post(reverse("routing:rule_new"), {**data, "params": ""})
    assert response.status_code == 302
    rule = RoutingRule.objects.get(name="Generated material at home: police too")
    assert (rule.flags, rule.hosting, rule.destination, rule.active) == (
        ["ai_generated"],
        ["domestic"],
        "law_enforcement",
        True,
    )
    event = AuditEvent.objects.get(action="config.routing_rule")
    assert (event.actor_id, event.object_id) == (str(admin.pk), str(rule.pk))
    response = client.post(
        reverse("routing:rule", args=[rule.pk]), {**data, "params": "", "active": ""}
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert not rule.active


def test_an_administrator_links_and_checks_a_hotline(client):
    partner = f.receiver(Partner.Kind.HOTLINE, name="FSM (test)")
    hotline = Hotline.objects.get(country="DE", name="FSM Beschwerdestelle")
    assert hotline.checked_at is None
    login(client, staff("administrator"))
    page = client.get(reverse("routing:hotlines")).content.decode()
    assert "not checked yet" in page and "FSM Beschwerdestelle" in page
    data = {
        "country": "de",
        "name": "FSM Beschwerdestelle",
        "website": "https://www.fsm.de",
        "inhope_member": "on",
        "partner": str(partner.pk),
        "active": "on",
        "checked": "on",
    }
    response = client.post(reverse("routing:hotline", args=[hotline.pk]), data)
    assert response.status_code == 302
    hotline.refresh_from_db()
    assert (hotline.country, hotline.partner_id) == ("DE", partner.pk)
    assert hotline.checked_at is not None
    isp = f.receiver(Partner.Kind.ISP)
    response = client.post(reverse("routing:hotline_new"), {**data, "partner": str(isp.pk)})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = client.post(
        reverse("routing:hotline_new"),
        {**data, "name": "eco Complaints Office", "partner": "", "website": "ftp://x"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "already lists a hotline" in body and "starting with https://" in body
    assert Hotline.objects.filter(name="eco Complaints Office").count() == 1
