"""Takedown notices, their timeline and their clock.

A notice asks one partner (an ISP or platform: ``takedown``; a hotline, NCMEC or
INTERPOL: ``forward``) to act on one content item. It carries only the item's URL or
hashes, the legal and category basis and our reference (see ``payload.notice_payload``),
never content or anything about the reporter.

The clock runs from ``sent_at`` (the partner could see the notice) to ``removed_at``.
Every attempt, delivery, reminder, escalation, check and answer is a ``NoticeEvent``.
These models live in the routing app (app label ``routing``): its ``models.py`` imports
them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tellsafe.core.fields import EncryptedTextField


class NoticeKind(models.TextChoices):
    TAKEDOWN = "takedown", "Takedown notice"
    FORWARD = "forward", "Forward to a hotline or clearinghouse"


class LegalBasis(models.TextChoices):
    # ICCAM's classification: internationally illegal, illegal here, or not illegal.
    BASELINE = "baseline", "INTERPOL Baseline"
    NATIONAL = "national", "Illegal under national law"
    NOT_ILLEGAL = "not_illegal", "Not illegal (voluntary request)"


class NoticeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    HELD = "held", "Held for the police"
    QUEUED = "queued", "Queued for delivery"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    REMOVED = "removed", "Removed"
    NOT_FOUND = "not_found", "Not found"
    REFUSED = "refused", "Refused"
    CLOSED = "closed", "Closed"


class Outcome(models.TextChoices):
    REMOVED = "removed", "Removed"
    NOT_FOUND = "not_found", "Not found"
    REFUSED = "refused", "Refused"


# The clock runs, and reminders go out, in these states.
OPEN_STATUSES = (NoticeStatus.SENT, NoticeStatus.ACKNOWLEDGED)
OUTCOME_STATUSES = (NoticeStatus.REMOVED, NoticeStatus.NOT_FOUND, NoticeStatus.REFUSED)


class Attention(models.TextChoices):
    """Why a person must look at a notice (empty: no one needs to)."""

    NONE = "", "None"
    DELIVERY_FAILED = "delivery_failed", "Delivery failed"
    REMINDER_FAILED = "reminder_failed", "Reminders keep failing"
    ESCALATION_FAILED = "escalation_failed", "Escalation could not be sent"
    NO_ESCALATION_CONTACT = "no_escalation_contact", "No escalation contact"
    MOU_ESCALATION = "mou_escalation", "MoU escalation: a person follows up"
    REFUSED = "refused", "Refused: a person decides what next"


class ReminderSchedule(models.Model):
    """When unanswered notices are chased, kept as data. The SCART default: the first
    reminder 24 h after sending, then one every 24 h. After ``escalate_after`` reminders
    the next one also goes to the partner's named escalation contact; after
    ``mou_after`` reminders, the next one also takes the MoU escalation path (its
    contact, and a person on the desk). Reminders stop after ``max_reminders`` (none:
    they go on while the notice is open)."""

    name = models.SlugField(max_length=48, unique=True)
    first_after_hours = models.PositiveIntegerField(default=24)
    every_hours = models.PositiveIntegerField(default=24)
    escalate_after = models.PositiveSmallIntegerField(default=3)
    mou_after = models.PositiveSmallIntegerField(default=6)
    max_reminders = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(default=False)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            # One default schedule; it also serves the lookup of the default.
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="schedule_one_default"
            ),
            models.CheckConstraint(
                condition=Q(first_after_hours__gte=1, every_hours__gte=1),
                name="schedule_hours_positive",
            ),
            models.CheckConstraint(
                condition=Q(mou_after__gt=models.F("escalate_after")),
                name="schedule_mou_after_escalation",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerNoticeSettings(models.Model):
    """How one partner receives notices: the transport (a plugin name, see
    ``transports``) and its addresses. Contacts and the webhook secret are encrypted."""

    partner = models.OneToOneField(
        "partners.Partner", on_delete=models.PROTECT, related_name="notice_settings"
    )
    transport = models.CharField(max_length=32)
    email = EncryptedTextField(blank=True)  # the abuse desk's address (email transport)
    webhook_url = models.CharField(max_length=2000, blank=True)
    webhook_secret = EncryptedTextField(blank=True)  # HMAC-SHA256 key for the signature
    escalation_name = EncryptedTextField(blank=True)  # the partner's named contact
    escalation_email = EncryptedTextField(blank=True)
    mou_email = EncryptedTextField(blank=True)  # the MoU escalation path
    schedule = models.ForeignKey(
        ReminderSchedule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"notice settings of partner {self.partner_id}"


class Notice(models.Model):
    """One request to one partner about one content item; see the module docstring."""

    reference = models.CharField(max_length=16, unique=True)  # ours, shown to partners
    content_item = models.ForeignKey(
        "cases.ContentItem", on_delete=models.PROTECT, related_name="notices"
    )
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="notices",
        # The (partner, sent_at) index below leads with partner and serves its lookups.
        db_index=False,
    )
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    category = models.CharField(max_length=48)  # a harm category code (taxonomy)
    legal_basis = models.CharField(max_length=16, choices=LegalBasis.choices)
    basis_reference = models.CharField(max_length=200, blank=True)  # the law or agreement
    status = models.CharField(max_length=16, choices=NoticeStatus.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    response_reason = models.TextField(blank=True)  # why the partner refused
    response_via = models.CharField(max_length=16, blank=True)  # link, api, staff, check
    transport = models.CharField(max_length=32)
    # What a re-upload of the same content would have: the URL's keyed hash, or
    # "sha256:..." (else md5, pdq) for a media item. Never the URL itself.
    content_key = models.CharField(max_length=80)
    host = models.CharField(max_length=255, blank=True)
    earlier_notice = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="later_notices"
    )
    # --- the clock ------------------------------------------------------------------------
    created_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)  # the last time it was queued
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # --- chasing --------------------------------------------------------------------------
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 1 contact, 2 MoU
    delivery_attempts = models.PositiveSmallIntegerField(default=0)  # this round's
    failures_in_a_row = models.PositiveSmallIntegerField(default=0)  # of reminders
    attention = models.CharField(max_length=24, choices=Attention.choices, blank=True)
    # --- re-checks --------------------------------------------------------------------------
    last_checked_at = models.DateTimeField(null=True, blank=True)
    gone_since = models.DateTimeField(null=True, blank=True)
    gone_checks = models.PositiveSmallIntegerField(default=0)
    # --- the secure link ---------------------------------------------------------------------
    # The link's token is an HMAC (TELLSAFE_HMAC_KEY) of this random salt, so it can
    # be written again in reminders; the database holds only its SHA-256.
    link_salt = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [
            # The rule engine may ask twice: one open notice per item, partner and kind.
            models.UniqueConstraint(
                fields=["content_item", "partner", "kind"],
                condition=Q(closed_at__isnull=True),
                name="notice_one_open_per_item",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="refused") | ~Q(response_reason=""),
                name="notice_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True)
                | (Q(sent_at__isnull=False) & Q(removed_at__gte=models.F("sent_at"))),
                name="notice_removed_after_sent",
            ),
        ]
        indexes = [
            # Per-partner statistics by period, and a partner's notices (API listing).
            models.Index(fields=["partner", "sent_at", "id"], name="notice_partner_sent_idx"),
            # National statistics by period.
            models.Index(fields=["sent_at"], name="notice_sent_idx"),
            # The reminder sweep: open notices by due time.
            models.Index(
                fields=["next_reminder_at"],
                name="notice_reminder_due_idx",
                condition=Q(next_reminder_at__isnull=False),
            ),
            # Re-upload lookup: removed content by its key.
            models.Index(
                fields=["content_key", "removed_at"],
                name="notice_removed_key_idx",
                condition=Q(removed_at__isnull=False),
            ),
            # The desk's "needs a person" list.
            models.Index(
                fields=["attention", "created_at"],
                name="notice_attention_idx",
                condition=~Q(attention=""),
            ),
        ]

    def __str__(self) -> str:
        return f"notice {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class NoticeEvent(models.Model):
    """One entry of a notice's timeline. ``code`` is a provider's error code or a
    check's result; ``data`` holds ids and codes only, never the URL or content."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        HELD = "held", "Held for the police"
        RELEASED = "released", "Released"
        QUEUED = "queued", "Queued"
        DELIVERED = "delivered", "Delivered"
        DELIVERY_FAILED = "delivery_failed", "Delivery failed"
        REMINDER = "reminder", "Reminder sent"
        REMINDER_FAILED = "reminder_failed", "Reminder failed"
        ESCALATION = "escalation", "Escalated"
        ESCALATION_FAILED = "escalation_failed", "Escalation failed"
        FETCHED = "fetched", "Fetched by the partner"
        LINK_OPENED = "link_opened", "Secure link opened"
        RESPONSE = "response", "Partner answered"
        CHECK = "check", "Re-checked"
        ATTENTION = "attention", "Flagged for a person"
        CLOSED = "closed", "Closed"

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    kind = models.CharField(max_length=24, choices=Kind.choices)
    transport = models.CharField(max_length=32, blank=True)
    attempt = models.PositiveSmallIntegerField(null=True, blank=True)
    code = models.CharField(max_length=200, blank=True)
    actor_kind = models.CharField(max_length=16, blank=True)  # staff, partner, system
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # A notice's timeline, in order.
            models.Index(fields=["notice", "at", "id"], name="noticeevent_timeline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of notice {self.notice_id}"


class Reupload(models.Model):
    """A content item that is the same as one a partner already removed (same URL hash
    or media hash): counted against that partner and host."""

    content_item = models.OneToOneField(
        "cases.ContentItem", on_delete=models.PROTECT, related_name="reupload"
    )
    earlier_notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="reuploads")
    # Copied from the earlier notice: statistics count per partner without a join.
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    host = models.CharField(max_length=255, blank=True)
    detected_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"re-upload of notice {self.earlier_notice_id}"


# What ``from tellsafe.routing.notices.models import *`` in the routing app's models.py
# brings in: the models only, so their names are all it adds there.
__all__ = ["Notice", "NoticeEvent", "PartnerNoticeSettings", "ReminderSchedule", "Reupload"]

# The start-up checks of the notice plugins (transports, checkers) register on import.
from tellsafe.routing.notices import checks  # noqa: E402, F401
