"""Staff sign-in, driven through the test client as a browser would: password, then a
TOTP code (or enrolling a device), lock-outs for both, and what the pages say."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from axes.helpers import get_lockout_message
from django.middleware.csrf import CSRF_SESSION_KEY
from django.urls import reverse
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts import views
from tellsafe.accounts.models import Role, User
from tellsafe.accounts.tests.factories import PASSWORD, staff, totp_code, wrong_code
from tellsafe.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")
SECOND = reverse("accounts:second_factor")
QUEUE = reverse("desk:queue")


@pytest.fixture
def no_backoff(settings):
    """django-otp waits 1, 2, 4... seconds after each wrong code; tests that type a right
    code straight after a wrong one turn that off (test_backoff_* checks it is on)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def device_of(user, *, confirmed=True):
    return TOTPDevice.objects.get(user=user, confirmed=confirmed)


def actions(user):
    return list(
        AuditEvent.objects.filter(object_type="user", object_id=str(user.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_wrong_password_is_refused_and_leaves_nothing_in_the_session(client):
    user = staff("counsellor")
    response = sign_in(client, user.username, "not the password")
    assert response.status_code == 400
    assert escape(views.BAD_CREDENTIALS) in response.content.decode()
    # At most the CSRF token the form needed; no user, no device.
    assert set(client.session.keys()) <= {CSRF_SESSION_KEY}
    assert actions(user) == ["auth.failed"]


def test_unknown_user_gets_the_same_answer(client):
    staff("counsellor", username="known")
    unknown = sign_in(client, "nobody-here")
    wrong = sign_in(client, "known", "wrong password")
    assert unknown.status_code == wrong.status_code == 400
    assert escape(views.BAD_CREDENTIALS) in unknown.content.decode()


@pytest.mark.parametrize("change", [{"role": ""}, {"is_active": False}])
def test_a_user_with_no_role_or_not_active_cannot_sign_in(client, change):
    user = staff("counsellor")
    User.objects.filter(pk=user.pk).update(**change)
    response = sign_in(client, user.username)
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert client.get(SECOND)["Location"] == LOGIN


def test_enrolment_then_code_on_the_next_sign_in(client, no_backoff):
    user = User.objects.create_user(
        username="newcomer", password=PASSWORD, role="counsellor", team="north"
    )
    response = sign_in(client, "newcomer")
    assert response.status_code == 302 and response["Location"] == SECOND
    assert actions(user) == ["auth.password_ok"]
    # Password alone opens nothing.
    assert client.get(QUEUE)["Location"] == SECOND

    page = client.get(SECOND).content.decode()
    device = device_of(user, confirmed=False)
    secret = re.search(r'<code translate="no">([A-Z2-7 ]+)</code>', page).group(1)
    assert "<svg" in page and "Set up your authenticator" in page
    assert secret.replace(" ", "") == device.config_url.split("secret=")[1].split("&")[0]

    refused = client.post(SECOND, {"token": wrong_code(device.bin_key)})
    assert refused.status_code == 400
    assert escape(views.BAD_CODE) in refused.content.decode()
    assert not device_of(user, confirmed=False).confirmed
    assert not client.get(QUEUE).status_code == 200

    accepted = client.post(SECOND, {"token": totp_code(device.bin_key)})
    assert accepted.status_code == 302 and accepted["Location"] == QUEUE
    assert device_of(user).pk == device.pk
    assert client.get(QUEUE).status_code == 200
    assert actions(user)[1:] == [
        "auth.second_factor_failed",
        "auth.device_enrolled",
        "auth.second_factor_ok",
    ]

    client.post(reverse("accounts:logout"))
    assert client.get(QUEUE)["Location"].startswith(LOGIN)
    assert sign_in(client, "newcomer")["Location"] == SECOND
    page = client.get(SECOND).content.decode()
    assert "Enter your code" in page
    assert "<svg" not in page and secret not in page
    # The code just used is spent: a replay is refused.
    assert client.post(SECOND, {"token": totp_code(device.bin_key)}).status_code == 400
    response = client.post(SECOND, {"token": totp_code(device.bin_key, steps_ahead=1)})
    assert response["Location"] == QUEUE
    assert client.get(QUEUE).status_code == 200
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_verifying_the_code_gives_a_new_session_id(client):
    user = staff("counsellor")
    sign_in(client, user.username)
    half = client.cookies["sid"].value
    client.post(SECOND, {"token": totp_code(device_of(user).bin_key)})
    assert client.cookies["sid"].value != half
    assert client.get(QUEUE).status_code == 200


def test_malformed_code_is_refused_without_counting(client):
    user = staff("counsellor")
    sign_in(client, user.username)
    response = client.post(SECOND, {"token": "12ab"})
    assert response.status_code == 400
    assert "6-digit code" in response.content.decode()
    assert views.CODE_FAILURES_KEY not in client.session


def test_backoff_refuses_even_the_right_code_straight_after_a_wrong_one(client):
    user = staff("counsellor")
    key = device_of(user).bin_key
    sign_in(client, user.username)
    client.post(SECOND, {"token": wrong_code(key)})
    response = client.post(SECOND, {"token": totp_code(key)})
    assert response.status_code == 400
    assert escape(views.SLOW_DOWN) in response.content.decode()
    assert client.get(QUEUE)["Location"] == SECOND


def test_five_wrong_codes_in_a_row_sign_the_session_out(client):
    user = staff("counsellor")
    key = device_of(user).bin_key
    sign_in(client, user.username)
    statuses = [
        client.post(SECOND, {"token": wrong_code(key)}).status_code
        for _ in range(views.MAX_CODE_FAILURES)
    ]
    assert statuses == [400] * (views.MAX_CODE_FAILURES - 1) + [302]
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(
        action="auth.second_factor_locked_out", object_id=str(user.pk)
    ).exists()
    # Start again: the code page now sends you back to the password.
    assert client.get(SECOND)["Location"] == LOGIN
    page = client.get(LOGIN).content.decode()
    assert escape(views.START_AGAIN) in page
    # A new password sign-in works, with a fresh count.
    assert sign_in(client, user.username)["Location"] == SECOND
    assert views.CODE_FAILURES_KEY not in client.session


def test_wrong_codes_are_counted_in_a_row_only(client, no_backoff):
    user = staff("counsellor")
    key = device_of(user).bin_key
    sign_in(client, user.username)
    for _ in range(views.MAX_CODE_FAILURES - 1):
        client.post(SECOND, {"token": wrong_code(key)})
    assert client.session[views.CODE_FAILURES_KEY] == views.MAX_CODE_FAILURES - 1
    assert client.post(SECOND, {"token": totp_code(key)})["Location"] == QUEUE
    assert views.CODE_FAILURES_KEY not in client.session


def test_lockout_after_the_failure_limit_refuses_even_the_right_password(client, settings):
    user = staff("counsellor")
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [sign_in(client, user.username, "wrong password").status_code for _ in range(limit)]
    assert statuses == [400] * (limit - 1) + [429]

    response = sign_in(client, user.username)
    assert response.status_code == 429
    page = response.content.decode()
    assert escape(str(get_lockout_message())) in page
    assert 'id="id_username"' in page  # our sign-in page, not axes' plain text
    assert "_auth_user_id" not in client.session
    assert client.get(SECOND)["Location"] == LOGIN
    assert AuditEvent.objects.filter(action="auth.locked_out", object_id=str(user.pk)).exists()
    # The lock is on this username from this address only.
    elsewhere = sign_in(client, user.username, REMOTE_ADDR="192.0.2.7")
    assert elsewhere.status_code == 302 and elsewhere["Location"] == SECOND


@pytest.mark.parametrize("role", Role.values)
def test_every_role_lands_on_a_page_it_may_open(client, role):
    user = staff(role)
    sign_in(client, user.username)
    landed = client.post(SECOND, {"token": totp_code(device_of(user).bin_key)})
    assert landed.status_code == 302
    assert client.get(landed["Location"]).status_code == 200


def test_after_sign_in_the_page_asked_for_opens(client):
    user = staff("supervisor")
    wanted = reverse("desk:approvals")
    to_login = client.get(wanted)["Location"]
    assert to_login.startswith(LOGIN) and "next=" in to_login
    to_code = client.post(to_login, {"username": user.username, "password": PASSWORD})
    assert to_code["Location"].startswith(SECOND + "?next=")
    done = client.post(to_code["Location"], {"token": totp_code(device_of(user).bin_key)})
    assert done["Location"] == wanted


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/desk/", "//evil.example/desk/", "/desk\\@evil.example/", "/status/"],
)
def test_next_never_leaves_the_desk(client, target):
    user = staff("counsellor")
    sign_in(client, user.username)
    response = client.post(f"{SECOND}?next={target}", {"token": totp_code(device_of(user).bin_key)})
    assert response["Location"] == QUEUE


class _Page(HTMLParser):
    """Collects what the accessibility and CSP checks look at."""

    def __init__(self) -> None:
        super().__init__()
        self.labels: set[str] = set()
        self.inputs: list[dict[str, str | None]] = []
        self.ids: dict[str, dict[str, str | None]] = {}
        self.inline_problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids[a["id"]] = a
        for name, _value in attrs:
            if name == "style" or name.startswith("on"):
                self.inline_problems.append(f"{tag} {name}")
        if tag == "style":
            self.inline_problems.append("style element")
        if tag == "script":
            self._in_script = "src" not in a
        if tag == "label":
            self.labels.add(a.get("for") or "")
        if tag == "input" and a.get("type") != "hidden":
            self.inputs.append(a)

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_problems.append("inline script")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def _parse(response) -> _Page:
    page = _Page()
    page.feed(response.content.decode())
    return page


def _pages(client):
    User.objects.create_user(username="fresh", password=PASSWORD, role="analyst")
    yield "login", client.get(LOGIN), False
    yield "login refused", sign_in(client, "fresh", "nope"), True
    sign_in(client, "fresh")
    yield "enrolment", client.get(SECOND), False
    yield "enrolment refused", client.post(SECOND, {"token": "000000x"}), True


def test_sign_in_pages_are_labelled_announce_errors_and_are_csp_safe(client):
    for name, response, has_error in _pages(client):
        page = _parse(response)
        assert page.inline_problems == [], name
        assert page.inputs, name
        for field in page.inputs:
            assert field.get("id") in page.labels, (name, field)
        if has_error:
            for field in page.inputs:
                assert field.get("aria-invalid") == "true", (name, field)
                described = (field.get("aria-describedby") or "").split()
                errors = [page.ids[i] for i in described if i in page.ids]
                assert any(e.get("role") == "alert" for e in errors), (name, field)
