"""``tellsafe bank``: banks, files, review and the matcher from the command line."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tellsafe.core.models import AuditEvent
from tellsafe.matching import flood, formats
from tellsafe.matching.management.commands import bank as bank_command
from tellsafe.matching.matcher import Matcher
from tellsafe.matching.models import Bank, BankChange, BankHash, MatchTally
from tellsafe.matching.tests.factories import add, bank, flip, pdq_hex
from tellsafe.partners.tests import factories as partner_factories

pytestmark = pytest.mark.django_db

HEADER = "hash,type,quality,reference,added_at,removed_at\n"
MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def run(command: str, *more: str, stdin: io.BytesIO | None = None) -> tuple[str, str]:
    """``tellsafe bank COMMAND MORE...``: COMMAND is split at spaces, MORE is not."""
    out, err = io.StringIO(), io.StringIO()
    extra = {"stdin": stdin} if stdin is not None else {}
    call_command("bank", *command.split(), *more, stdout=out, stderr=err, **extra)
    return out.getvalue(), err.getvalue()


def fails(command: str, *more: str) -> tuple[str, str]:
    """The one-line error and what went to stderr before it."""
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("bank", *command.split(), *more, stdout=io.StringIO(), stderr=err)
    message = str(caught.value)
    assert "\n" not in message
    return message, err.getvalue()


def words(line: str) -> str:
    return " ".join(line.split())


def pdqs(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [pdq_hex(rng) for _ in range(n)]


def csv_file(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
    return path


def keys(bank_name: str, status: str = BankHash.Status.ACTIVE) -> set[tuple[str, str]]:
    return set(
        BankHash.objects.filter(bank__name=bank_name, status=status).values_list(
            "hash_type", "value"
        )
    )


# -- banks -------------------------------------------------------------------------------


def test_create_list_and_json_with_counts_and_partners(django_assert_num_queries):
    isp = partner_factories.partner(name="Example Net")
    hotline = partner_factories.partner(name="Alpha Hotline")
    out, _ = run("create iwf-list --source iwf --scope baseline --shareable")
    assert out == "Created bank iwf-list (positive, source iwf, scope baseline, shareable).\n"
    out, _ = run(
        "create ex-net --source partner --scope national --review",
        *("--partner", "example net", "--title", "From Example Net"),
    )
    assert out == (
        "Created bank ex-net (positive, source partner, scope national, new hashes wait for "
        "review).\n"
    )
    run("create harmless --source analysts --scope none --negative")
    run("share iwf-list", "Example Net")
    run("share iwf-list", "Alpha Hotline")
    iwf = Bank.objects.get(name="iwf-list")
    add(iwf, *pdqs(3))
    add(Bank.objects.get(name="ex-net"), *pdqs(2, seed=2))
    with django_assert_num_queries(3):  # not one more per bank
        lines = [words(line) for line in run("list")[0].splitlines()]
    assert lines == [
        "NAME KIND SOURCE LEGAL SCOPE ENABLED SHAREABLE REVIEW REQUIRED ACTIVE PENDING REMOVED "
        "QUARANTINED SHARED WITH",
        "ex-net positive partner (Example Net) national yes no yes 0 2 0 0 -",
        "harmless negative analysts none yes no no 0 0 0 0 -",
        "iwf-list positive iwf baseline yes yes no 3 0 0 0 Alpha Hotline, Example Net",
    ]
    rows = [json.loads(line) for line in run("list --json")[0].splitlines()]
    assert rows[1] == {
        **{"name": "harmless", "title": "", "kind": "negative", "source": "analysts"},
        **{"source_partner": None, "legal_scope": "none", "enabled": True, "shareable": False},
        **{"review_required": False, "active": 0, "pending": 0, "removed": 0, "quarantined": 0},
        "shared_with": [],
    }
    assert rows[0]["source_partner"] == "Example Net" and rows[0]["title"] == "From Example Net"
    assert (rows[0]["pending"], rows[2]["active"]) == (2, 3)
    assert rows[2]["shared_with"] == ["Alpha Hotline", "Example Net"]
    assert set(iwf.shared_with.all()) == {isp, hotline}
    event = AuditEvent.objects.get(action="bank.create", data__name="iwf-list")
    assert (event.actor_kind, event.actor_id) == ("system", "cli")


def test_list_without_banks_says_how_to_make_one():
    assert run("list")[0].startswith("No banks yet. Create one with: tellsafe bank create")
    assert run("list --json")[0] == ""


def test_create_refuses_bad_input_with_one_line():
    partner_factories.partner(name="Example Net")
    assert fails("create x --source iwf --scope baseline")[0].startswith(
        "The bank was not created. name: A bank name is 2 to 63"
    )
    assert fails("create ex-net --source partner --scope national")[0] == (
        "The bank was not created. source_partner: Name the partner this bank comes from."
    )
    message, _ = fails("create ex-net --source iwf --scope baseline", "--partner", "Example Net")
    assert message == "--partner is only for a bank with --source partner."
    assert fails("create ex-net --source partner --scope national --partner Nobody")[0] == (
        "No partner is named 'Nobody'. See: tellsafe partner list"
    )
    message, _ = fails("create ok --source other --scope none --negative --shareable")
    assert message.endswith("shareable: A negative bank is not shared with partners.")
    assert "invalid choice: 'mars'" in fails("create ok --source mars --scope none")[0]
    run("create iwf-list --source iwf --scope baseline")
    assert fails("create iwf-list --source iwf --scope baseline")[0] == (
        "The bank was not created. name: A bank with this name exists."
    )
    assert list(Bank.objects.values_list("name", flat=True)) == ["iwf-list"]


def test_enable_disable_and_set():
    bank("iwf-list")
    assert run("disable iwf-list")[0] == "Bank iwf-list is disabled: its hashes do not match.\n"
    assert not Bank.objects.get().enabled
    assert run("enable iwf-list")[0] == "Bank iwf-list is enabled: its hashes match.\n"
    assert Bank.objects.get().enabled
    assert run("set iwf-list --shareable", "--title", "IWF list")[0] == (
        'Bank iwf-list: shareable; title "IWF list".\n'
    )
    assert run("set iwf-list --not-shareable")[0] == (
        'Bank iwf-list: not shareable; title "IWF list".\n'
    )
    assert not Bank.objects.get().shareable
    assert fails("set iwf-list")[0] == (
        "Nothing to change: give --shareable, --not-shareable or --title."
    )
    assert "not allowed with argument" in fails("set iwf-list --shareable --not-shareable")[0]
    assert fails("enable nope")[0] == "No bank is named 'nope'. See: tellsafe bank list"
    bank("harmless", kind=Bank.Kind.NEGATIVE, legal_scope=Bank.LegalScope.NONE)
    assert fails("set harmless --shareable")[0] == "A negative bank is not shared with partners."
    assert AuditEvent.objects.filter(action="bank.update").count() == 4


def test_share_and_unshare():
    isp = partner_factories.partner(name="Example Net")
    b = bank("iwf-list")
    assert fails("share iwf-list", "Example Net")[0] == (
        "Bank iwf-list is not shareable; make it shareable first."
    )
    run("set iwf-list --shareable")
    assert run("share iwf-list", "example  net")[0] == (
        'Bank iwf-list is shared with "Example Net".\n'
    )
    assert list(b.shared_with.all()) == [isp]
    assert fails("share iwf-list Nobody")[0].startswith("No partner is named 'Nobody'.")
    assert fails("share nope Nobody")[0].startswith("No bank is named 'nope'.")
    assert run("unshare iwf-list", "Example Net")[0] == (
        'Bank iwf-list is no longer shared with "Example Net".\n'
    )
    assert not b.shared_with.exists()
    assert fails("unshare iwf-list", "Example Net")[0] == (
        'Bank iwf-list is not shared with "Example Net".'
    )
    assert AuditEvent.objects.filter(action__in=["bank.share", "bank.unshare"]).count() == 2


# -- files -------------------------------------------------------------------------------


def records(path: Path) -> set[tuple]:
    with path.open("rb") as stream:
        return {(r.hash_type, r.value, r.quality, r.reference) for r in formats.read("csv", stream)}


def test_a_csv_round_trip_carries_the_same_records(tmp_path):
    bank("iwf-list")
    values = pdqs(3)
    rows = [
        f"{values[0].upper()},pdq,92,IWF-1,2024-05-01T12:00:00Z,",
        f"{values[1]},HASH_PDQ,,IWF-2,,",
    ]
    source = csv_file(
        tmp_path / "in.csv", [*rows, f"{values[2]},pdq,40,,,", f"{MD5},photo_md5,,,,"]
    )
    out, _ = run("import iwf-list", str(source))
    assert out.startswith(f"Imported {source} into bank iwf-list in ")
    assert out.endswith(" s: 4 added, 0 restored, 0 unchanged, 0 removed.\n")
    exported = tmp_path / "out.csv"
    out, _ = run("export iwf-list -o", str(exported))
    assert out.startswith(f"Exported 4 hashes of bank iwf-list to {exported} (csv) in ")
    # added_at is when the bank got the hash, not the sender's date; the rest is kept.
    assert records(source) == records(exported)
    assert records(exported) == {
        ("pdq", values[0], 92, "IWF-1"),
        ("pdq", values[1], None, "IWF-2"),
        ("pdq", values[2], 40, ""),
        ("md5", MD5, None, ""),
    }
    assert run("export iwf-list")[0] == exported.read_bytes().decode()
    again, _ = run("import iwf-list", str(exported))
    assert again.endswith(" s: 0 added, 0 restored, 4 unchanged, 0 removed.\n")
    assert AuditEvent.objects.filter(action="bank.export").count() == 2
    assert AuditEvent.objects.get(action="bank.hashes_add", data__added=4).data["source"] == "cli"


def test_a_bad_line_saves_nothing_and_is_named_with_its_line(tmp_path):
    bank("iwf-list")
    values = pdqs(4_500)
    rows = [f"{v},pdq,90,,," for v in values]
    rows[4_400] = "not-a-hash,pdq,90,,,"  # line 4402, after two batches were written
    source = csv_file(tmp_path / "bad.csv", rows)
    before = AuditEvent.objects.count()
    message, err = fails("import iwf-list", str(source))
    assert message == (
        f"Nothing was imported into bank iwf-list: {source} has 1 problem (csv format)."
    )
    assert err.startswith(f"{source}:4402: hash: PDQ hashes are 64 hexadecimal digits")
    assert len(err.splitlines()) == 1
    assert not BankHash.objects.exists() and not BankChange.objects.exists()
    assert AuditEvent.objects.count() == before
    rows[4_400] = f"{values[4_400]},pdq,90,,,"
    out, _ = run("import iwf-list", str(csv_file(source, rows)))
    assert out.endswith(" s: 4,500 added, 0 restored, 0 unchanged, 0 removed.\n")
    assert keys("iwf-list") == {("pdq", v) for v in values}


def test_every_problem_is_printed_and_a_broken_header_stops_reading(tmp_path):
    bank("iwf-list")
    source = csv_file(tmp_path / "two.csv", [f"{MD5},md5,,,,", "zz,pdq,,,,", "ab,md5,101,,,"])
    _, err = fails("import iwf-list", str(source))
    assert [line.split(": ")[0] for line in err.splitlines()] == [
        f"{source}:3",
        f"{source}:4",
        f"{source}:4",
    ]
    head = tmp_path / "head.csv"
    head.write_text("value,kind\nx,y\n", encoding="utf-8")
    message, err = fails("import iwf-list", str(head))
    assert err == f"{head}:1: The header must start with hash,type, not 'value,kind'.\n"
    assert "has 1 problem" in message and not BankHash.objects.exists()


def test_reading_stops_after_a_hundred_problems(tmp_path):
    bank("iwf-list")
    source = csv_file(tmp_path / "short.csv", [f"{v},pdq" for v in pdqs(150)])
    message, err = fails("import iwf-list", str(source))
    assert message.endswith(
        "has 100 problems (csv format). Reading stopped at line 101: fix these and try again."
    )
    lines = err.splitlines()
    assert len(lines) == 100
    assert lines[0] == f"{source}:2: Expected 6 values ({HEADER.strip()}), found 2."
    assert not BankHash.objects.exists()


def test_tombstones_remove_and_a_second_import_restores(tmp_path):
    b = bank("iwf-list")
    values = pdqs(2)
    add(b, *values)
    gone = csv_file(
        tmp_path / "gone.csv", [f"{values[0]},pdq,,,2024-01-01T00:00Z,2024-02-01T00:00Z"]
    )
    out, _ = run("import iwf-list", str(gone))
    assert out.endswith(" s: 0 added, 0 restored, 0 unchanged, 1 removed.\n")
    assert keys("iwf-list", BankHash.Status.REMOVED) == {("pdq", values[0])}
    back = csv_file(tmp_path / "back.csv", [f"{v},pdq,,,," for v in values])
    out, _ = run("import iwf-list", str(back))
    assert out.endswith(" s: 0 added, 1 restored, 1 unchanged, 0 removed.\n")
    assert keys("iwf-list") == {("pdq", v) for v in values}


def test_pytx_files_from_stdin_by_extension_and_bare_hashes(tmp_path):
    bank("iwf-list")
    values = pdqs(3)
    text = f"# from pytx\npdq {values[0]}\nvideo_md5 {MD5}\n".encode()
    out, _ = run("import iwf-list - --format pytx", stdin=io.BytesIO(text))
    assert out.startswith("Imported <stdin> into bank iwf-list")
    assert keys("iwf-list") == {("pdq", values[0]), ("md5", MD5)}
    bare = tmp_path / "bare.txt"
    bare.write_text(f"{values[1]}\n{values[2]}\n", encoding="utf-8")
    _, err = fails("import iwf-list", str(bare))
    assert err.startswith(f"{bare}:1: This line has a hash but no signal type")
    run("import iwf-list", str(bare), "--signal-type", "pdq")
    assert len(keys("iwf-list")) == 4
    assert fails("import iwf-list -")[0].startswith("Say which format to import with")
    assert fails("import iwf-list", str(tmp_path / "list.json"))[0].startswith(
        "Say which format to import with --format (csv, pytx, pytx_dataset)"
    )
    message, _ = fails("import iwf-list", str(bare), "--format", "csv", "--signal-type", "pdq")
    assert message == "--signal-type is only for pytx files."
    assert fails("import iwf-list", str(tmp_path / "none.csv"))[0] == (
        f"Cannot read {tmp_path / 'none.csv'}: No such file or directory"
    )
    (tmp_path / "dir.csv").mkdir()
    assert fails("import iwf-list", str(tmp_path / "dir.csv"))[0] == (
        f"Cannot read {tmp_path / 'dir.csv'}: Is a directory"
    )
    assert fails("import nope", str(bare))[0].startswith("No bank is named 'nope'.")


def test_a_pytx_dataset_with_a_disputed_row_is_refused(tmp_path):
    bank("iwf-list")
    [value] = pdqs(1)
    dataset = tmp_path / "signals.csv"
    dataset.write_text(
        f"signal_type,signal_str,collab,category,tags\npdq,{value},NCMEC CSAM,DISPUTED,\n",
        encoding="utf-8",
    )
    _, err = fails("import iwf-list", str(dataset), "--format", "pytx_dataset")
    assert err.startswith(f"{dataset}:2: category: DISPUTED")
    assert not BankHash.objects.exists()


def test_review_banks_hold_imports_for_review(tmp_path):
    bank("self", review_required=True)
    source = csv_file(tmp_path / "in.csv", [f"{v},pdq,,,," for v in pdqs(2)])
    out, _ = run("import self", str(source))
    assert out.splitlines()[1] == "The new hashes wait for review: tellsafe bank review"
    assert len(keys("self", BankHash.Status.PENDING)) == 2


def test_export_formats_and_their_limits(tmp_path):
    b = bank("iwf-list")
    values = pdqs(2)
    add(b, *values)
    add(b, MD5, hash_type="md5")
    run("remove iwf-list --type pdq", values[1])
    pytx = f"pdq {values[0]}\nvideo_md5 {MD5}\n"
    assert run("export iwf-list --format pytx")[0] == pytx
    assert run("export iwf-list --format pytx_dataset")[0] == (
        "signal_type,signal_str,collab,category,tags\r\n"
        f"pdq,{values[0]},iwf-list,POSITIVE_CLASS,\r\n"
        f"video_md5,{MD5},iwf-list,POSITIVE_CLASS,\r\n"
    )
    everything = run("export iwf-list --include-removed")[0].splitlines()
    assert len(everything) == 4 and everything[2].startswith(f"{values[1]},pdq,90,,")
    assert everything[2].endswith("Z")  # the withdrawal time
    assert fails("export iwf-list --format pytx --include-removed")[0] == (
        "A pytx file cannot say that a hash was withdrawn; export removed hashes with --format csv."
    )
    run("export iwf-list -o", str(tmp_path / "list.txt"))  # .txt: pytx
    assert (tmp_path / "list.txt").read_text() == pytx
    missing = tmp_path / "no" / "such.csv"
    assert fails("export iwf-list -o", str(missing))[0] == (
        f"Cannot write {missing}: No such file or directory"
    )
    assert fails("export iwf-list -o", str(tmp_path))[0].startswith(
        "Say which format to export with --format"
    )
    (tmp_path / "dir.csv").mkdir()
    assert fails("export iwf-list -o", str(tmp_path / "dir.csv"))[0] == (
        f"Cannot write {tmp_path / 'dir.csv'}: Is a directory"
    )
    assert sorted(os.listdir(tmp_path)) == ["dir.csv", "list.txt"]  # no partial files left
    assert fails("export nope")[0].startswith("No bank is named 'nope'.")


class ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_stops_early_gets_one_line_not_a_traceback(monkeypatch):
    add(bank("iwf-list"), *pdqs(3))
    quieted = []
    monkeypatch.setattr(bank_command, "_quiet_stdout", lambda: quieted.append(True))
    with pytest.raises(CommandError) as caught:
        call_command("bank", "export", "iwf-list", stdout=ClosedPipe())
    assert str(caught.value) == "Cannot write standard output: Broken pipe"
    assert quieted == [True]
    assert not AuditEvent.objects.filter(action="bank.export").exists()


# -- hashes ------------------------------------------------------------------------------


def test_remove_checks_every_hash_first():
    b = bank("iwf-list")
    values = pdqs(3)
    add(b, *values[:2])
    message, _ = fails("remove iwf-list --type pdq", values[0], "zz")
    assert message.startswith("Not a pdq hash: 'zz'. PDQ hashes are 64 hexadecimal digits")
    assert len(keys("iwf-list")) == 2
    out, _ = run("remove iwf-list --type pdq", values[0].upper(), values[2], "--reason", "mistake")
    assert out == "Removed 1 of 2 hashes from bank iwf-list. Not in it, or removed already: 1.\n"
    assert keys("iwf-list") == {("pdq", values[1])}
    event = AuditEvent.objects.get(action="bank.hashes_remove")
    assert (event.reason, event.actor_kind, event.actor_id) == ("mistake", "system", "cli")
    assert fails("remove nope --type pdq", values[0])[0].startswith("No bank is named 'nope'.")


@override_settings(FLOOD_MIN_MATCHES_PER_HOUR=5, FLOOD_FACTOR=10)
def test_review_confirm_reject_and_release():
    values = pdqs(4)
    add(bank("self", review_required=True), *values[:3])
    add(bank("iwf-list"), values[3])
    flooding = BankHash.objects.get(value=values[3])
    assert flood.record_matches(Counter({flooding.pk: 100})) == [flooding.pk]
    ids = [BankHash.objects.get(value=v).pk for v in values[:3]]
    lines = [words(line) for line in run("review")[0].splitlines()]
    assert lines[0] == "ID BANK TYPE HASH QUALITY STATE ADDED AT REFERENCE"
    assert [line.split()[:6] for line in lines[1:]] == [
        [str(ids[0]), "self", "pdq", values[0], "90", "pending"],
        [str(ids[1]), "self", "pdq", values[1], "90", "pending"],
        [str(ids[2]), "self", "pdq", values[2], "90", "pending"],
        [str(flooding.pk), "iwf-list", "pdq", values[3], "90", "quarantined"],
    ]
    as_json = [json.loads(line) for line in run("review --json")[0].splitlines()]
    assert as_json[3]["state"] == "quarantined" and as_json[3]["quarantined_at"]
    assert run("review --limit 1")[0].splitlines()[-1].startswith("Showing the oldest 1;")

    assert run(f"confirm {ids[0]} {flooding.pk}")[0] == (
        f"Confirmed 1 hash: active now. Not pending, so left as they were: {flooding.pk}.\n"
    )
    assert fails(f"reject {ids[1]}", "--reason", "  ")[0] == "Say why: --reason must not be blank."
    assert fails(f"reject {ids[1]} 999999 --reason x")[0] == (
        "No bank hash has the id 999999; nothing was changed. See: tellsafe bank review"
    )
    assert "must be a whole number of at least 1, not 'abc'" in fails("confirm abc")[0]
    assert run(f"reject {ids[1]}", "--reason", "not abuse")[0] == "Rejected 1 hash: removed.\n"
    statuses = dict(BankHash.objects.values_list("pk", "status"))
    assert [statuses[i] for i in ids] == ["active", "removed", "pending"]

    assert run(f"release {flooding.pk}", "--reason", "a real series")[0] == (
        f"Released hash {flooding.pk} (pdq {values[3][:16]}… in bank iwf-list) from "
        "quarantine: it can be acted on again.\n"
    )
    flooding.refresh_from_db()
    assert flooding.quarantined_at is None and flooding.quarantine_released_at
    assert fails(f"release {flooding.pk} --reason again")[0] == "This hash is not quarantined."
    assert fails("release 999999 --reason x")[0].startswith("No bank hash has the id 999999.")
    [released] = AuditEvent.objects.filter(action="bank.quarantine_release")
    assert (released.reason, released.actor_id) == ("a real series", "cli")
    assert [line.split()[0] for line in run("review")[0].splitlines()[1:]] == [str(ids[2])]


def test_review_with_nothing_to_review():
    assert run("review")[0] == "Nothing to review: no hash is pending or quarantined.\n"


# -- the matcher -------------------------------------------------------------------------


@override_settings(FLOOD_MIN_MATCHES_PER_HOUR=2, FLOOD_FACTOR=1)
def test_lookup_prints_matches_and_never_counts_them():
    [value] = pdqs(1)
    add(bank("iwf-list"), value)
    near = flip(value, [0, 9, 200])
    for _ in range(5):  # enough to quarantine the hash, were lookups counted
        out, err = run("lookup --type pdq", near.upper())
    assert json.loads(out) == {
        **{"bank": "iwf-list", "bank_kind": "positive", "legal_scope": "baseline"},
        **{"hash_type": "pdq", "value": value, "distance": 3, "variant": "original"},
        **{"status": "active", "quarantined": False, "actionable": True},
        **{"bank_hash_id": BankHash.objects.get().pk, "suppressed": False},
    }
    assert err == ""
    assert not MatchTally.objects.exists() and BankHash.objects.get().quarantined_at is None
    assert AuditEvent.objects.filter(action="matching.match", actor_id="cli").count() == 5
    assert json.loads(run("lookup --type pdq --quality 20", near)[0])["actionable"] is False
    assert run("lookup --type pdq --threshold 2", near) == ("", "No matches.\n")
    assert run("lookup --type md5", MD5) == ("", "No matches.\n")
    add(bank("harmless", kind=Bank.Kind.NEGATIVE, legal_scope=Bank.LegalScope.NONE), value)
    found = [json.loads(line) for line in run("lookup --type pdq", value)[0].splitlines()]
    assert [(m["bank"], m["actionable"], m["suppressed"]) for m in found] == [
        ("harmless", False, True),
        ("iwf-list", False, True),
    ]
    assert fails("lookup --type pdq xyz")[0].startswith(
        "Not a pdq hash: 'xyz'. PDQ hashes are 64 hexadecimal digits"
    )
    assert fails("lookup --type pdq --threshold 70", value)[0] == (
        "--threshold is at most 63 (TELLSAFE_MATCH_MAX_THRESHOLD)."
    )
    assert "from 0 to 256, not '-1'" in fails("lookup --type pdq --threshold=-1", value)[0]


def test_snapshot_and_load_time(tmp_path, settings):
    b = bank("iwf-list")
    add(b, *pdqs(5))
    add(b, MD5, hash_type="md5")
    path = tmp_path / "matcher" / "banks"
    lines = run("snapshot", str(path))[0].splitlines()
    assert lines[0] == f"Wrote the matcher snapshot {path}: 5 pdq, 1 md5, 0 sha256 hashes."
    assert [line.split()[0] for line in lines[1:4]] == [
        f"{path}.pdq",
        f"{path}.exact.npz",
        f"{path}.json",
    ]
    assert all(int(line.split()[1].replace(",", "")) > 0 for line in lines[1:4])
    assert lines[4].startswith("Built from the database in ")
    assert Matcher.from_snapshot(path).size() == {"pdq": 5, "md5": 1, "sha256": 0}
    settings.MATCHER_SNAPSHOT_PATH = ""
    assert fails("snapshot")[0] == (
        "No snapshot path: give one (tellsafe bank snapshot PATH) or set "
        "TELLSAFE_MATCHER_SNAPSHOT_PATH."
    )
    settings.MATCHER_SNAPSHOT_PATH = str(tmp_path / "default" / "banks")
    run("snapshot")
    assert (tmp_path / "default" / "banks.json").exists()
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert fails("snapshot", str(blocked / "banks"))[0].startswith(
        f"Cannot write the snapshot {blocked / 'banks'}: "
    )
    out, _ = run("load-time")
    assert out.startswith("Built the matcher from the database in ")
    assert out.endswith(" s: 5 pdq, 1 md5, 0 sha256 hashes.\n")


def test_the_console_script_prints_errors_without_a_traceback(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tellsafe.config.settings_test"}
    command = ["bank", "import", "iwf-list", str(tmp_path / "hashes.bin")]
    result = subprocess.run(
        [sys.executable, "-m", "tellsafe.cli", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("CommandError: Say which format to import with --format")
    assert "Traceback" not in result.stderr
