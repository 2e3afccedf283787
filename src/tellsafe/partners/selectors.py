"""Reads of the partner registry."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tellsafe.partners import keyformat
from tellsafe.partners.models import ApiKey, Partner


def partner_by_name(name: str) -> Partner | None:
    """The partner of this name, compared without regard to case or spacing."""
    if not isinstance(name, str):
        return None
    name = " ".join(name.split())
    if not name:
        return None
    return Partner.objects.filter(name__iexact=name).first()


def partners() -> QuerySet[Partner]:
    """Every partner by name, each with ``usable_keys``: how many of its keys are
    neither revoked nor expired (one query, whatever the number of partners)."""
    now = timezone.now()
    usable = Q(api_keys__revoked_at__isnull=True) & (
        Q(api_keys__expires_at__isnull=True) | Q(api_keys__expires_at__gt=now)
    )
    return Partner.objects.annotate(usable_keys=Count("api_keys", filter=usable)).order_by("name")


def active_keys(partner: Partner, *, now: datetime | None = None) -> QuerySet[ApiKey]:
    """The partner's keys that are neither revoked nor expired, newest first. (Whether the
    partner itself is active is a separate matter: see Partner.active.)"""
    now = now or timezone.now()
    return (
        ApiKey.objects.filter(partner=partner, revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-created_at", "-pk")
    )


def api_keys(partner: Partner | None = None) -> QuerySet[ApiKey]:
    """All keys (revoked and expired ones too), of one partner or of all, newest first,
    with their partner loaded."""
    keys = ApiKey.objects.select_related("partner")
    if partner is not None:
        keys = keys.filter(partner=partner)
    return keys.order_by("-created_at", "-pk")


def api_key_by_prefix(text: str) -> ApiKey | None:
    """The key with this prefix (``abcd2345`` or ``tsk_abcd2345``), its partner loaded."""
    prefix = keyformat.parse_prefix(text) if isinstance(text, str) else None
    if prefix is None:
        return None
    return ApiKey.objects.select_related("partner").filter(prefix=prefix).first()
