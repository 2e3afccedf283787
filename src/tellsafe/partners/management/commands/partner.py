"""``tellsafe partner``: register partners and manage their API keys.

    tellsafe partner add "Example Net" --kind isp --country IN
    tellsafe partner list
    tellsafe partner key-create "Example Net" --scope match --scope banks:read \\
        [--label "prod matcher"] [--expires 2027-12-31] [--per-minute 600]
    tellsafe partner keys ["Example Net"]
    tellsafe partner key-revoke abcd2345 --reason "rotated"
    tellsafe partner deactivate "Example Net" --reason "MoU ended"

A new key is printed once and is not stored. Lists never show secrets: a key is named by
its public prefix. Each change is audited with the actor ``system/cli``.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tellsafe.core.audit import Actor
from tellsafe.core.errors import ApplicationError
from tellsafe.partners import selectors, services
from tellsafe.partners.models import ALL_SCOPES, ApiKey, Partner

CLI_ACTOR = Actor("system", "cli")


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None


def _expiry(text: str) -> datetime:
    """A date (the key stops working at 00:00 UTC that day) or an ISO 8601 date and time
    with a UTC offset."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date (2027-12-31) or a date and time (2027-12-31T18:00+05:30)"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(
            "give the time with its UTC offset, such as 2027-12-31T18:00+05:30"
        )
    return moment


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


class Command(BaseCommand):
    help = "Register partners and issue, list and revoke their API keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        add = sub.add_parser("add", help="register a partner")
        add.add_argument("name", metavar="NAME")
        add.add_argument("--kind", required=True, choices=Partner.Kind.values)
        add.add_argument(
            "--country", default="", help="ISO 3166-1 alpha-2 code, such as IN (optional)"
        )

        sub.add_parser("list", help="list partners")

        create = sub.add_parser("key-create", help="issue an API key (shown once)")
        create.add_argument("partner", metavar="PARTNER", help="the partner's name")
        create.add_argument(
            "--scope",
            dest="scopes",
            action="append",
            required=True,
            choices=[str(scope) for scope in ALL_SCOPES],
            help="what the key may do; repeat for several",
        )
        create.add_argument("--label", default="", help="a note saying what the key is for")
        create.add_argument(
            "--expires",
            type=_expiry,
            default=None,
            help="date (the key stops working at 00:00 UTC that day) or ISO date and time",
        )
        create.add_argument(
            "--per-minute",
            type=_whole_number,
            default=None,
            help="request limit a minute (default: PARTNER_API_REQUESTS_PER_MINUTE, or 600)",
        )

        keys = sub.add_parser("keys", help="list API keys (never their secrets)")
        keys.add_argument("partner", metavar="PARTNER", nargs="?", default=None)

        revoke = sub.add_parser("key-revoke", help="revoke an API key for good")
        revoke.add_argument("prefix", metavar="PREFIX", help="the key's prefix, as `keys` shows")
        revoke.add_argument("--reason", required=True)

        deactivate = sub.add_parser(
            "deactivate", help="suspend a partner: none of its keys work while it is inactive"
        )
        deactivate.add_argument("partner", metavar="PARTNER")
        deactivate.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"do_{action}")(options)
        except ApplicationError as exc:
            raise CommandError(_describe(exc)) from None

    def do_add(self, options: dict[str, Any]) -> None:
        partner = services.partner_create(
            name=options["name"], kind=options["kind"], country=options["country"], actor=CLI_ACTOR
        )
        where = f", {partner.country}" if partner.country else ""
        self.stdout.write(f'Added partner "{partner.name}" ({partner.kind}{where}).')

    def do_list(self, options: dict[str, Any]) -> None:
        rows: list[tuple[str, ...]] = []
        for p in selectors.partners():
            usable = p.usable_keys  # type: ignore[attr-defined]  # annotated by the selector
            rows.append(
                (p.name, p.kind, p.country or "-", "yes" if p.active else "no", str(usable))
            )
        if not rows:
            self.stdout.write("No partners yet. Add one with: tellsafe partner add NAME --kind K")
            return
        self._table(("NAME", "KIND", "COUNTRY", "ACTIVE", "KEYS"), rows)

    def do_key_create(self, options: dict[str, Any]) -> None:
        partner = _partner(options["partner"])
        key, plaintext = services.api_key_create(
            partner=partner,
            label=options["label"],
            scopes=options["scopes"],
            expires_at=options["expires"],
            requests_per_minute=options["per_minute"],
            actor=CLI_ACTOR,
        )
        expiry = f"expires {_when(key.expires_at)}" if key.expires_at else "no expiry"
        self.stdout.write(
            f'Created key {key.prefix} for "{partner.name}": scopes {", ".join(key.scopes)}; '
            f"{key.requests_per_minute} requests a minute; {expiry}."
        )
        self.stdout.write(plaintext)
        self.stdout.write(
            "This key is shown only now and is not stored anywhere. Give it to the partner "
            "over a secure channel; if it is lost, revoke it and issue a new one."
        )

    def do_keys(self, options: dict[str, Any]) -> None:
        partner = _partner(options["partner"]) if options["partner"] else None
        rows = [_key_row(key) for key in selectors.api_keys(partner)]
        if not rows:
            self.stdout.write("No keys.")
            return
        self._table(
            ("PREFIX", "PARTNER", "LABEL", "SCOPES", "CREATED", "LAST USED", "EXPIRES", "REVOKED"),
            rows,
        )

    def do_key_revoke(self, options: dict[str, Any]) -> None:
        key = selectors.api_key_by_prefix(options["prefix"])
        if key is None:
            raise CommandError(f"No API key has the prefix {options['prefix']!r}.")
        services.api_key_revoke(key=key, actor=CLI_ACTOR, reason=options["reason"])
        self.stdout.write(f'Revoked key {key.prefix} of "{key.partner.name}".')

    def do_deactivate(self, options: dict[str, Any]) -> None:
        partner = _partner(options["partner"])
        services.partner_deactivate(partner=partner, actor=CLI_ACTOR, reason=options["reason"])
        self.stdout.write(f'Deactivated "{partner.name}": none of its keys work now.')

    def _table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())


def _partner(name: str) -> Partner:
    partner = selectors.partner_by_name(name)
    if partner is None:
        raise CommandError(f"No partner is named {name!r}. See: tellsafe partner list")
    return partner


def _key_row(key: ApiKey) -> tuple[str, ...]:
    return (
        key.prefix,
        key.partner.name,
        key.label or "-",
        ",".join(key.scopes),
        _when(key.created_at),
        _when(key.last_used_at),
        _when(key.expires_at),
        _when(key.revoked_at),
    )


def _describe(exc: ApplicationError) -> str:
    details = [f"{field}: {' '.join(messages)}" for field, messages in exc.fields.items()]
    return " ".join([exc.message, *details])
