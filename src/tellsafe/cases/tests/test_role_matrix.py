"""Every desk view and every API endpoint against every role, plus anonymous: allowed or
refused exactly as designed. The table is written out by hand on purpose: it is the
design, and a new view without a row here fails the test."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tellsafe.accounts.tests.factories import assert_access, login, staff
from tellsafe.cases.models import Approval
from tellsafe.intake.tests.factories import make_report

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "counsellor", "analyst", "supervisor", "administrator", "auditor"]
C, A, S, AD, AU = "counsellor", "analyst", "supervisor", "administrator", "auditor"

# url name -> (method, roles allowed)
DESK = {
    "queue": ("get", {C, A, S}),
    "claim_next": ("post", {C, A, S}),
    "case": ("get", {C, A, S, AU}),
    "case_claim": ("post", {C, A, S}),
    "case_assign": ("post", {C, A, S}),
    "case_status": ("post", {C, A, S}),
    "case_note": ("post", {C, A, S}),
    "case_message": ("post", {C, S}),
    "case_approval": ("post", {C, A, S}),
    "case_merge": ("post", {C, A, S}),
    "report_move": ("post", {C, A, S}),
    "phone_report": ("get", {C, S}),
    "contact_new": ("get", {C, S}),
    "approvals": ("get", {S}),
    "approval_decide": ("post", {S}),
    "attention": ("get", {S}),
    "audit": ("get", {AU}),
    "audit_export": ("get", {AU}),
    "urgency_rules": ("get", {AD}),
    "urgency_rule_new": ("get", {AD}),
    "urgency_rule": ("get", {AD}),
    "chat_flow": ("get", {AD}),
}
# Public pages and the public API: open to everyone, including anonymous.
PUBLIC = [
    "intake:home",
    "intake:safety",
    "intake:help",
    "intake:who",
    "intake:status",
    "matching:remove",
    "matching:remove_withdraw",
    "api:taxonomy",
    "healthz",
    "readyz",
]


def _desk_names():
    names = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver) and pattern.namespace == "desk":
            names |= {p.name for p in pattern.url_patterns if isinstance(p, URLPattern)}
    return names


def test_every_desk_view_is_in_the_matrix():
    assert _desk_names() == set(DESK)


@pytest.fixture
def world():
    case = make_report().report.case  # in the shared queue: in everyone's scope
    requester = staff(C, username="requester")
    approval = Approval.objects.create(
        case=case,
        kind="close_no_action",
        requested_by=requester,
        requested_at=case.created_at,
        reason="x",
    )
    return {"case": case, "approval": approval}


def _url(name, world):
    if name.startswith(("case", "report_move")):
        return reverse(f"desk:{name}", args=[world["case"].pk])
    if name == "approval_decide":
        return reverse("desk:approval_decide", args=[world["approval"].pk])
    if name == "urgency_rule":
        from tellsafe.cases.models import UrgencyRule

        return reverse("desk:urgency_rule", args=[UrgencyRule.objects.first().pk])
    return reverse(f"desk:{name}")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(DESK))
def test_desk_matrix(client, world, role, name):
    method, allowed = DESK[name]
    if role != "anonymous":
        login(client, staff(role, team="north"))
    assert_access(getattr(client, method)(_url(name, world)), role, allowed)


@pytest.mark.parametrize("role", ROLES)
def test_password_without_second_factor_sees_nothing(client, world, role):
    if role == "anonymous":
        return
    client.force_login(staff(role))
    for name, (method, _allowed) in DESK.items():
        response = getattr(client, method)(_url(name, world))
        assert response.status_code == 302, name
        assert response["Location"].startswith("/desk/account/second-factor/"), name


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", PUBLIC)
def test_public_pages_and_api_are_open(client, role, name):
    if role != "anonymous":
        login(client, staff(role))
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_public_report_api_is_open_to_all(client, role):
    import json

    from tellsafe.intake.tests.factories import report_data

    if role != "anonymous":
        login(client, staff(role))
    response = client.post(
        "/api/v1/reports", json.dumps(report_data()), content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    status = client.get(
        f"/api/v1/reports/{body['reference']}/status", headers={"X-Passphrase": body["passphrase"]}
    )
    assert status.status_code == 200
