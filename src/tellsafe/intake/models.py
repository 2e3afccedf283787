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


class Channel(models.TextChoices):
    WEB = "web", "Web"
    API = "api", "Partner app / API"
    PHONE = "phone", "Phone"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    TELEGRAM = "telegram", "Telegram"
    EMAIL = "email", "Email"


class ContactKind(models.TextChoices):
    NONE = "none", "No contact"
    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


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
