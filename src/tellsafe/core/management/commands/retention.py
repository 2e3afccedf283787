from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tellsafe.cases import retention


class Command(BaseCommand):
    help = "Anonymise closed cases older than TELLSAFE_RETENTION_DAYS (--dry-run only counts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be done; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = retention.retention_run(dry_run=options["dry_run"])
        verb = "Would anonymise" if run.dry_run else "Anonymised"
        self.stdout.write(f"{verb} {run.cases} cases closed before {run.cutoff.isoformat()}.")
        for kind, count in run.counts.items():
            self.stdout.write(f"  {kind.replace('_', ' ')}: {count}")
