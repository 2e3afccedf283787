"""``tellsafe demo``: load demo data so a newcomer sees a working service.

Safe to run again: it adds only what is missing. Staff passwords and TOTP secrets are
random and are printed once, when the accounts are created, so each demo account can sign
in at once with any TOTP authenticator app. Demo data is for local use only: the command
refuses to run with TELLSAFE_HTTPS on, which marks a real deployment.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts.models import Role, User
from tellsafe.accounts.totp import readable_secret
from tellsafe.intake import services
from tellsafe.intake.models import Report
from tellsafe.intake.validation import validate_report
from tellsafe.referrals.models import EmergencyNumber, Service

FIXTURES = Path(__file__).resolve().parents[3] / "referrals" / "fixtures"

STAFF = [
    ("counsellor", Role.COUNSELLOR, "north"),
    ("analyst", Role.ANALYST, "hotline"),
    ("supervisor", Role.SUPERVISOR, "north"),
    ("admin", Role.ADMINISTRATOR, ""),
    ("auditor", Role.AUDITOR, ""),
]

SAMPLE_REPORTS: list[dict[str, Any]] = [
    {
        "reporter": "child",
        "age_band": "13_15",
        "language": "en",
        "categories": ["sextortion", "image_sharing"],
        "details": "Someone I met in a game says he will send my photos to my class unless I pay.",
        "urls": ["https://social.example/profile/demo-account-1"],
        "safe_now": True,
        "contact": {"kind": "whatsapp", "value": "+919800000001"},
    },
    {
        "reporter": "caregiver",
        "age_band": "9_12",
        "language": "hi",
        "categories": ["grooming"],
        "details": "My daughter gets messages from an adult asking her to keep secrets.",
        "urls": [],
        "safe_now": None,
        "contact": {"kind": "email", "value": "parent@example.org"},
    },
    {
        "reporter": "child",
        "age_band": "9_12",
        "language": "ur",
        "categories": ["other"],
        "details": "",
        "urls": [],
        "safe_now": False,
        "contact": {"kind": "none"},
    },
    {
        "reporter": "professional",
        "age_band": "16_17",
        "language": "en",
        "categories": ["csam"],
        "details": "Found while moderating a forum.",
        "urls": ["https://files.example/abc123", "https://files.example/def456"],
        "safe_now": None,
        "contact": {"kind": "none"},
    },
]


class Command(BaseCommand):
    help = "Load demo data: services, emergency numbers, sample reports and staff accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.HTTPS:
            raise CommandError("Demo data is for local use only (TELLSAFE_HTTPS is on).")
        with transaction.atomic():
            self._directory()
        if not Report.objects.exists():
            for raw in SAMPLE_REPORTS:
                services.report_create(data=validate_report(raw), channel="web")
            self.stdout.write(f"Created {len(SAMPLE_REPORTS)} sample reports.")
        from tellsafe.intake.demo_channels import ensure_demo_channels

        made = ensure_demo_channels()
        if made:
            self.stdout.write(
                f"Demo channels (test secrets in docs/channels.md): {', '.join(made)}"
            )
        from tellsafe.matching.demo import ensure_demo_banks

        for line in ensure_demo_banks():
            self.stdout.write(line)
        from tellsafe.routing.demo import ensure_demo_routing

        for line in ensure_demo_routing():
            self.stdout.write(line)
        self._staff()

    def _directory(self) -> None:
        if not EmergencyNumber.objects.exists():
            for row in json.loads((FIXTURES / "emergency.json").read_text("utf-8")):
                EmergencyNumber.objects.create(**row)
        if not Service.objects.exists():
            for row in json.loads((FIXTURES / "services.json").read_text("utf-8")):
                Service.objects.create(**row)

    def _staff(self) -> None:
        created = []
        for username, role, team in STAFF:
            if User.objects.filter(username=username).exists():
                continue
            password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
            with transaction.atomic():
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    role=role,
                    team=team,
                    email=f"{username}@tellsafe.invalid",
                )
                # The key is random (TOTPDevice's default); confirmed, so the first
                # sign-in asks for a code instead of enrolling a device.
                device = TOTPDevice.objects.create(user=user, name="demo", confirmed=True)
            created.append((username, role, password, device))
        if created:
            self.stdout.write("")
            self.stdout.write("Local demo staff accounts (shown once; not for real use).")
            self.stdout.write(
                "Type each TOTP secret into any TOTP authenticator app (FreeOTP, Aegis,\n"
                "Google Authenticator...), or open its otpauth:// link with one; the app\n"
                "then shows the 6-digit code that sign-in asks for after the password."
            )
            for username, role, password, device in created:
                self.stdout.write("")
                self.stdout.write(f"  {username:<11} {role:<14} password: {password}")
                self.stdout.write(f"  {'':<26} TOTP secret: {readable_secret(device)}")
                self.stdout.write(f"  {'':<26} {device.config_url}")
            self.stdout.write("")
