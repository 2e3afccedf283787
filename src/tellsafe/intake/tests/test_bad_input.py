"""Every bad input gets a clear error, in the reporter's language, never a 500, and never
a half-saved record."""

import json

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tellsafe.cases.models import Case
from tellsafe.core.models import AuditEvent
from tellsafe.intake.models import Report
from tellsafe.intake.tests.factories import report_data

pytestmark = pytest.mark.django_db


def post(client, body, **headers):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/api/v1/reports", raw, content_type="application/json", headers=headers)


def assert_nothing_saved():
    assert Report.objects.count() == 0
    assert Case.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def assert_error_shape(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "message", "fields"}
    assert body["error"] == code
    return body


def test_oversize_body_is_413(client):
    huge = json.dumps(report_data(details="x" * (settings.MAX_BODY_BYTES + 1)))
    assert_error_shape(post(client, huge), 413, "payload_too_large")
    page = client.post("/report/details/", {"details": "x" * (settings.MAX_BODY_BYTES + 1)})
    assert page.status_code == 413 and b"too big" in page.content
    assert_nothing_saved()


def test_too_many_urls(client):
    urls = [f"https://e.example/{i}" for i in range(settings.MAX_REPORT_URLS + 1)]
    body = assert_error_shape(post(client, report_data(urls=urls)), 422, "invalid_report")
    assert "at most" in body["fields"]["urls"][0]
    assert_nothing_saved()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "ftp://e.example/x",
        "https://",
        "javascript:alert(1)",
        "http://exa mple.com",
        "https://e.example/" + "a" * 3000,
    ],
)
def test_malformed_urls(client, url):
    body = assert_error_shape(
        post(client, report_data(urls=["https://ok.example", url])), 422, "invalid_report"
    )
    assert "urls.1" in body["fields"]
    assert_nothing_saved()


@pytest.mark.parametrize("field", ["details", "contact"])
@pytest.mark.parametrize("bad", ["a\x00b", "bell\x07", "esc\x1b[31m", "c1\x85", "\ud800"])
def test_control_characters(client, field, bad):
    data = (
        report_data(details=bad)
        if field == "details"
        else report_data(contact={"kind": "email", "value": "a@b.example" + bad})
    )
    raw = json.dumps(data)  # \ud800 is sent as a JSON escape, as a client would
    body = assert_error_shape(post(client, raw), 422, "invalid_report")
    key = "details" if field == "details" else "contact.value"
    assert "characters we cannot read" in body["fields"][key][0]
    assert_nothing_saved()


def test_control_characters_in_the_web_form(client):
    client.post("/report/who/", {"reporter": "child"})
    response = client.post("/report/details/", {"details": "hi\x00there", "link_count": "3"})
    assert response.status_code == 400
    assert "characters we cannot read" in response.content.decode()


def test_unknown_language_falls_back_to_the_default(client):
    response = post(client, report_data(language="xx-zz"))
    assert response.status_code == 201
    assert Report.objects.get().language == "en"


def test_errors_come_in_the_reporters_language(client):
    body = assert_error_shape(
        post(client, report_data(language="hi", categories=["nope"])), 422, "invalid_report"
    )
    english = "We do not know this choice: nope"
    assert body["fields"]["categories"][0] != english
    assert "nope" in body["fields"]["categories"][0]


def test_unknown_category(client):
    body = assert_error_shape(
        post(client, report_data(categories=["sextortion", "made_up"])), 422, "invalid_report"
    )
    assert "made_up" in body["fields"]["categories"][0]
    assert_nothing_saved()


@pytest.mark.parametrize(
    "patch,field",
    [
        ({"reporter": "alien"}, "reporter"),
        ({"age_band": "7"}, "age_band"),
        ({"categories": []}, "categories"),
        ({"categories": "csam"}, "categories"),
        ({"safe_now": "no"}, "safe_now"),
        ({"details": 5}, "details"),
        ({"details": "x" * 6000}, "details"),
        ({"urls": "https://a.example"}, "urls"),
        ({"urls": [5]}, "urls.0"),
        ({"contact": {"kind": "pigeon"}}, "contact.kind"),
        ({"contact": {"kind": "sms", "value": ""}}, "contact.value"),
        ({"contact": {"kind": "sms", "value": "12"}}, "contact.value"),
        ({"contact": {"kind": "email", "value": "not-an-email"}}, "contact.value"),
        ({"contact": "email"}, "contact"),
    ],
)
def test_each_field_is_validated(client, patch, field):
    body = assert_error_shape(post(client, report_data(**patch)), 422, "invalid_report")
    assert field in body["fields"], body
    assert_nothing_saved()


@pytest.mark.parametrize("raw", [b"{", b"[]", b"null", b"\xff\xfe", b""])
def test_not_json_or_not_an_object(client, raw):
    assert_error_shape(post(client, raw), 400, "invalid_json")
    assert_nothing_saved()


def test_bad_idempotency_key(client):
    assert_error_shape(
        post(client, report_data(), **{"Idempotency-Key": "x" * 300}),
        400,
        "invalid_idempotency_key",
    )


@hsettings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.dictionaries(
        st.sampled_from(
            [
                "reporter",
                "age_band",
                "language",
                "categories",
                "details",
                "urls",
                "safe_now",
                "contact",
                "other",
            ]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=30),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(st.text(max_size=8), children, max_size=3)
            ),
            max_leaves=8,
        ),
    )
)
def test_no_body_ever_gets_a_500(client, body):
    response = post(client, body)
    assert response.status_code in (201, 400, 409, 422, 429)
    assert set(response.json()) in (
        {"error", "message", "fields"},
        {"reference", "passphrase", "status_url"},
    )


def test_missing_csrf_token_lets_the_child_retry_without_losing_words(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.get("/report/who/")
    response = strict.post(
        "/report/details/", {"details": "my words stay", "link_count": "3", "url_0": "a.example"}
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "Please press the button again" in html
    assert 'value="my words stay"' in html and 'action="/report/details/"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    # Pressing "Try again" posts the same words with the fresh token.
    token = html.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    retry = strict.post(
        "/report/details/",
        {
            "csrfmiddlewaretoken": token,
            "details": "my words stay",
            "link_count": "3",
            "url_0": "a.example",
        },
    )
    assert retry.status_code == 302
    assert strict.session["draft"]["details"] == "my words stay"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"We cannot find this page" in response.content
