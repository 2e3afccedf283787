"""``tellsafe simulate whatsapp|sms|telegram|email|ussd``: chat with the local server as a
reporter on a messaging channel, from a terminal (see docs/channels.md). The logic is in
tellsafe.intake.simulator."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tellsafe.intake import simulator


class Command(BaseCommand):
    help = (
        "Chat with the local server as a reporter on WhatsApp, SMS, Telegram, email or "
        "USSD: each line typed is sent as the provider's signed webhook; the answers "
        "are printed. Talks to loopback addresses only."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("channel", choices=["whatsapp", "sms", "telegram", "email", "ussd"])
        parser.add_argument(
            "--url",
            default=simulator.DEFAULT_URL,
            help="the local server (default %(default)s); loopback only",
        )
        parser.add_argument(
            "--slug", default="demo", help="the channel's slug, as in /hooks/<plugin>/<slug>/"
        )
        parser.add_argument(
            "--from",
            dest="sender",
            default="",
            help="the reporter's address: phone, chat id or email address "
            "(default: a new made-up one)",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=simulator.DEFAULT_PORT,
            help="port of the provider double on 127.0.0.1 (default "
            "%(default)s, where the demo channels send)",
        )
        parser.add_argument(
            "--statuses",
            action="store_true",
            help="post delivery status callbacks (sent, delivered, read) for "
            "each message the server sends",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        def out(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        try:
            simulator.run(
                options["channel"],
                url=options["url"],
                slug=options["slug"],
                sender=options["sender"],
                port=options["port"],
                statuses=options["statuses"],
                stdin=options.get("stdin") or sys.stdin,
                out=out,
            )
        except simulator.SimulatorError as exc:
            raise CommandError(str(exc)) from exc
