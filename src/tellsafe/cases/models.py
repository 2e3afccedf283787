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
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    team = models.CharField(max_length=64, blank=True)  # "" = the shared triage queue
    first_response_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Indexed only where set (below): an index over the many NULLs would lure SQLite's
    # planner away from the queue's ordered index.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        db_index=False,
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The triage queue: open, unmerged cases, most urgent first, then oldest first.
            # Partial, so the queue walks it in order and stops after one page.
            models.Index(
                fields=["urgency_rank", "created_at", "id"],
                name="case_open_queue_idx",
                condition=models.Q(
                    status__in=["new", "in_review", "action_taken"], merged_into__isnull=True
                ),
            ),
            # The same order without the condition: SQLite cannot match a partial index
            # against a query whose values are bound parameters, so it walks this one.
            models.Index(fields=["urgency_rank", "created_at", "id"], name="case_rank_idx"),
            # The cases merged into one case, for its page.
            models.Index(
                fields=["merged_into"],
                name="case_merged_idx",
                condition=models.Q(merged_into__isnull=False),
            ),
            # Escalation sweep: open cases whose first response is due.
            models.Index(fields=["first_response_at", "first_response_due"], name="case_due_idx"),
            # Retention sweep: closed cases by closing date.
            models.Index(fields=["closed_at"], name="case_closed_idx"),
        ]

    def __str__(self) -> str:
        return f"case {self.pk}"


class ContentItem(models.Model):
    """A URL or a media item reported in a case. The URL is encrypted, because it can
    name the child; its host stays readable for routing and statistics, and a keyed hash
    finds the same URL reported again.

    A media item (a picture or file sent in a chat) is never kept: the worker fetches it
    from the provider, hashes it in memory and keeps only its hashes and what the banks
    said about them (intake.media). Its URL is empty."""

    class Kind(models.TextChoices):
        URL = "url", "URL"
        MEDIA = "media", "Media item"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="content_items")
    report = models.ForeignKey(
        "intake.Report", on_delete=models.PROTECT, related_name="content_items", null=True
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.URL)
    url = EncryptedTextField(blank=True)  # empty for a media item
    # A URL: repeat and re-upload lookups. A media item: keyed hash of the provider's
    # reference to it, so the same item is recorded once per report.
    url_hash = models.CharField(max_length=64, db_index=True)
    host = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    # --- media items only -------------------------------------------------------------
    media_type = models.CharField(max_length=16, blank=True)  # image, video, audio, document
    pdq = models.CharField(max_length=64, blank=True)  # still images only
    pdq_quality = models.PositiveSmallIntegerField(null=True, blank=True)
    md5 = models.CharField(max_length=32, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    # Why the item could not be fetched or hashed (a short code), once that is final.
    fetch_error = models.CharField(max_length=32, blank=True)
    # The banks' answer: {"matches": [{bank, hash_type, distance, variant, actionable,
    # ...}], "actionable", "suppressed"}. Null until the item has been looked up.
    match_summary = models.JSONField(null=True, blank=True)
    # How to fetch the item from its provider (channel and the provider's id or link),
    # kept only until it is hashed; never the media itself.
    media_ref = EncryptedTextField(blank=True)

    class Meta:
        constraints = [
            # A chat's media item once per report, however often the worker runs. Its
            # index also serves the worker's "pending media of this report" query.
            models.UniqueConstraint(
                fields=["report", "url_hash"],
                condition=models.Q(kind="media"),
                name="content_media_once_per_report",
            )
        ]
        indexes = [
            # The worker's sweep: media items still waiting to be hashed, oldest first.
            models.Index(
                fields=["created_at"],
                name="content_media_pending_idx",
                condition=models.Q(kind="media", match_summary__isnull=True, fetch_error=""),
            )
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.MEDIA:
            return f"content {self.pk} ({self.media_type or 'media'})"
        return f"content {self.pk} on {self.host}"

    @property
    def media_pending(self) -> bool:
        """A media item not yet hashed and looked up, and not given up on."""
        return self.kind == self.Kind.MEDIA and self.match_summary is None and not self.fetch_error


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


class Note(models.Model):
    """A staff note on a case: encrypted, never shown to the reporter."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = EncryptedTextField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"note {self.pk}"


class Approval(models.Model):
    """A supervisor's decision on an action that needs one (closing with no action,
    anything that leaves the system). Kept for ever, with who asked and who decided."""

    class Kind(models.TextChoices):
        CLOSE_NO_ACTION = "close_no_action", "Close with no action"
        FORWARD_POLICE = "forward_police", "Forward to law enforcement"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="approvals")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    reason = models.TextField(blank=True)  # the requester's justification, no narrative
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"approval {self.pk} {self.kind} {self.state}"


class Contact(models.Model):
    """A contact that is not a case (silent call, prank, wrong number...). Counted for
    statistics; it never enters the queue."""

    class Kind(models.TextChoices):
        SILENT = "silent", "Silent call"
        PRANK = "prank", "Prank"
        WRONG_NUMBER = "wrong_number", "Wrong number"
        ABUSIVE = "abusive", "Abusive caller"
        INFORMATION = "information", "Asked for information only"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=16)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"contact {self.pk} {self.kind}"


class UrgencyRule(models.Model):
    """A triage rule, kept as data an administrator can edit. Rules are tried in
    ``position`` order and the first that matches sets the urgency; a report no rule
    matches is normal. A rule matches when every condition it sets holds."""

    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    urgency = models.CharField(max_length=16, choices=Urgency.choices)
    when_not_safe = models.BooleanField(
        default=False, help_text="Match only when the reporter said they are not safe now."
    )
    categories = models.JSONField(
        default=list, blank=True, help_text="Harm category codes; any one matches. Empty: any."
    )
    age_bands = models.JSONField(
        default=list, blank=True, help_text="Age bands; any one matches. Empty: any."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, safe_now: bool | None, age_band: str, category_codes: set[str]) -> bool:
        if self.when_not_safe and safe_now is not False:
            return False
        if self.categories and not category_codes & set(self.categories):
            return False
        return not (self.age_bands and age_band not in self.age_bands)
