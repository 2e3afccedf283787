"""Following a report: status in the reporter's words, adding more, and feedback."""

import pytest
from django.test import override_settings
from django.utils import timezone

from tellsafe.cases.models import Case, ContentItem, Message
from tellsafe.core.models import AuditEvent
from tellsafe.intake.models import Feedback
from tellsafe.intake.tests.factories import make_report

pytestmark = pytest.mark.django_db


def open_status(client, created, passphrase=None):
    return client.post(
        "/status/",
        {
            "reference": created.report.reference.lower(),
            "passphrase": passphrase or created.passphrase,
        },
    )


def test_status_shows_child_words_and_staff_messages(client):
    created = make_report(age_band="9_12")
    Message.objects.create(
        case=created.report.case,
        report=created.report,
        direction="out",
        body="Hello, we are looking at this now.",
        created_at=timezone.now(),
    )
    response = open_status(client, created)
    assert response["Location"] == "/status/view/"
    page = client.get("/status/view/").content.decode()
    assert "We got your report." in page
    assert "Hello, we are looking at this now." in page
    Case.objects.filter(pk=created.report.case_id).update(status="in_review")
    assert "Someone is reading it now." in client.get("/status/view/").content.decode()
    Case.objects.filter(pk=created.report.case_id).update(
        status="action_taken", action="notice_sent"
    )
    assert "We asked the website to remove it." in client.get("/status/view/").content.decode()
    Case.objects.filter(pk=created.report.case_id).update(action="content_removed")
    assert "It has been removed." in client.get("/status/view/").content.decode()
    assert AuditEvent.objects.filter(action="case.view_by_reporter").count() == 4


def test_codes_work_with_spaces_and_small_letters(client):
    created = make_report()
    messy = " " + created.passphrase.lower().replace("-", " ") + " "
    assert open_status(client, created, messy)["Location"] == "/status/view/"


def test_add_information_joins_the_same_case(client):
    created = make_report()
    open_status(client, created)
    response = client.post(
        "/status/add/", {"text": "He wrote again today.", "url": "new.example/post/2"}
    )
    assert response["Location"] == "/status/view/"
    assert "We added this to your report." in client.get("/status/view/").content.decode()
    message = Message.objects.get(direction="in")
    assert message.case_id == created.report.case_id and message.body == "He wrote again today."
    assert ContentItem.objects.filter(case=created.report.case, host="new.example").exists()
    assert Case.objects.count() == 1


def test_add_information_needs_the_codes_first(client):
    response = client.post("/status/add/", {"text": "x"})
    assert response["Location"] == "/status/"
    assert Message.objects.count() == 0


def test_add_information_refuses_bad_links_and_keeps_the_words(client):
    created = make_report()
    open_status(client, created)
    response = client.post("/status/add/", {"text": "keep these words", "url": "not a link"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "keep these words" in html and "does not look like a web link" in html
    assert Message.objects.count() == 0


def test_feedback_once_the_case_is_closed(client):
    created = make_report()
    open_status(client, created)
    assert "How did we do?" not in client.get("/status/view/").content.decode()
    Case.objects.filter(pk=created.report.case_id).update(
        status="closed", outcome_codes=["content_removed", "referred_support", "bogus"]
    )
    page = client.get("/status/view/").content.decode()
    assert "We have finished. Here is what we did." in page
    assert "The pictures or messages were taken down." in page
    assert "We asked people who help children to talk with you." in page
    assert "bogus" not in page
    assert "How did we do?" in page and "Did we listen to you?" in page
    response = client.post(
        "/status/feedback/",
        {"listened": "5", "understood": "4", "helped": "3", "comment": "thank you"},
    )
    assert response["Location"] == "/status/view/"
    feedback = Feedback.objects.get()
    assert (feedback.listened, feedback.understood, feedback.helped) == (5, 4, 3)
    assert feedback.comment == "thank you"
    assert "How did we do?" not in client.get("/status/view/").content.decode()
    again = client.post("/status/feedback/", {"listened": "1", "understood": "1", "helped": "1"})
    assert again.status_code == 302 and Feedback.objects.count() == 1


def test_feedback_scores_are_checked(client):
    created = make_report()
    Case.objects.filter(pk=created.report.case_id).update(status="closed")
    open_status(client, created)
    response = client.post("/status/feedback/", {"listened": "9", "understood": "1"})
    assert response.status_code == 400
    assert Feedback.objects.count() == 0


def test_feedback_refused_while_the_case_is_open(client):
    created = make_report()
    open_status(client, created)
    client.post("/status/feedback/", {"listened": "5", "understood": "5", "helped": "5"})
    assert Feedback.objects.count() == 0


@override_settings(STATUS_MAX_FAILURES=3, STATUS_ADDRESS_MAX_FAILURES=100)
def test_wrong_passphrases_lock_the_reference_without_revealing_it(client):
    created = make_report()
    wrong = [open_status(client, created, "XXXX-XXXX-XXXX") for _ in range(3)]
    unknown = client.post("/status/", {"reference": "AAAA-AAAA", "passphrase": "XXXX-XXXX-XXXX"})
    assert [r.status_code for r in wrong] == [404, 404, 404]
    assert unknown.status_code == 404
    assert (
        wrong[0].content.decode().count("do not match")
        == unknown.content.decode().count("do not match")
        == 1
    )
    locked = open_status(client, created)  # right codes, but locked now
    assert locked.status_code == 429
    assert "Too many tries" in locked.content.decode()


@override_settings(STATUS_MAX_FAILURES=100, STATUS_ADDRESS_MAX_FAILURES=4)
def test_one_address_guessing_many_references_is_locked(client):
    for i in range(4):
        client.post("/status/", {"reference": f"AAAA-AAA{'CDEF'[i]}", "passphrase": "x"})
    created = make_report()
    assert open_status(client, created).status_code == 429


def test_leaving_forgets_the_report_on_this_device(client):
    created = make_report()
    open_status(client, created)
    client.post("/status/leave/")
    assert client.get("/status/view/")["Location"] == "/status/"
