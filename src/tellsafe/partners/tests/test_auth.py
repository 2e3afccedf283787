"""ApiKeyAuth and StaffAuth, driven through a test-only ninja API (tests/urls.py) with the
real error handlers of /api/v1/."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.middleware.csrf import CSRF_SESSION_KEY
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tellsafe.accounts.middleware import LAST_SEEN_KEY
from tellsafe.accounts.models import Role
from tellsafe.accounts.roles import ROLE_PERMS
from tellsafe.accounts.tests.factories import login, staff
from tellsafe.core.errors import ApplicationError
from tellsafe.partners import auth
from tellsafe.partners.models import ApiKey, Scope
from tellsafe.partners.tests import factories
from tellsafe.partners.tests.urls import PREFIX, STAFF_PERM

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tellsafe.partners.tests.urls")]

MATCH = f"{PREFIX}match"
BANKS = f"{PREFIX}banks"
# A moment 20 s into a clock minute, so the rate window has 40 s left.
T0 = datetime(2030, 1, 1, 12, 0, 20, tzinfo=UTC)


@pytest.fixture
def clock(monkeypatch):
    """auth's clock, set to T0 and moved by assigning ``clock.now``."""

    class Clock:
        now = T0

    monkeypatch.setattr(auth, "_now", lambda: Clock.now)
    return Clock


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error", "message", "fields"}
    assert body["error"] == code
    return body


# --- API keys: refused -------------------------------------------------------------------


def test_no_credential_is_401(client):
    assert_error(client.get(MATCH), 401, "unauthorised")
    assert_error(client.get(BANKS), 401, "unauthorised")


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Bearer"},
        {"Authorization": "bearer tsk_abcd2345_short"},
        {"X-Api-Key": ""},
        {"X-Api-Key": "tsk_ABCD2345_" + "a" * 43},  # prefix must be lower case
        {"X-Api-Key": "tsk_abcd2345_" + "a" * 44},
        {"X-Api-Key": "tsk_abcd2345_" + "a" * 42 + "="},
        {"X-Api-Key": "xyz_abcd2345_" + "a" * 43},
    ],
)
def test_a_malformed_key_is_401(client, headers):
    body = assert_error(client.get(MATCH, headers=headers), 401, "unauthorised")
    assert "tsk_" in body["message"]  # says what a key looks like


def test_another_authorization_scheme_is_not_a_key(client):
    response = client.get(MATCH, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    body = assert_error(response, 401, "unauthorised")
    assert body["message"] == "Authentication is required."


def test_two_headers_with_different_keys_are_refused(client):
    _, one = factories.api_key()
    _, other = factories.api_key()
    response = client.get(MATCH, headers={**bearer(one), "X-Api-Key": other})
    assert_error(response, 401, "unauthorised")
    same = client.get(MATCH, headers={**bearer(one), "X-Api-Key": one})
    assert same.status_code == 200


def test_an_unknown_prefix_is_401(client):
    factories.api_key()
    response = client.get(MATCH, headers=bearer("tsk_abcd2345_" + "A" * 43))
    body = assert_error(response, 401, "unauthorised")
    assert body["message"] == "The API key is not valid."


def test_a_wrong_secret_is_401_with_the_same_answer_as_an_unknown_prefix(client):
    key, plaintext = factories.api_key()
    wrong = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")
    body = assert_error(client.get(MATCH, headers=bearer(wrong)), 401, "unauthorised")
    assert body["message"] == "The API key is not valid."
    key.refresh_from_db()
    assert key.last_used_at is None


def test_unknown_prefix_and_wrong_secret_do_the_same_work(client, monkeypatch):
    """Both hash the presented secret and compare it in constant time, once."""
    key, plaintext = factories.api_key()
    calls: list[tuple[str, str]] = []
    compare = hmac.compare_digest

    def counting(a, b):
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", counting)
    client.get(MATCH, headers=bearer(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")))
    client.get(MATCH, headers=bearer("tsk_abcd2345_" + plaintext[-43:]))
    assert len(calls) == 2
    assert all(len(a) == len(b) == 64 for a, b in calls)
    assert calls[0][1] == key.secret_hash
    assert calls[1][1] != key.secret_hash


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"revoked_at": T0 - timedelta(days=1)}, "revoked"),
        ({"expires_at": T0}, "expired"),
        ({"expires_at": T0 - timedelta(seconds=1)}, "expired"),
    ],
)
def test_revoked_and_expired_keys_are_401(client, clock, override, words):
    _, plaintext = factories.api_key(**override)
    body = assert_error(client.get(MATCH, headers=bearer(plaintext)), 401, "unauthorised")
    assert words in body["message"]


def test_a_key_expiring_later_still_works(client, clock):
    _, plaintext = factories.api_key(expires_at=T0 + timedelta(seconds=1))
    assert client.get(MATCH, headers=bearer(plaintext)).status_code == 200


def test_a_key_of_an_inactive_partner_is_401(client):
    _, plaintext = factories.api_key(factories.partner(active=False))
    body = assert_error(client.get(MATCH, headers=bearer(plaintext)), 401, "unauthorised")
    assert "suspended" in body["message"]


def test_a_key_without_the_scope_is_403_naming_it(client):
    _, plaintext = factories.api_key(scopes=[Scope.BANKS_READ, Scope.HASHES_COMPUTE])
    body = assert_error(client.get(MATCH, headers=bearer(plaintext)), 403, "forbidden")
    assert '"match"' in body["message"]
    assert body["fields"] == {"scope": ['This endpoint needs the scope "match".']}
    assert client.get(BANKS, headers=bearer(plaintext)).status_code == 200


# --- API keys: accepted ------------------------------------------------------------------


@pytest.mark.parametrize("style", ["bearer", "x-api-key", "lower-case scheme"])
def test_a_key_with_the_scope_authenticates_as_its_partner(client, style):
    partner = factories.partner()
    _, plaintext = factories.api_key(partner, scopes=[Scope.MATCH])
    headers = {
        "bearer": bearer(plaintext),
        "x-api-key": {"X-Api-Key": plaintext},
        "lower-case scheme": {"Authorization": f"bearer  {plaintext}"},
    }[style]
    response = client.get(MATCH, headers=headers)
    assert response.status_code == 200, response.content
    assert response.json() == {"kind": "partner", "id": str(partner.pk)}


def test_partners_post_without_csrf(client):
    """A key in a header is not sent by browsers on their own: no CSRF token needed."""
    _, plaintext = factories.api_key()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(MATCH, headers=bearer(plaintext))
    assert response.status_code == 200
    assert response.json()["kind"] == "partner"


def test_the_authenticated_key_comes_with_its_partner_in_one_query():
    key, plaintext = factories.api_key()
    with CaptureQueriesContext(connection) as queries:
        found = auth.authenticate_key(plaintext, now=T0)
        assert found.partner.name == key.partner.name
    assert len(queries) == 1


def test_the_rate_limit_answers_429_with_retry_after_then_resets(client, clock):
    _, plaintext = factories.api_key(requests_per_minute=3)
    for _ in range(3):
        assert client.get(MATCH, headers=bearer(plaintext)).status_code == 200
    refused = client.get(MATCH, headers=bearer(plaintext))
    assert_error(refused, 429, "rate_limited")
    assert refused["Retry-After"] == "40"
    clock.now = T0 + timedelta(seconds=39)
    late = client.get(MATCH, headers=bearer(plaintext))
    assert late.status_code == 429
    assert late["Retry-After"] == "1"
    clock.now = T0 + timedelta(seconds=40)  # the next clock minute
    assert client.get(MATCH, headers=bearer(plaintext)).status_code == 200


def test_the_rate_limit_counts_per_key(client, clock):
    partner = factories.partner()
    _, first = factories.api_key(partner, requests_per_minute=1)
    _, second = factories.api_key(partner, requests_per_minute=1)
    assert client.get(MATCH, headers=bearer(first)).status_code == 200
    assert client.get(MATCH, headers=bearer(first)).status_code == 429
    assert client.get(MATCH, headers=bearer(second)).status_code == 200


def test_last_used_is_written_at_most_once_a_minute(client, clock):
    key, plaintext = factories.api_key()

    def call_and_count_writes():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(MATCH, headers=bearer(plaintext)).status_code == 200
        return sum(
            1
            for q in queries
            if q["sql"].lstrip().upper().startswith("UPDATE") and "partners_apikey" in q["sql"]
        )

    assert call_and_count_writes() == 1
    key.refresh_from_db()
    assert key.last_used_at == T0
    clock.now = T0 + timedelta(seconds=59)
    assert call_and_count_writes() == 0
    key.refresh_from_db()
    assert key.last_used_at == T0
    clock.now = T0 + timedelta(seconds=61)
    assert call_and_count_writes() == 1
    key.refresh_from_db()
    assert key.last_used_at == T0 + timedelta(seconds=61)


# --- Staff -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role.values))
def test_staff_role_matrix(client, role):
    user = staff(role)
    login(client, user)
    response = client.get(MATCH)
    if STAFF_PERM in ROLE_PERMS[role]:
        assert response.status_code == 200, response.content
        assert response.json() == {"kind": "staff", "id": str(user.pk)}
    else:
        body = assert_error(response, 403, "forbidden")
        assert str(STAFF_PERM) in body["message"]


def test_staff_cannot_use_key_only_endpoints(client):
    login(client, staff(Role.SUPERVISOR))
    assert_error(client.get(BANKS), 401, "unauthorised")


def test_staff_without_the_second_factor_is_401(client):
    user = staff(Role.SUPERVISOR)
    client.force_login(user)  # password only: no OTP device in the session
    assert_error(client.get(MATCH), 401, "unauthorised")


def test_an_inactive_user_is_401(client):
    user = staff(Role.SUPERVISOR)
    login(client, user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert_error(client.get(MATCH), 401, "unauthorised")


def test_staff_idle_past_the_limit_is_401_and_activity_keeps_the_session(client):
    login(client, staff(Role.SUPERVISOR))
    session = client.session
    session[LAST_SEEN_KEY] = int(datetime.now(UTC).timestamp()) - settings.STAFF_IDLE_SECONDS - 5
    session.save()
    assert_error(client.get(MATCH), 401, "unauthorised")

    fresh = Client()
    login(fresh, staff(Role.SUPERVISOR))
    assert fresh.get(MATCH).status_code == 200
    assert isinstance(fresh.session.get(LAST_SEEN_KEY), int)


def _csrf_client(user) -> tuple[Client, str]:
    strict = Client(enforce_csrf_checks=True)
    login(strict, user)
    token = get_random_string(32)
    session = strict.session
    session[CSRF_SESSION_KEY] = token  # CSRF_USE_SESSIONS: the token lives in the session
    session.save()
    return strict, token


def test_staff_post_needs_a_csrf_token():
    strict, token = _csrf_client(staff(Role.SUPERVISOR))
    assert_error(strict.post(MATCH), 403, "csrf_failed")
    assert_error(strict.post(MATCH, headers={"X-CSRFToken": "x" * 32}), 403, "csrf_failed")
    assert strict.get(MATCH).status_code == 200  # safe methods need none
    response = strict.post(MATCH, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.content
    assert response.json()["kind"] == "staff"


def test_an_anonymous_post_is_401_not_a_csrf_error():
    strict = Client(enforce_csrf_checks=True)
    assert_error(strict.post(MATCH), 401, "unauthorised")


def test_a_key_wins_over_a_staff_session(client):
    partner = factories.partner()
    _, plaintext = factories.api_key(partner)
    login(client, staff(Role.SUPERVISOR))
    response = client.get(MATCH, headers=bearer(plaintext))
    assert response.json() == {"kind": "partner", "id": str(partner.pk)}


# --- actor_for and the error rendering ---------------------------------------------------


def test_actor_for_refuses_an_unauthenticated_request(rf):
    request = rf.get("/")
    with pytest.raises(ApplicationError) as caught:
        auth.actor_for(request)
    assert caught.value.status == 401
    request.auth = object()
    with pytest.raises(ApplicationError):
        auth.actor_for(request)


def test_scopes_are_checked_when_endpoints_are_declared():
    with pytest.raises(ValueError):
        auth.ApiKeyAuth("match:all")


def test_the_real_api_sends_the_keys_retry_after(rf):
    from tellsafe.config.api import application_error

    response = application_error(rf.get("/api/v1/match"), auth.RateLimited(17))
    assert response.status_code == 429
    assert response["Retry-After"] == "17"


# --- Anything sent never authenticates and never fails ----------------------------------

KNOWN_PREFIX = "abcd2345"
_near_keys = st.builds(
    lambda prefix, secret: f"tsk_{prefix}_{secret}",
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567ABC_-", min_size=0, max_size=10),
    st.text(alphabet="ABCabc0123456789_-=+/ \t", min_size=0, max_size=50),
)
# Well-formed keys with the prefix of a key that exists, and a guessed secret.
_guesses = st.builds(
    lambda secret: f"tsk_{KNOWN_PREFIX}_{secret}",
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
        min_size=43,
        max_size=43,
    ),
)
_header_values = st.one_of(
    st.text(max_size=80),
    _near_keys,
    _guesses,
    st.builds(lambda s: f"Bearer {s}", st.one_of(st.text(max_size=80), _near_keys, _guesses)),
)


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(authorization=st.none() | _header_values, api_key=st.none() | _header_values)
def test_no_header_ever_authenticates_or_fails(client, authorization, api_key):
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    if api_key is not None:
        headers["X-Api-Key"] = api_key
    # A real key exists, so that prefixes found in the database are exercised too.
    if not ApiKey.objects.filter(prefix=KNOWN_PREFIX).exists():
        key, _ = factories.api_key()
        ApiKey.objects.filter(pk=key.pk).update(prefix=KNOWN_PREFIX)
    for response in (client.get(MATCH, headers=headers), client.post(BANKS, headers=headers)):
        assert response.status_code in (401, 405), response.content
        assert response.json()["error"] in ("unauthorised", "method_not_allowed")


def test_the_schema_publishes_both_ways_in(client):
    schemes = client.get(f"{PREFIX}openapi.json").json()["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"]["type"] == "http"
    assert schemes["ApiKeyAuth"]["scheme"] == "bearer"
    assert schemes["ApiKeyAuth"]["bearerFormat"] == "tsk_<prefix>_<secret>"
    assert schemes["StaffAuth"] == {"type": "apiKey", "in": "cookie", "name": "sid"}
