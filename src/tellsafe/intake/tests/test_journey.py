"""The web journey with JavaScript off: the Django test client posts each form, as a
browser without scripts would."""

import pytest
from django.db import connection

from tellsafe.cases.models import Case, ContentItem
from tellsafe.core.models import AuditEvent
from tellsafe.intake.models import Report
from tellsafe.referrals.models import EmergencyNumber

pytestmark = pytest.mark.django_db

STORY = "A man in a game asked me for photos and now says he will share them."


def walk(client, *, reporter="child", age="9_12", safe="yes", contact=("none", "")):
    assert client.post("/report/who/", {"reporter": reporter}).status_code == 302
    assert client.post("/report/age/", {"age_band": age}).status_code == 302
    assert (
        client.post("/report/what/", {"concerns": ["asked_pictures", "threat_share"]}).status_code
        == 302
    )
    response = client.post(
        "/report/details/",
        {
            "details": STORY,
            "link_count": "3",
            "url_0": "insta.example/some.account",
            "url_1": "https://chat.example/m/1",
            "url_2": "",
        },
    )
    assert response.status_code == 302
    response = client.post("/report/safe/", {"safe": safe})
    assert response.status_code == 302
    if safe == "no":
        assert response["Location"] == "/report/help-now/"
    response = client.post(
        "/report/contact/", {"contact_kind": contact[0], "contact_value": contact[1]}
    )
    assert response["Location"] == "/report/check/"
    check = client.get("/report/check/")
    assert check.status_code == 200
    return client.post("/report/check/")


def test_whole_journey_creates_one_case_and_shows_codes(client):
    response = walk(client)
    assert response["Location"] == "/report/done/"
    done = client.get("/report/done/")
    report = Report.objects.get()
    assert report.channel == "web" and report.reporter_kind == "child"
    assert report.details == STORY
    assert set(report.categories.values_list("code", flat=True)) == {
        "grooming",
        "self_generated",
        "sextortion",
        "image_sharing",
    }
    assert report.case.urgency == "high"  # sextortion
    urls = sorted(ContentItem.objects.values_list("host", flat=True))
    assert urls == ["chat.example", "insta.example"]
    html = done.content.decode()
    assert report.reference in html
    assert "Thank you. We got your report." in html
    assert "within 1 day" in html
    # The passphrase on the page opens the report.
    passphrase = client.session["done"]["passphrase"]
    assert passphrase in html
    assert AuditEvent.objects.filter(action="report.create", object_id=str(report.case_id)).exists()


def test_sending_twice_makes_one_report(client):
    walk(client)
    client.post("/report/check/")
    assert Report.objects.count() == 1


def test_wording_follows_the_age_band(client):
    client.post("/report/who/", {"reporter": "child"})
    client.post("/report/age/", {"age_band": "under_9"})
    young = client.get("/report/what/").content.decode()
    assert "Someone asked me for photos of my body" in young
    client.post("/report/age/", {"age_band": "13_15"})
    teen = client.get("/report/what/").content.decode()
    assert "Someone asked me for nude or sexual pictures" in teen
    client.post("/report/who/", {"reporter": "caregiver"})
    adult = client.get("/report/what/").content.decode()
    assert "Someone asked the child for nude or sexual pictures" in adult
    assert "How old is the child?" in client.get("/report/age/").content.decode()


def test_not_safe_shows_emergency_numbers_and_marks_imminent_danger(client):
    EmergencyNumber.objects.create(names={"en": "Police"}, number="112")
    client.post("/report/who/", {"reporter": "child"})
    client.post("/report/age/", {"age_band": "9_12"})
    client.post("/report/what/", {"concerns": ["wants_meet"]})
    client.post("/report/details/", {"details": "", "link_count": "3"})
    response = client.post("/report/safe/", {"safe": "no"})
    page = client.get(response["Location"]).content.decode()
    assert "tel:112" in page and "Get help right now" in page
    # Every later page keeps the numbers in view.
    assert "tel:112" in client.get("/report/contact/").content.decode()
    client.post("/report/contact/", {"contact_kind": "none"})
    client.post("/report/check/")
    case = Case.objects.get()
    assert case.imminent_danger and case.urgency == "imminent"
    assert "within 15 minutes" in client.get("/report/done/").content.decode()


def test_contact_is_validated_and_stored_encrypted(client):
    client.post("/report/who/", {"reporter": "child"})
    bad = client.post("/report/contact/", {"contact_kind": "sms", "contact_value": "12"})
    assert bad.status_code == 400
    assert "This phone number does not look right." in bad.content.decode()
    walk(client, contact=("whatsapp", "98765 43210"))
    report = Report.objects.get()
    assert report.contact_value == "+919876543210"
    assert len(report.contact_hash) == 64


def test_nothing_readable_in_the_raw_database(client):
    walk(client, contact=("email", "Child@Example.org"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT details, contact_value FROM intake_report")
        details, contact = cursor.fetchone()
        cursor.execute("SELECT url FROM cases_contentitem")
        urls = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT session_data FROM django_session")
        sessions = [row[0] for row in cursor.fetchall()]
    assert details.startswith("v1.") and "photos" not in details
    assert contact.startswith("v1.") and "Example" not in contact
    assert all(u.startswith("v1.") and "insta" not in u for u in urls)
    assert sessions and all("photos" not in s and s.startswith("v1.") for s in sessions)


def test_a_step_skipped_leads_back_to_it(client):
    response = client.get("/report/check/")
    assert response["Location"] == "/report/who/"
    client.post("/report/who/", {"reporter": "child"})
    response = client.post("/report/what/", {"concerns": ["bullying"]})
    assert response["Location"] == "/report/age/"  # answer kept, missing step asked


def test_change_from_check_returns_to_check(client):
    walk(client)  # sends; start again for a new draft
    client.post("/report/who/", {"reporter": "child"})
    client.post("/report/age/", {"age_band": "9_12"})
    client.post("/report/what/", {"concerns": ["bullying"]})
    client.post("/report/details/", {"details": "x", "link_count": "3"})
    client.post("/report/safe/", {"safe": "yes"})
    client.post("/report/contact/", {"contact_kind": "none"})
    response = client.post("/report/age/", {"age_band": "13_15", "back": "check"})
    assert response["Location"] == "/report/check/"


def test_add_another_link_without_javascript(client):
    client.post("/report/who/", {"reporter": "child"})
    response = client.post(
        "/report/details/",
        {"details": "keep me", "link_count": "3", "url_0": "a.example", "add_link": "1"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="url_3"' in html and "keep me" in html


def test_quick_exit_forgets_the_draft(client):
    client.post("/report/who/", {"reporter": "child"})
    client.post("/report/details/", {"details": STORY, "link_count": "3"})
    response = client.get("/x/")
    assert response.status_code == 302
    assert response["Location"].startswith("https://")
    assert "cookies" in response["Clear-Site-Data"]
    assert response["Cache-Control"] == "no-store"
    assert "draft" not in client.session
    assert STORY not in client.get("/report/details/").content.decode()


def test_every_public_page_has_the_quick_exit(client):
    for path in ["/", "/safety/", "/help/", "/report/who/", "/status/"]:
        html = client.get(path).content.decode()
        assert 'class="exit-button exit-link" href="/x/"' in html, path
        assert 'class="skip exit-link" href="/x/"' in html, path


def test_pages_are_not_cached(client):
    assert client.get("/report/who/")["Cache-Control"] == "no-store"


def test_reading_a_page_leaves_no_session(client):
    from django.contrib.sessions.models import Session

    for path in ["/", "/safety/", "/help/"]:  # pages with a form need a session
        client.get(path)
    assert Session.objects.count() == 0


def test_language_switch_by_link_keeps_the_page(client):
    response = client.get("/lang/ur/?next=/safety/")
    assert response["Location"] == "/safety/"
    page = client.get("/safety/").content.decode()
    assert 'lang="ur" dir="rtl"' in page
    assert client.get("/lang/ur/?next=https://evil.example/")["Location"] == "/"
