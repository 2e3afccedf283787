from __future__ import annotations

from django.db import models

from tellsafe.core.fields import EncryptedTextField


class ReporterKind(models.TextChoices):
    CHILD = "child", "Child or young person"
    CAREGIVER = "caregiver", "Parent, caregiver or safe adult"
    PROFESSIONAL = "professional", "Professional"


class AgeBand(models.TextChoices):
    UNDER_9 = "under_9", "Under 9"
    AGE_9_12 = "9_12", "9 to 12"
    AGE_13_15 = "13_15", "13 to 15"
    AGE_16_17 = "16_17", "16 to 17"
    ADULT = "adult", "18 or over"
    # Only for chats a person takes over before the age was asked; never from the API.
    UNKNOWN = "unknown", "Not known"


class Channel(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "Partner app / API"
    PHONE = "phone", "Phone"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    TELEGRAM = "telegram", "Telegram"
    EMAIL = "email", "Email"
    USSD = "ussd", "USSD (feature phone)"
    REPORT_REMOVE = "remove", "Report Remove (hashes only)"
    HOTLINE = "hotline", "Forwarded by another hotline"


class ContactKind(models.TextChoices):
    NONE = "none", "No contact"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    TELEGRAM = "telegram", "Telegram"


class Report(models.Model):
    """One submission on one channel. The reporter follows it with ``reference`` and a
    secret passphrase, stored only as an argon2 hash."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="reports")
    reference = models.CharField(max_length=16, unique=True)
    passphrase_hash = models.CharField(max_length=255)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reporter_kind = models.CharField(max_length=16, choices=ReporterKind.choices)
    # The age band of the child concerned (the reporter's own, when a child reports).
    age_band = models.CharField(max_length=8, choices=AgeBand.choices)
    language = models.CharField(max_length=8)
    categories = models.ManyToManyField("taxonomy.HarmCategory", related_name="reports")
    details = EncryptedTextField(blank=True)
    safe_now = models.BooleanField(null=True)
    contact_kind = models.CharField(max_length=16, choices=ContactKind.choices)
    contact_value = EncryptedTextField(blank=True)
    # Keyed hash of the normalised contact, to find repeat reporters without decrypting.
    contact_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Where the report came from beyond its channel, e.g. the hotline that forwarded it
    # ({"source": {...}}) or {"report_remove": true}. Never contact details or narrative.
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"report {self.pk}"

    @property
    def wording_band(self) -> str:
        """Whose words the pages use: the child's own band, or plain adult words for an
        adult reporting about a child."""
        if self.reporter_kind == ReporterKind.CHILD:
            return self.age_band
        return "helper"


class IdempotencyRecord(models.Model):
    """Lets a client retry ``POST /api/v1/reports`` safely: the same key returns the same
    reference and passphrase, never a second report. The passphrase is kept encrypted,
    and the record is deleted after TELLSAFE_IDEMPOTENCY_SECONDS."""

    key = models.CharField(max_length=255, unique=True)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the canonical request
    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="+")
    passphrase = EncryptedTextField()
    created_at = models.DateTimeField(db_index=True)  # purge of old records

    def __str__(self) -> str:
        return f"idempotency record {self.pk}"


class Feedback(models.Model):
    """The reporter's answers to the short survey offered once the case is closed."""

    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="feedback")
    listened = models.PositiveSmallIntegerField()  # 1 (sad) .. 5 (happy)
    understood = models.PositiveSmallIntegerField()
    helped = models.PositiveSmallIntegerField()
    comment = EncryptedTextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(listened__range=(1, 5))
                & models.Q(understood__range=(1, 5))
                & models.Q(helped__range=(1, 5)),
                name="feedback_scores_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"feedback {self.pk}"


class ChannelConfig(models.Model):
    """One configured number, bot or mailbox of a channel plugin. Webhooks arrive at
    /hooks/<plugin>/<slug>/. Secrets (tokens, app secrets) are encrypted at rest."""

    plugin = models.CharField(max_length=16)  # stable plugin name: whatsapp, twilio, ...
    slug = models.SlugField(max_length=48)
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    secrets = EncryptedTextField(help_text="JSON object of the plugin's secrets")
    settings = models.JSONField(default=dict, blank=True, help_text="Non-secret settings")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plugin", "slug"], name="channel_plugin_slug")
        ]

    def __str__(self) -> str:
        return f"{self.plugin}/{self.slug}"

    def secret(self, name: str) -> str:
        import json

        try:
            return str(json.loads(self.secrets or "{}").get(name, ""))
        except ValueError:
            return ""


class Conversation(models.Model):
    """A reporter talking to us on a channel: where they are in the flow, their language,
    and the report once made. One per channel and contact."""

    class State(models.TextChoices):
        ACTIVE = "active", "In the flow"
        DONE = "done", "Report made"
        HUMAN = "human", "With a person"
        STOPPED = "stopped", "Stopped by the reporter"
        EXPIRED = "expired", "Expired while idle"

    channel = models.ForeignKey(
        ChannelConfig, on_delete=models.PROTECT, related_name="conversations"
    )
    contact_hash = models.CharField(max_length=64)  # keyed hash of the contact address
    contact = EncryptedTextField()  # the provider's address: phone, chat id, email...
    language = models.CharField(max_length=8)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    step = models.CharField(max_length=48, blank=True)  # the flow step waiting for an answer
    answers = EncryptedTextField(blank=True)  # JSON of the answers so far
    flow_version = models.PositiveIntegerField(default=1)
    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, null=True, blank=True, related_name="conversations"
    )
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "contact_hash"], name="conversation_channel_contact"
            )
        ]
        indexes = [
            # Expiry sweep: active conversations idle for long.
            models.Index(fields=["state", "updated_at"], name="conversation_idle_idx"),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk}"


class InboundMessage(models.Model):
    """A provider's message, recorded durably before the provider is acknowledged, then
    processed by the worker. Unique on the provider's message id: a redelivery is
    acknowledged and processed once."""

    channel = models.ForeignKey(ChannelConfig, on_delete=models.PROTECT, related_name="inbound")
    provider_id = models.CharField(max_length=128)
    contact_hash = models.CharField(max_length=64)
    event = EncryptedTextField()  # the normalised event (JSON): text, media hashes, ...
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "provider_id"], name="inbound_channel_provider_id"
            )
        ]
        indexes = [
            # The worker's sweep and per-contact ordering: unprocessed, oldest first.
            models.Index(fields=["processed_at", "received_at"], name="inbound_pending_idx"),
        ]

    def __str__(self) -> str:
        return f"inbound {self.pk}"


class OutboundMessage(models.Model):
    """A message we send on a channel, with its delivery state. Sent by a background
    task with retries; a message that fails for good is shown to staff."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"

    channel = models.ForeignKey(ChannelConfig, on_delete=models.PROTECT, related_name="outbound")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.PROTECT, null=True, blank=True, related_name="outbound"
    )
    case_message = models.ForeignKey(
        "cases.Message", on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries"
    )
    to = EncryptedTextField()
    body = EncryptedTextField()
    options = models.JSONField(default=list, blank=True)  # quick-reply choices, if any
    template = models.CharField(max_length=64, blank=True)  # set outside a service window
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    provider_id = models.CharField(max_length=128, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)  # provider error code, no content
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"outbound {self.pk} {self.status}"


class Flow(models.Model):
    """A version of the chat reporting flow: data, not code, so an administrator can
    change it without a deployment. The newest active version is used for new
    conversations; a conversation keeps the version it started with."""

    version = models.PositiveIntegerField(unique=True)
    active = models.BooleanField(default=True)
    definition = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"flow v{self.version}"
