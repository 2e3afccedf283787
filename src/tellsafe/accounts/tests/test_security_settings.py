"""Headers on desk pages, and the deployment settings Django's own checks look at."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.urls import reverse

from tellsafe.accounts.tests.factories import login, staff

# The throwaway keys of config/settings_test.py: any valid keys will do for the checks.
TEST_FIELD_KEYS = "t1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
TEST_HMAC_KEY = "dGVzdC1obWFjLWtleS0wMTIzNDU2Nzg5YWJjZGVmLTAxMjM0NTY3ODk="


def csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def desk_pages(client):
    yield "sign-in", client.get(reverse("accounts:login"))
    user = staff("supervisor")
    login(client, user)
    yield "queue", client.get(reverse("desk:queue"))
    yield "approvals", client.get(reverse("desk:approvals"))


@pytest.mark.django_db
def test_desk_pages_forbid_inline_script_framing_and_caching(client):
    for name, response in desk_pages(client):
        assert response.status_code == 200, name
        policy = csp(response)
        script_src = policy.get("script-src") or policy["default-src"]
        assert "'unsafe-inline'" not in script_src, name
        assert "'unsafe-eval'" not in script_src, name
        assert policy["frame-ancestors"] == ["'none'"], name
        assert response["X-Frame-Options"] == "DENY", name
        assert "no-store" in response["Cache-Control"], name
        assert response["X-Content-Type-Options"] == "nosniff", name


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tellsafe.config.settings",
        "TELLSAFE_HTTPS": "true",
        "TELLSAFE_DEBUG": "false",
        "TELLSAFE_SECRET_KEY": os.urandom(48).hex(),
        "TELLSAFE_ALLOWED_HOSTS": "tellsafe.example",
        "TELLSAFE_FIELD_KEYS": TEST_FIELD_KEYS,
        "TELLSAFE_HMAC_KEY": TEST_HMAC_KEY,
        "TELLSAFE_DATA_DIR": str(tmp_path),
    }
    env.update(overrides)
    return env


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("https", "passes"), [("true", True), ("false", False)])
def test_check_deploy_passes_with_production_settings(tmp_path, https, passes):
    result = run_django(
        production_env(tmp_path, TELLSAFE_HTTPS=https),
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    output = result.stdout + result.stderr
    if passes:
        assert result.returncode == 0, output
        assert "System check identified no issues" in result.stdout, output
    else:  # the same check, without HTTPS, has something to say: it can fail
        assert result.returncode != 0
        assert "security.W004" in output  # no HSTS


def test_https_turns_on_hsts_and_secure_cookies(tmp_path):
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'DEBUG')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["DEBUG"] is False
