from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tellsafe.core import audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; report the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        checked, broken = audit.verify()
        seconds = time.perf_counter() - started
        if broken:
            raise CommandError(
                f"Audit chain broken at event #{broken.seq}: {broken.problem} "
                f"({checked} events verified before it)."
            )
        self.stdout.write(f"Audit chain intact: {checked} events verified in {seconds:.2f} s.")
