from __future__ import annotations

from django.conf import settings
from django.db import models

from tellsafe.core.fields import EncryptedTextField


class Urgency(models.TextChoices):
    IMMINENT = "imminent", "Imminent danger"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"


# Lower rank is more urgent; the queue orders by rank, then by age.
URGENCY_RANK = {Urgency.IMMINENT: 0, Urgency.HIGH: 1, Urgency.NORMAL: 2}


class Status(models.TextChoices):
    NEW = "new", "New"
    IN_REVIEW = "in_review", "In review"
    ACTION_TAKEN = "action_taken", "Action taken"
    CLOSED = "closed", "Closed"


class Action(models.TextChoices):
    NONE = "", "None"
    REFERRED = "referred", "Referred to a service"
    NOTICE_SENT = "notice_sent", "Content notice sent"
    FORWARDED = "forwarded", "Forwarded"
    CONTENT_REMOVED = "content_removed", "Content removed"


class Case(models.Model):
    """The matter of one child or incident. It groups the reports about it, so a child
    tells the story once."""

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    action = models.CharField(max_length=16, choices=Action.choices, default="", blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    urgency_rank = models.PositiveSmallIntegerField(default=URGENCY_RANK[Urgency.NORMAL])
    imminent_danger = models.BooleanField(default=False)
    first_response_due = models.DateTimeField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    # Codes of what was done, shown to the child when the case is closed.
    outcome_codes = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic locking

    class Meta:
        indexes = [
            # The triage queue: open cases, most urgent first, then oldest first.
            models.Index(fields=["status", "urgency_rank", "created_at"], name="case_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk}"


class ContentItem(models.Model):
    """A URL (or later a media item, by its hashes) reported in a case. The URL is
    encrypted, because it can name the child; its host stays readable for routing and
    statistics, and a keyed hash finds the same URL reported again."""

    class Kind(models.TextChoices):
        URL = "url", "URL"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="content_items")
    report = models.ForeignKey(
        "intake.Report", on_delete=models.PROTECT, related_name="content_items", null=True
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.URL)
    url = EncryptedTextField()
    url_hash = models.CharField(max_length=64, db_index=True)  # repeat and re-upload lookups
    host = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"content {self.pk} on {self.host}"


class Message(models.Model):
    """A message between the desk and a reporter. Outbound messages are shown on the
    reporter's status page; inbound ones are what the reporter added later."""

    class Direction(models.TextChoices):
        INBOUND = "in", "From the reporter"
        OUTBOUND = "out", "To the reporter"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    report = models.ForeignKey("intake.Report", on_delete=models.PROTECT, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    body = EncryptedTextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # A reporter's status page: the messages of one report, in order.
            models.Index(fields=["report", "created_at"], name="message_report_idx"),
        ]

    def __str__(self) -> str:
        return f"message {self.pk} ({self.direction})"
