"""Writes of the partner registry. Each change is one keyword-only function that runs in
one write transaction with its audit event. Audit data holds ids and codes, never a
key's secret."""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.partners import keyformat
from tellsafe.partners.countries import is_country_code
from tellsafe.partners.models import ALL_SCOPES, ApiKey, Partner, default_requests_per_minute

log = logging.getLogger(__name__)

T = TypeVar("T")

NAME_MAX = 200
LABEL_MAX = 100
REASON_MAX = 500
# A key may make at most this many requests a minute: 1,000 a second.
REQUESTS_PER_MINUTE_MAX = 60_000
# last_used_at is written at most this often per key.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _audit_actor(actor: Any) -> audit.Actor:
    """Services take a staff user or an audit Actor (``Actor("system", "cli")`` for the
    command line)."""
    if isinstance(actor, audit.Actor):
        return actor
    if isinstance(actor, get_user_model()):
        return audit.Actor("staff", str(actor.pk))
    raise TypeError("actor must be a staff user or an audit.Actor")


def _staff_user(actor: Any) -> Any:
    return actor if isinstance(actor, get_user_model()) else None


def _collect(errors: dict[str, list[str]], check: Callable[[], T]) -> T | None:
    """Run one field's check; gather its error so that all fields are reported at once."""
    try:
        return check()
    except ApplicationError as exc:
        errors.update(exc.fields)
        return None


def _invalid(field: str, message: str, *, code: str = "invalid_partner") -> ApplicationError:
    return ApplicationError(code, message, {field: [message]})


def _clean_text(value: Any, *, field: str, max_length: int, required: bool, code: str) -> str:
    """One line of printable text, with runs of white space made one space."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(field, "Must be text.", code=code)
    text = " ".join(value.split())
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise _invalid(field, "Must not contain control or unassigned characters.", code=code)
    if required and not text:
        raise _invalid(field, "Required.", code=code)
    if len(text) > max_length:
        raise _invalid(field, f"At most {max_length} characters.", code=code)
    return text


def clean_partner_name(value: Any) -> str:
    return _clean_text(
        value, field="name", max_length=NAME_MAX, required=True, code="invalid_partner"
    )


def clean_label(value: Any) -> str:
    return _clean_text(
        value, field="label", max_length=LABEL_MAX, required=False, code="invalid_key"
    )


def clean_country(value: Any) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased, or "" for none."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid("country", "Must be text.")
    code = value.strip().upper()
    if code and not is_country_code(code):
        raise _invalid(
            "country", "Not an ISO 3166-1 alpha-2 country code (two letters, such as IN)."
        )
    return code


def clean_scopes(value: Any) -> list[str]:
    """At least one known scope, without repeats, in the order of ALL_SCOPES."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise _invalid("scopes", "Must be a list of scopes.", code="invalid_key")
    given = list(value)
    known = [str(scope) for scope in ALL_SCOPES]
    unknown = sorted({str(s) for s in given if not isinstance(s, str) or s not in known})
    if unknown:
        raise _invalid(
            "scopes",
            f"Unknown scope(s): {', '.join(unknown)}. Known scopes: {', '.join(known)}.",
            code="invalid_key",
        )
    if not given:
        raise _invalid("scopes", f"Give at least one of: {', '.join(known)}.", code="invalid_key")
    return [scope for scope in known if scope in given]


def clean_requests_per_minute(value: Any) -> int:
    if value is None:
        value = default_requests_per_minute()
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("requests_per_minute", "Must be a whole number.", code="invalid_key")
    if not 1 <= value <= REQUESTS_PER_MINUTE_MAX:
        raise _invalid(
            "requests_per_minute",
            f"Must be from 1 to {REQUESTS_PER_MINUTE_MAX}.",
            code="invalid_key",
        )
    return value


def clean_expires_at(value: Any, *, now: datetime) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise _invalid("expires_at", "Must be a date and time.", code="invalid_key")
    if timezone.is_naive(value):
        raise _invalid("expires_at", "Must include a time zone.", code="invalid_key")
    if value <= now:
        raise _invalid("expires_at", "Must be in the future.", code="invalid_key")
    return value


def clean_reason(value: Any, *, code: str) -> str:
    return _clean_text(value, field="reason", max_length=REASON_MAX, required=True, code=code)


def partner_create(*, name: str, kind: str, country: str = "", actor: Any) -> Partner:
    """Register a partner. Names are unique without regard to case."""
    errors: dict[str, list[str]] = {}
    clean_name = _collect(errors, lambda: clean_partner_name(name))
    country_code = _collect(errors, lambda: clean_country(country))
    if kind not in Partner.Kind.values:
        errors["kind"] = [f"Must be one of: {', '.join(Partner.Kind.values)}."]
    if errors or clean_name is None or country_code is None:
        raise ApplicationError("invalid_partner", "The partner is not valid.", errors)
    taken = ApplicationError(
        "partner_exists",
        "A partner with this name already exists.",
        {"name": ["A partner with this name already exists."]},
        status=409,
    )
    with write_transaction():
        if Partner.objects.filter(name__iexact=clean_name).exists():
            raise taken
        partner = Partner(name=clean_name, kind=kind, country=country_code)
        try:
            with transaction.atomic():  # a savepoint: a racing insert leaves us usable
                partner.save(force_insert=True)
        except IntegrityError as exc:
            raise taken from exc
        audit.record(
            actor=_audit_actor(actor),
            action="partner.create",
            object_type="partner",
            object_id=partner.pk,
            data={"kind": partner.kind, "country": partner.country},
        )
    log.info("partner created", extra={"partner_id": partner.pk})
    return partner


def partner_deactivate(*, partner: Partner, actor: Any, reason: str) -> Partner:
    """Stop a partner's access: while it is inactive, none of its keys authenticate. Its
    keys stay as they are, so reactivating (later work) would restore them."""
    reason = clean_reason(reason, code="invalid_partner")
    with write_transaction():
        if Partner.objects.filter(pk=partner.pk, active=True).update(active=False) != 1:
            raise ApplicationError(
                "partner_inactive", "This partner is already inactive.", status=409
            )
        partner.active = False
        audit.record(
            actor=_audit_actor(actor),
            action="partner.deactivate",
            object_type="partner",
            object_id=partner.pk,
            reason=reason,
        )
    log.info("partner deactivated", extra={"partner_id": partner.pk})
    return partner


def api_key_create(
    *,
    partner: Partner,
    label: str = "",
    scopes: Iterable[str],
    expires_at: datetime | None = None,
    requests_per_minute: int | None = None,
    actor: Any,
) -> tuple[ApiKey, str]:
    """Make a key for ``partner``. Returns the key and its full text, which is not stored
    anywhere: show it once to whoever hands it to the partner."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {
        "label": _collect(errors, lambda: clean_label(label)),
        "scopes": _collect(errors, lambda: clean_scopes(scopes)),
        "expires_at": _collect(errors, lambda: clean_expires_at(expires_at, now=now)),
        "requests_per_minute": _collect(
            errors, lambda: clean_requests_per_minute(requests_per_minute)
        ),
    }
    if errors:
        raise ApplicationError("invalid_key", "The key is not valid.", errors)
    secret = keyformat.new_secret()
    with write_transaction():
        if not Partner.objects.filter(pk=partner.pk, active=True).exists():
            raise ApplicationError(
                "partner_inactive", "Keys cannot be made for an inactive partner.", status=409
            )
        key = ApiKey(
            partner=partner,
            secret_hash=keyformat.secret_hash(secret),
            created_at=now,
            created_by=_staff_user(actor),
            **cleaned,
        )
        for _attempt in range(5):
            key.prefix = keyformat.new_prefix()
            try:
                with transaction.atomic():  # a savepoint, so a clash can be retried
                    key.save(force_insert=True)
                break
            except IntegrityError:
                # 40 random bits: a clash with an existing prefix is very rare.
                key.pk = None
        else:  # pragma: no cover - five clashes in a row
            raise ApplicationError(
                "key_prefix_clash", "Could not find a free key prefix; try again.", status=503
            )
        audit.record(
            actor=_audit_actor(actor),
            action="partner.key_create",
            object_type="api_key",
            object_id=key.pk,
            data={
                "partner": partner.pk,
                "prefix": key.prefix,
                "scopes": key.scopes,
                "requests_per_minute": key.requests_per_minute,
                "expires_at": key.expires_at.isoformat() if key.expires_at else None,
            },
        )
    log.info("api key created", extra={"partner_id": partner.pk, "key_prefix": key.prefix})
    return key, keyformat.assemble(key.prefix, secret)


def api_key_revoke(*, key: ApiKey, actor: Any, reason: str) -> ApiKey:
    """Revoke a key for good: it fails authentication from the next request on."""
    reason = clean_reason(reason, code="invalid_key")
    now = timezone.now()
    with write_transaction():
        if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
            raise ApplicationError("key_revoked", "This key is already revoked.", status=409)
        key.revoked_at = now
        audit.record(
            actor=_audit_actor(actor),
            action="partner.key_revoke",
            object_type="api_key",
            object_id=key.pk,
            reason=reason,
            data={"partner": key.partner_id, "prefix": key.prefix},
        )
    log.info("api key revoked", extra={"partner_id": key.partner_id, "key_prefix": key.prefix})
    return key


def api_key_mark_used(*, key: ApiKey, now: datetime) -> bool:
    """Note that ``key`` was used, at most once per LAST_USED_RESOLUTION. Not audited:
    it is a usage hint for operators, and the endpoints audit what a call did. Returns
    whether a row was written."""
    if key.last_used_at is not None and now - key.last_used_at < LAST_USED_RESOLUTION:
        return False
    with write_transaction():
        # The condition repeats the check in SQL, so processes racing on one key write once.
        written = (
            ApiKey.objects.filter(pk=key.pk)
            .exclude(last_used_at__gt=now - LAST_USED_RESOLUTION)
            .update(last_used_at=now)
        )
    if written:
        key.last_used_at = now
    return bool(written)
