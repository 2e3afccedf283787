"""Partners (ISPs, platforms, NGOs, hotlines, services, law enforcement) and the API keys
they call /api/v1/ with.

A key is ``tsk_<prefix>_<secret>``. The prefix is public: it finds the row, and lists and
logs show it. The secret is 256 random bits, shown once when the key is made; only its
SHA-256 is stored (see ``ApiKey.secret_hash``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# Used when PARTNER_API_REQUESTS_PER_MINUTE is not set.
DEFAULT_REQUESTS_PER_MINUTE = 600


class Scope(StrEnum):
    """What a key may do. Which banks a ``banks:read`` key may download is decided by the
    bank layer, not here."""

    HASHES_COMPUTE = "hashes:compute"  # POST /api/v1/hashes: hash an uploaded image
    MATCH = "match"  # POST /api/v1/match: look hashes up against the banks
    BANKS_READ = "banks:read"  # GET /api/v1/banks/{name}/hashes: download hash lists
    # GET /api/v1/notices, POST /api/v1/notices/{id}/response: the partner's notices
    NOTICES = "notices"


# In the order lists and the docs show them.
ALL_SCOPES: tuple[Scope, ...] = tuple(Scope)


def default_requests_per_minute() -> int:
    """The per-key limit for keys made without one: the PARTNER_API_REQUESTS_PER_MINUTE
    setting, read when the key is made (a later change of the setting leaves existing keys
    as they are)."""
    return int(getattr(settings, "PARTNER_API_REQUESTS_PER_MINUTE", DEFAULT_REQUESTS_PER_MINUTE))


class Partner(models.Model):
    """An organisation that cooperates with the service of its own will. Takedown notices,
    MoUs and scorecards hang off this record."""

    class Kind(models.TextChoices):
        ISP = "isp", "Internet service provider"
        PLATFORM = "platform", "Platform"
        NGO = "ngo", "NGO"
        HOTLINE = "hotline", "Hotline"
        SERVICE = "service", "Support service"
        LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
        OTHER = "other", "Other"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # ISO 3166-1 alpha-2, upper case; blank when not known or international.
    country = models.CharField(max_length=2, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Where the partner's networks and sites are, so a hosting trace finds it as the
    # abuse contact (partners.lookup; set with partners.lookup.partner_networks_set):
    # its origin ASNs (ints) and the domains it serves, lower-case, each also matching
    # its subdomains. Matched in Python: JSON containment is not portable to SQLite.
    asns = models.JSONField(default=list, blank=True)
    domains = models.JSONField(default=list, blank=True)
    # Where abuse reports to the partner go when it has no notice settings of its own.
    abuse_email = models.EmailField(blank=True)

    class Meta:
        constraints = [
            # "Airtel" and "AIRTEL" are one partner. Also serves partner_by_name().
            models.UniqueConstraint(Lower("name"), name="partner_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """One credential of a partner. Never deleted: a key that is no longer wanted is
    revoked, so the audit log can always name the key behind a past call."""

    partner = models.ForeignKey(
        Partner,
        on_delete=models.PROTECT,
        related_name="api_keys",
        # The (partner, created_at) index below leads with partner and serves its lookups.
        db_index=False,
    )
    label = models.CharField(max_length=100, blank=True)
    # Public part of the key. Unique, so its index serves the lookup of every API call.
    prefix = models.CharField(max_length=8, unique=True)
    # SHA-256 (hex) of the secret part. A fast, unkeyed hash is right here: the secret is
    # 256 random bits, so unlike a password there is nothing to guess, and a slow hash
    # (argon2) would only add latency to every API call. A keyed hash under
    # TELLSAFE_HMAC_KEY would add no protection against a stolen database (the secret
    # cannot be found from SHA-256 either), and rotating that key would silently break
    # every partner's key, since the secrets are not kept to re-hash them.
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)  # values of Scope; checked by the services
    requests_per_minute = models.PositiveIntegerField(default=default_requests_per_minute)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Written at most once a minute per key (see partners.auth), so it is approximate.
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A partner's keys, newest first: active_keys() and `tellsafe partner keys`.
            models.Index(fields=["partner", "-created_at"], name="apikey_partner_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requests_per_minute__gte=1),
                name="apikey_requests_per_minute_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"api key {self.prefix}"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    def is_usable(self, now: datetime | None = None) -> bool:
        """Not revoked, not expired, and its partner is active (the partner must be
        loaded; partners.auth selects it with the key)."""
        return self.revoked_at is None and not self.is_expired(now) and self.partner.active
