"""Idle sign-out: a desk left alone for STAFF_IDLE_SECONDS is signed out on its next
request; the public pages and a reporter's session are never touched."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils.html import escape

from tellsafe.accounts import middleware
from tellsafe.accounts.tests.factories import PASSWORD, login, staff
from tellsafe.core.models import AuditEvent
from tellsafe.intake import draft

pytestmark = pytest.mark.django_db

QUEUE = reverse("desk:queue")
LOGIN = reverse("accounts:login")
KEY = middleware.LAST_SEEN_KEY


@pytest.fixture
def counsellor():
    return staff("counsellor")


def set_last_seen(client, seconds_ago):
    session = client.session
    session[KEY] = int(time.time()) - seconds_ago
    session.save()


def signed_in(client):
    return "_auth_user_id" in client.session


def test_a_desk_request_records_when_staff_were_last_seen(client, counsellor):
    login(client, counsellor)
    before = int(time.time())
    assert client.get(QUEUE).status_code == 200
    assert before <= client.session[KEY] <= int(time.time())


def test_idle_staff_are_signed_out_with_a_message(client, counsellor, settings):
    settings.STAFF_IDLE_SECONDS = 30 * 60
    login(client, counsellor)
    client.get(QUEUE)
    set_last_seen(client, 30 * 60 + 5)

    response = client.get(reverse("desk:attention") + "?page=2")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=")
    assert "no-store" in response["Cache-Control"]
    assert not signed_in(client)
    page = client.get(response["Location"]).content.decode()
    assert escape("You were signed out after 30 minutes without activity.") in page
    assert AuditEvent.objects.filter(
        action="auth.idle_logout", object_id=str(counsellor.pk)
    ).exists()
    # Signed out for good: the next desk request goes to sign-in too.
    assert client.get(QUEUE)["Location"].startswith(LOGIN)


def test_a_form_posted_after_the_limit_is_dropped(client, counsellor, settings):
    login(client, counsellor)
    client.get(QUEUE)
    set_last_seen(client, settings.STAFF_IDLE_SECONDS + 1)
    response = client.post(reverse("desk:phone_report"), {"reporter": "child"})
    assert response["Location"] == f"{LOGIN}?next={QUEUE}"
    assert not signed_in(client)


def test_activity_inside_the_limit_keeps_the_session(client, counsellor, settings):
    login(client, counsellor)
    client.get(QUEUE)
    set_last_seen(client, settings.STAFF_IDLE_SECONDS - 5)
    assert client.get(QUEUE).status_code == 200
    assert client.session[KEY] >= int(time.time()) - 1


def test_the_limit_is_measured_on_a_clock(client, counsellor, settings, monkeypatch):
    settings.STAFF_IDLE_SECONDS = 600
    now = [1_900_000_000.0]
    monkeypatch.setattr(middleware, "_now", lambda: now[0])
    login(client, counsellor)
    assert client.get(QUEUE).status_code == 200
    now[0] += 600  # exactly the limit: still in
    assert client.get(QUEUE).status_code == 200
    now[0] += 601
    assert client.get(QUEUE).status_code == 302
    assert not signed_in(client)


def test_the_half_signed_in_are_timed_out_too(client, counsellor, settings):
    client.post(LOGIN, {"username": counsellor.username, "password": PASSWORD})
    set_last_seen(client, settings.STAFF_IDLE_SECONDS + 1)
    client.get(reverse("accounts:second_factor"))
    assert not signed_in(client)


def test_public_pages_neither_read_nor_refresh_the_idle_clock(client, counsellor, settings):
    login(client, counsellor)
    client.get(QUEUE)
    set_last_seen(client, settings.STAFF_IDLE_SECONDS + 1)
    stale = client.session[KEY]
    assert client.get("/").status_code == 200
    assert signed_in(client) and client.session[KEY] == stale
    # Back on the desk, the time away still counts.
    assert client.get(QUEUE).status_code == 302


def test_a_reporters_session_is_left_alone(client, settings):
    settings.STAFF_IDLE_SECONDS = 1
    response = client.post(reverse("intake:who"), {"reporter": "child"})
    assert response.status_code == 302
    assert client.session[draft.KEY]["reporter"] == "child"
    client.get(QUEUE)  # a reporter who wanders onto the desk is just sent to sign-in
    assert KEY not in client.session
    assert client.session[draft.KEY]["reporter"] == "child"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (30 * 60, "30 minutes"),
        (60, "1 minute "),
        (20, "1 minute "),
        (90 * 60, "90 minutes"),
    ],
)
def test_the_message_names_the_limit(seconds, text):
    assert text in middleware.idle_message(seconds) + " "
