from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tellsafe.intake import services


class Command(BaseCommand):
    help = "Delete expired API retry records (they hold encrypted passphrases)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = services.purge_idempotency_records()
        self.stdout.write(f"Deleted {deleted} expired retry records.")
