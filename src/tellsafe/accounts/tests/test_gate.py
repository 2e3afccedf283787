"""The second factor is mandatory: every desk URL sends a visitor who is not signed in to
the sign-in page, and one who gave only the password to the code page. Neither ever sees
a page, and nothing is read from a case."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tellsafe.accounts.tests.factories import PASSWORD, staff
from tellsafe.cases import services
from tellsafe.cases import urls as desk_urls
from tellsafe.cases.models import UrgencyRule
from tellsafe.core.models import AuditEvent
from tellsafe.intake.tests.factories import make_report

pytestmark = pytest.mark.django_db

DESK_URL_NAMES = [p.name for p in desk_urls.urlpatterns]


@pytest.fixture
def desk_values():
    """A value for the parameters desk URLs take, naming rows that exist: a view that
    looked a row up before checking the visitor would show it."""
    counsellor = staff("counsellor")
    case = make_report().report.case
    approval = services.approval_request(
        case=case, kind="close_no_action", reason="Nothing to act on.", actor=counsellor
    )
    rule = UrgencyRule.objects.order_by("pk").first()
    return {"case_id": case.pk, "approval_id": approval.pk, "rule_id": rule.pk}


def desk_url(name, values):
    pattern = next(p for p in desk_urls.urlpatterns if p.name == name)
    # A parameter not known here still gets a number: the gate comes before any lookup.
    kwargs = {param: values.get(param, 1) for param in pattern.pattern.converters}
    return reverse(f"desk:{name}", kwargs=kwargs)


def answers(client, url):
    """The answers to GET and POST, leaving out a method the view does not take."""
    found = [r for r in (client.get(url), client.post(url)) if r.status_code != 405]
    assert found, url
    return found


def case_reads():
    return AuditEvent.objects.exclude(action__startswith="auth.").count()


def test_desk_urls_are_named_so_the_tests_below_see_them_all():
    assert None not in DESK_URL_NAMES
    assert len(DESK_URL_NAMES) == len(set(DESK_URL_NAMES))
    assert "queue" in DESK_URL_NAMES


@pytest.mark.parametrize("name", DESK_URL_NAMES)
def test_anonymous_visitor_is_sent_to_sign_in(client, desk_values, name):
    url = desk_url(name, desk_values)
    before = case_reads()
    for response in answers(client, url):
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith(reverse("accounts:login") + "?next=")
        assert response.content == b""
    assert case_reads() == before


@pytest.mark.parametrize("name", DESK_URL_NAMES)
def test_password_without_code_is_sent_to_the_code_page(client, desk_values, name):
    url = desk_url(name, desk_values)
    user = staff("supervisor")  # the role that may do the most on the desk
    signed_in = client.post(
        reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
    )
    assert signed_in["Location"] == reverse("accounts:second_factor")
    before = case_reads()
    for response in answers(client, url):
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"] == reverse("accounts:second_factor")
        assert response.content == b""
    assert case_reads() == before
