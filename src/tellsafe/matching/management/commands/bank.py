"""``tellsafe bank``: hash banks from the command line, for operators.

    tellsafe bank list [--json]
    tellsafe bank create NAME --source S --scope S [--negative|--shareable] [--review]
                              [--title T] [--partner NAME (for --source partner)]
    tellsafe bank enable|disable NAME
    tellsafe bank set NAME [--shareable | --not-shareable] [--title T]
    tellsafe bank share|unshare NAME PARTNER
    tellsafe bank import NAME FILE [--format csv|pytx|pytx_dataset]   (FILE - reads stdin)
    tellsafe bank export NAME [--format F] [--include-removed] [-o FILE]
    tellsafe bank remove NAME --type pdq HASH... [--reason R]
    tellsafe bank review [--json]
    tellsafe bank confirm ID... | reject ID... --reason R | release ID --reason R
    tellsafe bank lookup --type pdq HASH [--threshold N] [--quality Q]
    tellsafe bank snapshot [PATH] | load-time

An import is all or nothing: records stream from the file into one transaction, so a
file of millions of rows is never held in memory, and a file with a bad line saves
nothing (each problem is printed as ``FILE:LINE: message``). Every change is audited with
the actor ``system/cli``, as ``tellsafe partner`` does; exports and lookups are audited
like the API's downloads and matches. A lookup never adds to the flood tallies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tellsafe.core import audit
from tellsafe.core.audit import Actor
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.matching import formats, hashing, selectors, services
from tellsafe.matching.formats import FormatError
from tellsafe.matching.formats.fields import shorten
from tellsafe.matching.index.mih import MAX_THRESHOLD
from tellsafe.matching.lookup import Query, Viewer, lookup
from tellsafe.matching.matcher import Matcher
from tellsafe.matching.models import Bank, BankHash
from tellsafe.partners.models import Partner
from tellsafe.partners.selectors import partner_by_name

CLI_ACTOR = Actor("system", "cli")
FORMAT_BY_EXTENSION = {".csv": "csv", ".txt": "pytx"}
SNAPSHOT_FILES = (".pdq", ".exact.npz", ".json")
# The columns of ``bank list``: the keys of its JSON lines; upper-cased, its headers.
LIST_KEYS = (
    "name kind source legal_scope enabled shareable review_required "
    "active pending removed quarantined shared_with"
).split()


def _whole_number(low: int, high: int | None = None) -> Any:
    def parse(text: str) -> int:
        value = int(text) if text.strip().removeprefix("-").isdecimal() else low - 1
        if value < low or (high is not None and value > high):
            limit = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"must be a whole number {limit}, not {text!r}")
        return value

    return parse


class Command(BaseCommand):
    help = "Create, fill, share, export and check hash banks."

    # ``call_command("bank", "import", NAME, "-", stdin=stream)`` in tests.
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        types = hashing.names()

        def of_a_bank(action: str, text: str) -> CommandParser:
            command = sub.add_parser(action, help=text)
            command.add_argument("name", metavar="NAME", help="the bank's name")
            return command

        listing = sub.add_parser("list", help="list banks with their hash counts")
        listing.add_argument("--json", action="store_true", help="one JSON object a line")

        create = of_a_bank("create", "create a bank")
        create.add_argument("--source", required=True, choices=Bank.Source.values)
        create.add_argument("--scope", required=True, choices=Bank.LegalScope.values)
        create.add_argument("--negative", action="store_true", help="known harmless hashes")
        create.add_argument("--shareable", action="store_true", help="partners may download it")
        create.add_argument("--review", action="store_true", help="new hashes wait for review")
        create.add_argument("--title", default="")
        create.add_argument("--partner", default=None, help="the partner, for --source partner")

        for name, text in (("enable", "match its hashes"), ("disable", "stop matching its hashes")):
            of_a_bank(name, text)

        change = of_a_bank("set", "change sharing or the title")
        sharing = change.add_mutually_exclusive_group()
        sharing.add_argument("--shareable", dest="shareable", action="store_true")
        sharing.add_argument("--not-shareable", dest="shareable", action="store_false")
        change.set_defaults(shareable=None)
        change.add_argument("--title", default=None)

        for name, text in (("share", "let a partner download"), ("unshare", "stop sharing")):
            of_a_bank(name, f"{text} a shareable bank").add_argument("partner", metavar="PARTNER")

        load = of_a_bank("import", "add the hashes of a file, all or nothing")
        load.add_argument("file", metavar="FILE", help="a file, or - for standard input")
        load.add_argument("--format", choices=formats.names(), help=".csv: csv, .txt: pytx")
        load.add_argument("--signal-type", choices=types, help="pytx: type of bare hashes")

        export = of_a_bank("export", "write a bank's hashes to a file or stdout")
        export.add_argument("--format", choices=formats.names())
        export.add_argument("--include-removed", action="store_true", help="csv only")
        export.add_argument("-o", "--output", metavar="FILE", default=None)

        remove = of_a_bank("remove", "withdraw hashes from a bank")
        remove.add_argument("--type", required=True, choices=types)
        remove.add_argument("hashes", nargs="+", metavar="HASH")
        remove.add_argument("--reason", default="")

        review = sub.add_parser("review", help="list pending and quarantined hashes")
        review.add_argument("--json", action="store_true", help="one JSON object a line")
        review.add_argument("--limit", type=_whole_number(1), default=200)

        confirm = sub.add_parser("confirm", help="confirm pending hashes: they become active")
        confirm.add_argument("ids", nargs="+", type=_whole_number(1), metavar="ID")
        reject = sub.add_parser("reject", help="reject pending hashes: they are removed")
        reject.add_argument("ids", nargs="+", type=_whole_number(1), metavar="ID")
        reject.add_argument("--reason", required=True)
        release = sub.add_parser("release", help="let a quarantined hash be acted on again")
        release.add_argument("id", type=_whole_number(1), metavar="ID")
        release.add_argument("--reason", required=True)

        find = sub.add_parser("lookup", help="look a hash up (JSON lines, staff view)")
        find.add_argument("--type", required=True, choices=types)
        find.add_argument("hash", metavar="HASH")
        find.add_argument("--threshold", type=_whole_number(0, MAX_THRESHOLD), default=None)
        find.add_argument("--quality", type=_whole_number(0, 100), default=None)

        snapshot = sub.add_parser("snapshot", help="write the matcher snapshot")
        snapshot.add_argument("path", metavar="PATH", nargs="?", default=None)
        sub.add_parser("load-time", help="time building the matcher from the database")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        try:
            getattr(self, f"do_{action}")(options)
        except ApplicationError as exc:
            raise CommandError(_describe(exc)) from None
        except KeyboardInterrupt:
            raise CommandError("Interrupted; any change under way was rolled back.") from None

    # -- banks ---------------------------------------------------------------------------

    def do_list(self, options: dict[str, Any]) -> None:
        banks = _bank_lines()
        if options["json"]:
            for line in banks:
                self.stdout.write(json.dumps(line))
            return
        if not banks:
            self.stdout.write(
                "No banks yet. Create one with: tellsafe bank create NAME --source S --scope S"
            )
            return
        rows = []
        for out in banks:
            if out["source_partner"]:
                out["source"] += f" ({out['source_partner']})"
            out["shared_with"] = ", ".join(out["shared_with"])
            rows.append(tuple(_cell(out[key]) for key in LIST_KEYS))
        self._table(tuple(k.upper().replace("_", " ") for k in LIST_KEYS), rows)

    def do_create(self, options: dict[str, Any]) -> None:
        partner = None
        if options["partner"] is not None:
            if options["source"] != Bank.Source.PARTNER:
                raise CommandError("--partner is only for a bank with --source partner.")
            partner = _partner(options["partner"])
        bank = services.bank_create(
            name=options["name"],
            source=options["source"],
            legal_scope=options["scope"],
            kind=Bank.Kind.NEGATIVE if options["negative"] else Bank.Kind.POSITIVE,
            title=options["title"],
            shareable=options["shareable"],
            review_required=options["review"],
            source_partner=partner,
            actor=CLI_ACTOR,
        )
        notes = [bank.kind, f"source {bank.source}", f"scope {bank.legal_scope}"]
        notes += ["shareable"] * bank.shareable + ["new hashes wait for review"] * (
            bank.review_required
        )
        self.stdout.write(f"Created bank {bank.name} ({', '.join(notes)}).")

    def do_enable(self, options: dict[str, Any], enabled: bool = True) -> None:
        bank = services.bank_update(bank=_bank(options["name"]), enabled=enabled, actor=CLI_ACTOR)
        state = "enabled: its hashes match" if enabled else "disabled: its hashes do not match"
        self.stdout.write(f"Bank {bank.name} is {state}.")

    def do_disable(self, options: dict[str, Any]) -> None:
        self.do_enable(options, enabled=False)

    def do_set(self, options: dict[str, Any]) -> None:
        if options["shareable"] is None and options["title"] is None:
            raise CommandError("Nothing to change: give --shareable, --not-shareable or --title.")
        bank = services.bank_update(
            bank=_bank(options["name"]),
            shareable=options["shareable"],
            title=options["title"],
            actor=CLI_ACTOR,
        )
        sharing = "shareable" if bank.shareable else "not shareable"
        self.stdout.write(f'Bank {bank.name}: {sharing}; title "{bank.title}".')

    def do_share(self, options: dict[str, Any]) -> None:
        bank, partner = _bank(options["name"]), _partner(options["partner"])
        services.bank_share(bank=bank, partner=partner, actor=CLI_ACTOR)
        self.stdout.write(f'Bank {bank.name} is shared with "{partner.name}".')

    def do_unshare(self, options: dict[str, Any]) -> None:
        bank, partner = _bank(options["name"]), _partner(options["partner"])
        if not bank.shared_with.filter(pk=partner.pk).exists():
            raise CommandError(f'Bank {bank.name} is not shared with "{partner.name}".')
        services.bank_share(bank=bank, partner=partner, actor=CLI_ACTOR, share=False)
        self.stdout.write(f'Bank {bank.name} is no longer shared with "{partner.name}".')

    # -- files ---------------------------------------------------------------------------

    def do_import(self, options: dict[str, Any]) -> None:
        path: str = options["file"]
        shown = "<stdin>" if path == "-" else path
        name = options["format"] or _guess_format(path, "import")
        bank = _bank(options["name"])
        read_options = {"signal_type": options["signal_type"]} if options["signal_type"] else {}
        if read_options and name != "pytx":
            raise CommandError("--signal-type is only for pytx files.")
        started = time.perf_counter()
        with _input(path, options.get("stdin")) as stream:
            try:
                result = services.hashes_add(
                    bank=bank,
                    records=formats.read(name, stream, **read_options),
                    actor=CLI_ACTOR,
                    source="cli",
                )
            except FormatError as exc:
                for line, message in exc.problems:
                    self.stderr.write(f"{shown}:{line}: {message}")
                count = len(exc.problems)
                stop = f" Reading stopped at line {exc.problems[-1][0]}: fix these and try again."
                more = stop if exc.truncated else ""
                raise CommandError(
                    f"Nothing was imported into bank {bank.name}: {shown} has {count} "
                    f"problem{'s' if count != 1 else ''} ({name} format).{more}"
                ) from None
            except OSError as exc:
                raise CommandError(f"Cannot read {shown}: {_reason(exc)}") from None
        seconds = time.perf_counter() - started
        self.stdout.write(
            f"Imported {shown} into bank {bank.name} in {seconds:.2f} s: "
            f"{result.added:,} added, {result.restored:,} restored, "
            f"{result.unchanged:,} unchanged, {result.removed:,} removed."
        )
        if bank.review_required and result.added + result.restored:
            self.stdout.write("The new hashes wait for review: tellsafe bank review")

    def do_export(self, options: dict[str, Any]) -> None:
        bank = _bank(options["name"])
        target: str | None = options["output"]
        to_file = target not in (None, "-")
        name = options["format"] or (_guess_format(target, "export") if to_file else "csv")
        if options["include_removed"] and "removed_at" not in formats.get(name).carries:
            raise CommandError(
                f"A {name} file cannot say that a hash was withdrawn; export removed "
                "hashes with --format csv."
            )
        write_options = {"collab": bank.name} if name == "pytx_dataset" else {}
        records = selectors.export_records(bank=bank, include_removed=options["include_removed"])
        started = time.perf_counter()
        try:
            if to_file:
                count = _write_file(Path(str(target)), name, records, write_options)
            else:
                self.stdout.ending = ""  # the format writes its own line endings (dumpdata too)
                count = formats.write(name, records, cast("IO[str]", self.stdout), **write_options)
        except ValueError as exc:
            raise CommandError(f"The export stopped: {exc}") from None
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) and not to_file:
                _quiet_stdout()  # the reader stopped early (| head): nothing left to tell it
            where = target if to_file else "standard output"
            raise CommandError(f"Cannot write {where}: {_reason(exc)}") from None
        finally:
            records.close()  # its database cursor, before the connection goes
        seconds = time.perf_counter() - started
        _audit(
            "bank.export", bank.pk, format=name, hashes=count, removed=options["include_removed"]
        )
        if to_file:
            self.stdout.write(
                f"Exported {_hashes(count)} of bank {bank.name} to {target} ({name}) "
                f"in {seconds:.2f} s."
            )

    # -- hashes --------------------------------------------------------------------------

    def do_remove(self, options: dict[str, Any]) -> None:
        bank = _bank(options["name"])
        hash_type = options["type"]
        values = {_hash(hash_type, text) for text in options["hashes"]}
        keys, reason = [(hash_type, v) for v in values], options["reason"]
        removed = services.hashes_remove(bank=bank, keys=keys, actor=CLI_ACTOR, reason=reason)
        line = f"Removed {removed:,} of {_hashes(len(values))} from bank {bank.name}."
        if removed < len(values):
            line += f" Not in it, or removed already: {len(values) - removed:,}."
        self.stdout.write(line)

    def do_review(self, options: dict[str, Any]) -> None:
        out = [_review_out(h) for h in selectors.hashes_to_review(limit=options["limit"])]
        if options["json"]:
            for item in out:
                self.stdout.write(json.dumps(item))
            return
        if not out:
            self.stdout.write("Nothing to review: no hash is pending or quarantined.")
            return
        columns = ("id", "bank", "type", "hash", "quality", "state", "added_at", "reference")
        rows = [tuple(_cell(o[c]) for c in columns) for o in out]
        self._table(tuple(c.upper().replace("_", " ") for c in columns), rows)
        if len(out) == options["limit"]:
            self.stdout.write(f"Showing the oldest {len(out)}; there may be more (--limit N).")

    def do_confirm(self, options: dict[str, Any]) -> None:
        self._decide(options["ids"], confirm=True, reason="")

    def do_reject(self, options: dict[str, Any]) -> None:
        self._decide(options["ids"], confirm=False, reason=_reason_given(options["reason"]))

    def _decide(self, ids: list[int], *, confirm: bool, reason: str) -> None:
        found = BankHash.objects.in_bulk(ids)
        missing = sorted(set(ids) - set(found))
        if missing:
            raise CommandError(
                f"No bank hash has the id {', '.join(map(str, missing))}; nothing was changed. "
                "See: tellsafe bank review"
            )
        rows = list(found.values())
        changed = services.hashes_review(
            bank_hashes=rows, confirm=confirm, actor=CLI_ACTOR, reason=reason
        )
        if confirm:
            line = f"Confirmed {_hashes(changed)}: active now."
        else:
            line = f"Rejected {_hashes(changed)}: removed."
        skipped = sorted(h.pk for h in rows if h.status != BankHash.Status.PENDING)
        if skipped:
            line += f" Not pending, so left as they were: {', '.join(map(str, skipped))}."
        self.stdout.write(line)

    def do_release(self, options: dict[str, Any]) -> None:
        bank_hash = BankHash.objects.select_related("bank").filter(pk=options["id"]).first()
        if bank_hash is None:
            raise CommandError(
                f"No bank hash has the id {options['id']}. See: tellsafe bank review"
            )
        services.quarantine_release(
            bank_hash=bank_hash, actor=CLI_ACTOR, reason=_reason_given(options["reason"])
        )
        self.stdout.write(
            f"Released hash {bank_hash.pk} ({bank_hash.hash_type} {bank_hash.value[:16]}… in "
            f"bank {bank_hash.bank.name}) from quarantine: it can be acted on again."
        )

    # -- the matcher ---------------------------------------------------------------------

    def do_lookup(self, options: dict[str, Any]) -> None:
        hash_type = options["type"]
        value = _hash(hash_type, options["hash"])
        threshold = options["threshold"]
        if threshold is not None and threshold > settings.MATCH_MAX_THRESHOLD:
            raise CommandError(
                f"--threshold is at most {settings.MATCH_MAX_THRESHOLD} "
                "(TELLSAFE_MATCH_MAX_THRESHOLD)."
            )
        query = Query(hash_type, value, options["quality"] if hash_type == "pdq" else None)
        # count=False: an operator's check must never push a hash into quarantine.
        [answer] = lookup([query], viewer=Viewer.staff(), threshold=threshold, count=False)
        for match in answer.matches:
            self.stdout.write(json.dumps({**asdict(match), "suppressed": answer.suppressed}))
        _audit("matching.match", queries=1, matched=int(bool(answer.matches)))
        if not answer.matches:
            self.stderr.write("No matches.")

    def do_snapshot(self, options: dict[str, Any]) -> None:
        path = options["path"] or settings.MATCHER_SNAPSHOT_PATH
        if not path:
            raise CommandError(
                "No snapshot path: give one (tellsafe bank snapshot PATH) or set "
                "TELLSAFE_MATCHER_SNAPSHOT_PATH."
            )
        matcher = Matcher.from_database()
        started = time.perf_counter()
        try:
            matcher.save(path)
        except OSError as exc:
            raise CommandError(f"Cannot write the snapshot {path}: {_reason(exc)}") from None
        seconds = time.perf_counter() - started
        self.stdout.write(f"Wrote the matcher snapshot {path}: {_sizes(matcher)}.")
        for file in (Path(path).with_suffix(suffix) for suffix in SNAPSHOT_FILES):
            self.stdout.write(f"  {file}  {file.stat().st_size:,} bytes")
        self.stdout.write(
            f"Built from the database in {matcher.load_seconds:.2f} s (up to change "
            f"{matcher.watermark}), written in {seconds:.2f} s."
        )

    def do_load_time(self, options: dict[str, Any]) -> None:
        matcher = Matcher.from_database()
        self.stdout.write(
            f"Built the matcher from the database in {matcher.load_seconds:.2f} s: "
            f"{_sizes(matcher)}."
        )

    # -- output --------------------------------------------------------------------------

    def _table(self, header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so Python's flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


@contextlib.contextmanager
def _input(path: str, stdin: IO[Any] | None) -> Iterator[IO[Any]]:
    if path == "-":
        yield stdin or sys.stdin.buffer
        return
    try:
        stream = open(path, "rb")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {_reason(exc)}") from None
    with stream:
        yield stream


def _write_file(path: Path, name: str, records: Any, options: dict[str, Any]) -> int:
    """Write to a temporary file beside ``path``, then rename: an export that stops
    half-way never leaves a file that looks complete."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            count = formats.write(name, records, stream, **options)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return count


def _guess_format(path: str | None, verb: str) -> str:
    name = FORMAT_BY_EXTENSION.get(Path(path or "").suffix.lower())
    if name is None or path == "-":
        raise CommandError(
            f"Say which format to {verb} with --format ({', '.join(formats.names())}): "
            "only .csv (csv) and .txt (pytx) files are recognised by their name."
        )
    return name


def _bank(name: str) -> Bank:
    bank = selectors.bank_by_name(name)
    if bank is None:
        raise CommandError(f"No bank is named {name!r}. See: tellsafe bank list")
    return bank


def _partner(name: str) -> Partner:
    partner = partner_by_name(name)
    if partner is None:
        raise CommandError(f"No partner is named {name!r}. See: tellsafe partner list")
    return partner


def _hash(hash_type: str, text: str) -> str:
    try:
        return hashing.get(hash_type).normalise(text)
    except ValueError as exc:
        raise CommandError(f"Not a {hash_type} hash: {shorten(text)}. {exc}") from None


def _reason_given(text: str) -> str:
    if not text.strip():
        raise CommandError("Say why: --reason must not be blank.")
    return text.strip()


def _audit(action: str, object_id: Any = "", **data: Any) -> None:
    """Audit a read as the API does (exports as downloads, lookups as matches)."""
    with write_transaction():
        audit.record(
            actor=CLI_ACTOR,
            action=action,
            object_type="bank" if object_id else "matching",
            object_id=object_id,
            data=data,
        )


def _bank_lines() -> list[dict[str, Any]]:
    """Every bank, its counts and its partners' names, in three queries in all."""
    summaries = selectors.bank_summaries()
    shared: dict[int, list[str]] = {}
    through = Bank.shared_with.through.objects.order_by("partner__name")
    for bank_id, name in through.values_list("bank_id", "partner__name"):
        shared.setdefault(bank_id, []).append(name)
    ids = {s["bank"].source_partner_id for s in summaries} - {None}
    sources = dict(Partner.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [_bank_out(s, shared, sources) for s in summaries]


def _bank_out(
    summary: dict[str, Any], shared: dict[int, list[str]], sources: dict[int, str]
) -> dict[str, Any]:
    bank: Bank = summary["bank"]
    return {
        "name": bank.name,
        "title": bank.title,
        "kind": bank.kind,
        "source": bank.source,
        "source_partner": sources.get(bank.source_partner_id or 0),
        "legal_scope": bank.legal_scope,
        "enabled": bank.enabled,
        "shareable": bank.shareable,
        "review_required": bank.review_required,
        **{k: summary[k] for k in ("active", "pending", "removed", "quarantined")},
        "shared_with": shared.get(bank.pk, []),
    }


def _review_out(row: BankHash) -> dict[str, Any]:
    states = [row.status] if row.status == BankHash.Status.PENDING else []
    states += ["quarantined"] if row.quarantined else []
    return {
        "id": row.pk,
        "bank": row.bank.name,
        "type": row.hash_type,
        "hash": row.value,
        "quality": row.quality,
        "reference": row.reference,
        "state": ", ".join(states),
        "added_at": row.added_at.isoformat(),
        "quarantined_at": row.quarantined_at.isoformat() if row.quarantined_at else None,
    }


def _sizes(matcher: Matcher) -> str:
    return ", ".join(f"{n:,} {name}" for name, n in matcher.size().items()) + " hashes"


def _hashes(count: int) -> str:
    return f"{count:,} hash" if count == 1 else f"{count:,} hashes"


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value in ("", None) else str(value)


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _describe(exc: ApplicationError) -> str:
    """The message, then each field's messages, unless they only repeat it."""
    fields = {f: m for f, m in exc.fields.items() if " ".join(m) != exc.message}
    details = [f"{field}: {' '.join(messages)}" for field, messages in fields.items()]
    return " ".join([exc.message, *details])
