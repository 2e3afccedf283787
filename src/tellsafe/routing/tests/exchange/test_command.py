"""``tellsafe exchange export|import``: documents out, cases in, problems as lines and
exit status 1, never a traceback."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tellsafe.cases.models import Case
from tellsafe.intake.models import Report
from tellsafe.routing.exchange import documents
from tellsafe.routing.tests.exchange import helpers

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("exchange", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_export_then_import_through_the_command(tmp_path):
    case = helpers.make_case()
    path = tmp_path / "forward.json"
    run(
        "export",
        str(case.pk),
        "--format",
        "iccam-json",
        "--legal-basis",
        "national",
        "--output",
        str(path),
    )
    document = json.loads(path.read_text())
    assert document["urls"][0]["assessment"]["classification"] == 2
    # The category defaults to the case's, the age to the first report's band.
    assert "Categories reported: csam." in document["memo"]
    assert path.stat().st_mode & 0o777 == 0o600

    line = json.loads(run("import", str(path), "--format", "iccam-json", "--from", "Hotline Beta"))
    assert line["created"] is True and line["urls"] == 2
    report = Report.objects.get(pk=line["report"])
    assert report.channel == "hotline" and report.case_id == line["case"]


def test_export_to_stdout_with_options():
    case = helpers.make_case()
    text = run(
        "export",
        str(case.pk),
        "--format",
        "xarf",
        "--legal-basis",
        "baseline",
        "--category",
        "csam_generated",
        "--flag",
        "ai_generated",
        "--age-band",
        "infant",
    )
    (first, _second) = json.loads(text)
    assert "ai_generated" in first["tags"] and "category:csam_generated" in first["tags"]
    assert first["victim_age_range"] == "infant"


def test_an_existing_output_file_is_never_overwritten(tmp_path):
    case = helpers.make_case()
    path = tmp_path / "out.xml"
    path.write_text("evidence")
    with pytest.raises(CommandError, match="Cannot write"):
        run(
            "export",
            str(case.pk),
            "--format",
            "ncmec",
            "--legal-basis",
            "baseline",
            "--output",
            str(path),
        )
    assert path.read_text() == "evidence"


def test_problems_are_lines_and_nothing_is_saved(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_bytes(b'<!DOCTYPE r [<!ENTITY a "a">]><report>&a;</report>')
    before = Case.objects.count()
    with pytest.raises(CommandError) as caught:
        run("import", str(path), "--format", "ncmec", "--from", "Hotline Beta")
    assert str(caught.value).startswith("unsafe_xml: ")
    assert Case.objects.count() == before
    with pytest.raises(CommandError) as caught:
        run("export", "424242", "--format", "xarf", "--legal-basis", "baseline")
    assert "case_not_found" in str(caught.value)
    case = helpers.make_case()
    with pytest.raises(CommandError) as caught:
        run("export", str(case.pk), "--format", "ncmec", "--legal-basis", "not_illegal")
    assert "not_reportable" in str(caught.value)
    assert "legal_basis: " in str(caught.value)
    with pytest.raises(CommandError, match="Cannot read"):
        run("import", str(tmp_path / "missing.csv"), "--format", "iccam-csv", "--from", "X")


def test_an_oversized_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (documents.MAX_IMPORT_BYTES + 10))
    with pytest.raises(CommandError, match="file_too_large"):
        run("import", str(path), "--format", "xarf", "--from", "Hotline Beta")


def test_the_console_script_runs_the_command(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "tellsafe.cli", "exchange", "--help"],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "tellsafe.config.settings_test", "PATH": "/usr/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert "export|import" in result.stdout
