"""``tellsafe demo`` makes staff accounts that can sign in at once: a password and a
TOTP secret, printed once, that any authenticator app takes."""

from __future__ import annotations

import base64
import re
from io import StringIO
from urllib.parse import parse_qs, urlparse

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts.tests.factories import totp_code
from tellsafe.core.management.commands.demo import STAFF

pytestmark = pytest.mark.django_db


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def printed_accounts(output: str) -> dict[str, dict[str, str]]:
    accounts = {}
    pattern = re.compile(
        r"^  (\S+) +\S+ +password: (\S+)\n +TOTP secret: ([A-Z2-7 ]+)\n +(otpauth://\S+)$",
        re.MULTILINE,
    )
    for username, password, secret, url in pattern.findall(output):
        accounts[username] = {"password": password, "secret": secret, "url": url}
    return accounts


def test_each_demo_account_gets_a_password_and_a_confirmed_totp_secret(client):
    output = run_demo()
    accounts = printed_accounts(output)
    assert set(accounts) == {username for username, _role, _team in STAFF}
    assert "any TOTP authenticator app" in output
    secrets_seen = set()
    for username, printed in accounts.items():
        device = TOTPDevice.objects.get(user__username=username)
        assert device.confirmed
        groups = printed["secret"].split(" ")
        assert all(len(g) == 4 for g in groups[:-1]) and 0 < len(groups[-1]) <= 4
        key = base64.b32decode("".join(groups))
        assert key == device.bin_key and len(key) >= 20
        query = parse_qs(urlparse(printed["url"]).query)
        assert query["secret"] == ["".join(groups)]
        assert printed["url"].startswith("otpauth://totp/")
        secrets_seen.add(key)
    assert len(secrets_seen) == len(accounts)  # random, one each

    # What was printed is all it takes to sign in.
    counsellor = accounts["counsellor"]
    key = base64.b32decode(counsellor["secret"].replace(" ", ""))
    client.post(
        reverse("accounts:login"), {"username": "counsellor", "password": counsellor["password"]}
    )
    page = client.get(reverse("accounts:second_factor")).content.decode()
    assert "Enter your code" in page and "<svg" not in page
    response = client.post(reverse("accounts:second_factor"), {"token": totp_code(key)})
    assert response["Location"] == reverse("desk:queue")
    assert client.get(reverse("desk:queue")).status_code == 200


def test_running_again_prints_no_secret_and_adds_no_device():
    run_demo()
    devices = TOTPDevice.objects.count()
    again = run_demo()
    assert "TOTP secret" not in again and "password:" not in again
    assert TOTPDevice.objects.count() == devices


def test_demo_refuses_a_real_deployment(settings):
    settings.HTTPS = True
    with pytest.raises(CommandError, match="local use only"):
        run_demo()
    assert not TOTPDevice.objects.exists()
