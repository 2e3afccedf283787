"""``tellsafe trace URL...``: one JSON line per URL, error lines, exit status 1 on errors,
never a traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tellsafe.routing import resolve
from tellsafe.routing.tests.factories import HETZNER_V4, FakeIpDatabase, resolver


@pytest.fixture
def offline(monkeypatch):
    made: dict = {}

    def fake_resolver(*, nameservers=None, timeout=None):
        made.update(nameservers=nameservers, timeout=timeout)
        return resolver()

    monkeypatch.setattr(resolve, "default_resolver", fake_resolver)
    monkeypatch.setattr("tellsafe.routing.trace.default_database", FakeIpDatabase)
    return made


def run(*args: str) -> tuple[list[dict], CommandError | None]:
    out = io.StringIO()
    error = None
    try:
        call_command("trace", *args, stdout=out)
    except CommandError as exc:
        error = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], error


def test_one_json_line_per_url_in_order(offline):
    lines, error = run(
        "https://user:secret@www.example.net/a", "media.example.org/v", "http://gone.example.org/"
    )
    assert error is None
    assert [line["outcome"] for line in lines] == ["ok", "ok", "nxdomain"]
    first = lines[0]
    assert first["url"] == "https://www.example.net/a"  # credentials removed
    assert "secret" not in json.dumps(lines)
    assert first["cname_chain"] == ["files.example.net"]
    assert first["addresses"][0] == {
        "ip": HETZNER_V4,
        "version": 4,
        "country": "DE",
        "country_source": "geo",
        "registry_country": "DE",
        "asn": 24940,
        "org": "Hetzner Online GmbH",
        "network": "",
        "cdn": "",
    }
    assert first["hosting_country"] == "DE" and first["behind_cdn"] is False
    assert first["abuse_contact"]["email"] == "abuse@hetzner.example"
    assert lines[1]["url"] == "http://media.example.org/v"
    assert lines[1]["behind_cdn"] is True and lines[1]["cdn"] == "amazon_cloudfront"


def test_bad_urls_get_error_lines_and_the_others_are_traced(offline):
    lines, error = run("javascript:alert(1)", "https://files.example.net/", "http://10.0.0.1/x")
    assert str(error) == "2 of 3 URLs could not be traced."
    assert lines[0] == {
        "argument": 1,
        "outcome": "invalid",
        "error": "unsupported_scheme",
        "message": "Only web links (http or https) can be traced.",
    }
    assert lines[1]["outcome"] == "ok"
    assert lines[2]["argument"] == 3 and lines[2]["error"] == "private_address"
    assert lines[2]["url"] == "http://10.0.0.1/x"


def test_options_reach_the_resolver(offline):
    lines, error = run("--nameserver", "192.0.2.53", "--timeout", "1.5", "files.example.net")
    assert error is None and lines[0]["outcome"] == "ok"
    assert offline == {"nameservers": ["192.0.2.53"], "timeout": 1.5}


@pytest.mark.parametrize("timeout", ["0", "61", "soon"])
def test_a_bad_timeout_is_refused(offline, timeout):
    with pytest.raises(CommandError, match="must be more than 0"):
        call_command("trace", "--timeout", timeout, "files.example.net", stdout=io.StringIO())


def test_a_bad_nameserver_is_a_clear_error(monkeypatch):
    monkeypatch.setattr("tellsafe.routing.trace.default_database", FakeIpDatabase)
    with pytest.raises(CommandError, match="invalid_setting: Each nameserver"):
        call_command("trace", "--nameserver", "dns.example.org", "x.example", stdout=io.StringIO())


def test_a_missing_ip_database_is_a_clear_error(offline, monkeypatch):
    from tellsafe.core.errors import ApplicationError

    def missing():
        raise ApplicationError("ipdb_unavailable", "The offline IP database is not installed.")

    monkeypatch.setattr("tellsafe.routing.trace.default_database", missing)
    with pytest.raises(CommandError, match="ipdb_unavailable"):
        call_command("trace", "files.example.net", stdout=io.StringIO())


def test_from_the_shell_errors_are_lines_not_tracebacks():
    # Refused URLs need neither DNS nor the IP database, so this runs offline as is.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tellsafe.config.settings_test"}
    tellsafe = os.path.join(os.path.dirname(sys.executable), "tellsafe")
    done = subprocess.run(
        [tellsafe, "trace", "mailto:a@b.example", "http://user:pw@127.0.0.1:8080/"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["error"] for line in lines] == ["unsupported_scheme", "private_address"]
    assert lines[1]["url"] == "http://127.0.0.1:8080/"
    assert "Traceback" not in done.stderr
    assert "2 of 2 URLs could not be traced." in done.stderr
