from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tellsafe.core import crypto, keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored value under the first key of TELLSAFE_FIELD_KEYS "
        "(run after putting a new key in front and restarting). --check only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report how many values still use other keys (exit status 1 if any).",
        )
        parser.add_argument("--batch-size", type=int, default=keys.BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        primary = crypto.keyring().primary
        if options["check"]:
            counts = keys.stale_counts()
            for label, count in counts.items():
                self.stdout.write(f"{label}: {count} not under key {primary}")
            stale = sum(counts.values())
            if stale:
                raise CommandError(f"{stale} stored values still use a key other than {primary}.")
            self.stdout.write(f"Every stored value uses key {primary}.")
            return
        rotation = keys.rotate(batch_size=options["batch_size"])
        for label, count in rotation.rewritten.items():
            unreadable = rotation.unreadable[label]
            extra = f", {unreadable} unreadable" if unreadable else ""
            self.stdout.write(f"{label}: {count} re-encrypted{extra}")
        old = ", ".join(sorted(rotation.old_key_ids)) or "none"
        self.stdout.write(
            f"Re-encrypted {rotation.total} values under key {primary} (old keys seen: {old})."
        )
        if rotation.total_unreadable:
            raise CommandError(
                f"{rotation.total_unreadable} values could not be decrypted with any "
                "configured key and were left as they are."
            )
