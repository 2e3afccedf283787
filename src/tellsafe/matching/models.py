"""Hash banks: named lists of known-content hashes, their change log, and match tallies.

The in-memory index (``matching.index``) is a cache of these tables: a matcher process
loads the hashes that can match, then follows ``BankChange`` to stay current.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

BANK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{1,62}")


def validate_bank_name(value: str) -> None:
    if not BANK_NAME.fullmatch(value or ""):
        raise ValidationError(
            "A bank name is 2 to 63 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )


class Bank(models.Model):
    """A named list of hashes with its source and the legal scope it applies to."""

    class Source(models.TextChoices):
        IWF = "iwf", "Internet Watch Foundation"
        NCMEC = "ncmec", "NCMEC"
        ANALYSTS = "analysts", "Our analysts"
        PARTNER = "partner", "A partner"
        SELF_REPORTED = "self_reported", "Self-reported (Report Remove)"
        OTHER = "other", "Other"

    class LegalScope(models.TextChoices):
        BASELINE = "baseline", "INTERPOL Baseline"
        NATIONAL = "national", "Illegal under national law"
        NONE = "none", "No legal finding (negative or pending)"

    class Kind(models.TextChoices):
        # A positive bank's matches are reported; a negative bank holds hashes known to
        # be harmless (false positives) and suppresses positive matches of the same image.
        POSITIVE = "positive", "Known abuse material"
        NEGATIVE = "negative", "Known harmless (suppresses matches)"

    name = models.CharField(max_length=63, unique=True, validators=[validate_bank_name])
    title = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    source_partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    legal_scope = models.CharField(max_length=16, choices=LegalScope.choices)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.POSITIVE)
    enabled = models.BooleanField(default=True)  # used for matching at all
    # Hashes added to this bank wait for an analyst before they are shared or acted on.
    review_required = models.BooleanField(default=False)
    # Partners may download it only if it is shareable AND they are listed.
    shareable = models.BooleanField(default=False)
    shared_with = models.ManyToManyField("partners.Partner", blank=True, related_name="banks")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BankHash(models.Model):
    """One hash in one bank. Rows are never deleted: a removed hash keeps its row, so
    partners who downloaded it are told it was withdrawn."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for review"  # matched, never shared or acted on
        ACTIVE = "active", "Active"
        REMOVED = "removed", "Removed"

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="hashes")
    hash_type = models.CharField(max_length=16)  # a hashing plugin name
    value = models.CharField(max_length=64)  # canonical lower-case hex
    quality = models.PositiveSmallIntegerField(null=True, blank=True)  # PDQ only
    reference = models.CharField(max_length=128, blank=True)  # the source's own id
    status = models.CharField(max_length=8, choices=Status.choices)
    added_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)  # first became active
    removed_at = models.DateTimeField(null=True, blank=True)
    # Flood protection: set when the hash matched far more than its normal rate.
    quarantined_at = models.DateTimeField(null=True, blank=True)
    quarantine_released_at = models.DateTimeField(null=True, blank=True)
    # Report Remove: the report whose passphrase may withdraw this hash.
    report = models.ForeignKey(
        "intake.Report",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="self_reported_hashes",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "hash_type", "value"], name="bankhash_unique_in_bank"
            ),
        ]
        indexes = [
            # The review list: pending and quarantined hashes.
            models.Index(fields=["status", "bank"], name="bankhash_status_bank"),
            models.Index(
                fields=["quarantined_at"],
                name="bankhash_quarantined",
                condition=models.Q(quarantined_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.hash_type}:{self.value[:12]}… in {self.bank_id}"

    @property
    def matchable(self) -> bool:
        """Whether the index should hold it."""
        return self.status in (self.Status.ACTIVE, self.Status.PENDING)

    @property
    def quarantined(self) -> bool:
        return self.quarantined_at is not None


class BankChange(models.Model):
    """The change log of the banks: one row per hash that was added, changed status or
    removed, in commit order (writers take one lock, ``services.lock_changes``).
    Matchers follow it to stay current; partners' downloads page through it."""

    class Action(models.TextChoices):
        ADD = "add", "Added"
        UPDATE = "update", "Changed"
        REMOVE = "remove", "Removed"

    id = models.BigAutoField(primary_key=True)
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="changes")
    bank_hash = models.ForeignKey(BankHash, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=8, choices=Action.choices)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            # A partner's download: WHERE bank_id = ? AND id > ? ORDER BY id.
            models.Index(fields=["bank", "id"], name="bankchange_bank_id"),
        ]

    def __str__(self) -> str:
        return f"change {self.pk}: {self.action} {self.bank_hash_id}"


class MatchTally(models.Model):
    """How many lookups one hash matched in one hour, for flood protection."""

    bank_hash = models.ForeignKey(BankHash, on_delete=models.PROTECT, related_name="tallies")
    hour = models.DateTimeField()  # start of the hour, UTC
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bank_hash", "hour"], name="matchtally_unique_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.count} matches of {self.bank_hash_id} at {self.hour:%Y-%m-%d %H}h"
