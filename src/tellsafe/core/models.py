from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log.

    ``hash`` = SHA-256 over the previous event's hash and this event's canonical fields,
    so editing or deleting any event breaks every link after it (see core.audit.verify).
    ``data`` holds ids and codes only: never narratives or contact details.
    """

    seq = models.BigIntegerField(unique=True)  # the chain order; gaps mean deletion
    at = models.DateTimeField()
    actor_kind = models.CharField(max_length=16)  # staff, reporter, partner, system
    actor_id = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        indexes = [
            # The case timeline: every event of one object, in order.
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
