from __future__ import annotations

from django.db import models


class HostingTrace(models.Model):
    """Where a content item was hosted at one moment. Traces are kept, never replaced:
    the series shows when hosting moved (a new country or network), which is when a
    notice must follow the content. ``data`` is the whole trace (CNAME chain, each
    address with its country and network, abuse contact) without the URL, whose path can
    name a child; the columns repeat what queries filter on."""

    class Outcome(models.TextChoices):
        OK = "ok", "Hosting found"
        NXDOMAIN = "nxdomain", "Domain does not exist"
        NO_ANSWER = "no_answer", "No address for the domain"
        TIMEOUT = "timeout", "DNS timed out"
        DNS_ERROR = "dns_error", "DNS failure"
        CNAME_LOOP = "cname_loop", "CNAME loop"
        CNAME_TOO_LONG = "cname_too_long", "CNAME chain too long"
        REFUSED_PRIVATE = "refused_private", "Private or internal address"
        INVALID = "invalid", "Not a traceable URL"

    content_item = models.ForeignKey(
        "cases.ContentItem", on_delete=models.PROTECT, related_name="hosting_traces"
    )
    traced_at = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    host = models.CharField(max_length=255, blank=True)
    # The hosting country (ISO 3166 alpha-2) when every address agrees, else "".
    country = models.CharField(max_length=2, blank=True)
    # The origin ASN and its organisation when every address agrees; 4-byte ASNs fit.
    asn = models.PositiveBigIntegerField(null=True, blank=True)
    org = models.CharField(max_length=255, blank=True)
    behind_cdn = models.BooleanField(default=False)
    cdn = models.CharField(max_length=32, blank=True)
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [
            # An item's latest trace, and its traces newest first (move detection).
            models.Index(
                fields=["content_item", "-traced_at", "-id"], name="trace_item_latest_idx"
            ),
            # Statistics and routing by hosting country over a period.
            models.Index(fields=["country", "traced_at"], name="trace_country_idx"),
        ]

    def __str__(self) -> str:
        return f"trace {self.pk} of content {self.content_item_id}: {self.outcome}"

    @property
    def asns(self) -> list[int]:
        return list(self.data.get("asns") or [])

    @property
    def countries(self) -> list[str]:
        value = self.data.get("hosting_country")
        if isinstance(value, list):
            return list(value)
        return [value] if value else []


from tellsafe.routing.notices.models import *  # noqa: E402, F403
from tellsafe.routing.rules.models import *  # noqa: E402, F403
