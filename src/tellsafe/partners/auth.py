"""Who may call the partner endpoints of /api/v1/: partners with an API key, and signed-in
desk staff. Use both on an endpoint, key first::

    @router.post("/match", auth=[ApiKeyAuth(Scope.MATCH), StaffAuth(Perm.CASE_VIEW)])
    def match(request, ...):
        actor = actor_for(request)  # Actor("partner", id) or Actor("staff", id)

Each class returns None when the request carries no credential of its kind, so the next
class may try; when none succeeds ninja answers 401 ``unauthorised``. A credential that is
present but wrong is refused at once: 401 ``unauthorised`` (bad, revoked or expired key,
inactive partner), 403 ``forbidden`` (no scope or permission), 403 ``csrf_failed``, or 429
``rate_limited`` with ``Retry-After``.
"""

from __future__ import annotations

import hmac
import logging
import math
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from tellsafe.accounts.decorators import is_verified
from tellsafe.accounts.middleware import LAST_SEEN_KEY
from tellsafe.accounts.roles import Perm, has_perm
from tellsafe.core import audit, ratelimit
from tellsafe.core.errors import ApplicationError
from tellsafe.partners import keyformat, services
from tellsafe.partners.models import ApiKey, Scope

log = logging.getLogger(__name__)

RATE_SCOPE = "partner-api"
WINDOW_SECONDS = 60
# Compared against when no key has the presented prefix, so that an unknown prefix costs
# the same hashing and comparison as a known one with a wrong secret.
_NO_SUCH_KEY_HASH = keyformat.secret_hash("-" * keyformat.SECRET_LENGTH)


def _now() -> datetime:
    """The clock for expiry, rate windows and last use (tests move it)."""
    return timezone.now()


class RateLimited(ApplicationError):
    """429 ``rate_limited``. ``retry_after`` is the number of seconds until the key's
    current one-minute window ends; the API sends it as ``Retry-After``."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "rate_limited",
            f"This API key made too many requests this minute. Retry in {retry_after} s.",
            status=429,
        )
        self.retry_after = retry_after


def _unauthorised(message: str) -> ApplicationError:
    return ApplicationError("unauthorised", message, status=401)


def presented_key(request: HttpRequest) -> str | None:
    """The key sent with the request (``Authorization: Bearer <key>`` or ``X-Api-Key``), or
    None when neither header carries one. Another Authorization scheme is left to other
    classes. A Bearer or X-Api-Key header that is empty, or two headers that disagree,
    are refused (401)."""
    found: list[str] = []
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        parts = authorization.split(None, 1)
        if parts and parts[0].lower() == "bearer":
            found.append(parts[1].strip() if len(parts) > 1 else "")
    header = request.headers.get("X-Api-Key")
    if header is not None:
        found.append(header.strip())
    if not found:
        return None
    if "" in found:
        raise _unauthorised(f"The API key is missing. Send it as: Bearer {keyformat.SHAPE}.")
    if len(set(found)) > 1:
        raise _unauthorised("Authorization and X-Api-Key carry different keys. Send one.")
    return found[0]


def authenticate_key(text: str, *, now: datetime) -> ApiKey:
    """The usable key that ``text`` is, with its partner loaded; 401 otherwise."""
    parsed = keyformat.parse(text)
    if parsed is None:
        raise _unauthorised(f"The API key is malformed. A key looks like {keyformat.SHAPE}.")
    key = ApiKey.objects.select_related("partner").filter(prefix=parsed.prefix).first()
    expected = key.secret_hash if key is not None else _NO_SUCH_KEY_HASH
    matches = hmac.compare_digest(keyformat.secret_hash(parsed.secret), expected)
    if key is None or not matches:
        _refused("unknown_key" if key is None else "wrong_secret", key)
        raise _unauthorised("The API key is not valid.")
    # The caller holds the whole key from here on, so saying what is wrong with it is safe.
    if key.revoked_at is not None:
        _refused("revoked", key)
        raise _unauthorised("This API key was revoked. Ask the service for a new one.")
    if key.is_expired(now):
        _refused("expired", key)
        raise _unauthorised("This API key has expired. Ask the service for a new one.")
    if not key.partner.active:
        _refused("partner_inactive", key)
        raise _unauthorised("Your organisation's access is suspended. Contact the service.")
    return key


def _refused(reason: str, key: ApiKey | None) -> None:
    extra: dict[str, Any] = {"reason_code": reason}
    if key is not None:
        extra.update(key_prefix=key.prefix, partner_id=key.partner_id)
    log.info("api key refused", extra=extra)


def enforce_rate(key: ApiKey, *, now: datetime) -> None:
    """Count one request against the key's limit in the current clock minute; 429 past it.
    Windows are whole clock minutes, so ``Retry-After`` is exactly the time to the next
    one (as with any fixed window, a burst across a minute boundary can reach twice the
    limit in a few seconds)."""
    stamp = now.timestamp()
    window = int(stamp // WINDOW_SECONDS)
    used = ratelimit.hit(RATE_SCOPE, f"{key.pk}:{window}", WINDOW_SECONDS)
    if used > key.requests_per_minute:
        retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - stamp))
        if used == key.requests_per_minute + 1:  # once per window, not once per request
            log.info(
                "api key rate limited",
                extra={"key_prefix": key.prefix, "partner_id": key.partner_id},
            )
        raise RateLimited(retry_after)


class ApiKeyAuth(AuthBase):
    """A partner's API key that holds ``scope``. On success ``request.auth`` is the ApiKey,
    with ``.partner`` loaded."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_bearerFormat = "tsk_<prefix>_<secret>"
    openapi_description = (
        "A partner API key, as 'Authorization: Bearer tsk_...' or 'X-Api-Key: tsk_...'. "
        "Each endpoint needs one scope: hashes:compute, match, banks:read or notices."
    )

    def __init__(self, scope: Scope | str) -> None:
        self.scope = Scope(scope)  # ValueError at import time for a mistyped scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey | None:
        text = presented_key(request)
        if text is None:
            return None
        now = _now()
        key = authenticate_key(text, now=now)
        services.api_key_mark_used(key=key, now=now)
        enforce_rate(key, now=now)
        if not key.has_scope(self.scope):
            raise ApplicationError(
                "forbidden",
                f'This API key does not have the scope "{self.scope}".',
                {"scope": [f'This endpoint needs the scope "{self.scope}".']},
                status=403,
            )
        return key


class StaffAuth(AuthBase):
    """A desk user signed in with both factors whose role holds ``perm``, on the same
    endpoints partners call. As with ninja's ``django_auth``, unsafe methods need a valid
    CSRF token (the session cookie alone would let another site act as the user). The
    desk's idle limit applies here too. On success ``request.auth`` is the user."""

    openapi_type = "apiKey"
    openapi_in = "cookie"

    def __init__(self, perm: Perm | str, *, csrf: bool = True) -> None:
        self.perm = Perm(perm)
        self.csrf = csrf
        self.openapi_name = settings.SESSION_COOKIE_NAME
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        # Not signed in, or only half-way (no second factor): no staff credential.
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if not is_verified(user) or _idle_too_long(request):
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise ApplicationError(
                    "csrf_failed",
                    "The CSRF token is missing or wrong. Reload the page and try again.",
                    status=403,
                )
        if not has_perm(user, self.perm):
            raise ApplicationError(
                "forbidden", f'Your role does not allow this ("{self.perm}").', status=403
            )
        _note_activity(request)
        return user


def _idle_too_long(request: HttpRequest) -> bool:
    session = getattr(request, "session", None)
    last_seen = session.get(LAST_SEEN_KEY) if session is not None else None
    return isinstance(last_seen, int) and time.time() - last_seen > settings.STAFF_IDLE_SECONDS


def _note_activity(request: HttpRequest) -> None:
    """API calls from the desk count as desk activity for the idle limit."""
    now = int(time.time())
    if hasattr(request, "session") and request.session.get(LAST_SEEN_KEY) != now:
        request.session[LAST_SEEN_KEY] = now


def actor_for(request: HttpRequest) -> audit.Actor:
    """The audit actor of an authenticated request: ``Actor("partner", partner id)`` for
    a key, ``Actor("staff", user id)`` for staff (ids as strings, as audit stores them).
    401 if the request was not authenticated by ApiKeyAuth or StaffAuth."""
    credential = getattr(request, "auth", None)
    if isinstance(credential, ApiKey):
        return audit.Actor("partner", str(credential.partner_id))
    if isinstance(credential, get_user_model()) and credential.is_authenticated:
        return audit.Actor("staff", str(credential.pk))
    raise _unauthorised("Authentication is required.")
