"""``tellsafe exchange``: write a case in an exchange format, or read a forward in.

::

    tellsafe exchange export CASE_ID --format ncmec|xarf|iccam-json|iccam-csv \\
        --category csam --legal-basis baseline [--age-band prepubescent] [--flag ai_generated]
        [--include-narrative] [--output FILE]
    tellsafe exchange import FILE --format ncmec|xarf|iccam-json|iccam-csv --from HOTLINE_NAME

``export`` writes the document to stdout (or ``--output``); the assessment comes from the
options (``--category`` defaults to the case's first reported category, ``--age-band`` to
the first report's). The narrative is left out unless ``--include-narrative`` is given.
``import`` makes a new case of the file and prints one JSON line: the case, the report,
whether it is new, how many URLs and hashed items it has. Problems are printed as
``code: message`` and one line per problem, with exit status 1; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tellsafe.cases.models import Case
from tellsafe.core import audit
from tellsafe.core.errors import ApplicationError
from tellsafe.intake.models import Report
from tellsafe.routing.exchange import documents
from tellsafe.routing.exchange.importer import import_forward
from tellsafe.routing.exchange.model import (
    AGE_BANDS,
    COMMERCIALITIES,
    FLAGS,
    GENDERS,
    INDUSTRY_CLASSIFICATIONS,
    LEGAL_BASES,
    SITE_TYPES,
    Assessment,
)
from tellsafe.routing.exchange.services import FORMATS, export_case

ACTOR = audit.Actor("system", "exchange-command")


def _failure(exc: ApplicationError) -> CommandError:
    lines = [f"{exc.code}: {exc.message}"]
    for name, messages in exc.fields.items():
        lines += [f"  {name}: {message}" for message in messages]
    return CommandError("\n".join(lines))


class Command(BaseCommand):
    """``tellsafe exchange``: see the module docstring."""

    help = "Export a case in an exchange format, or import a forward from another hotline."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="export|import")
        export = actions.add_parser("export", help="write a case in an exchange format")
        export.add_argument("case_id", type=int, metavar="CASE_ID")
        export.add_argument("--format", dest="fmt", required=True, choices=FORMATS)
        export.add_argument("--category", help="harm category code (default: the case's)")
        export.add_argument("--legal-basis", required=True, choices=LEGAL_BASES)
        export.add_argument("--age-band", choices=AGE_BANDS, help="apparent age of the child")
        export.add_argument(
            "--flag", action="append", default=[], choices=sorted(FLAGS), dest="flags"
        )
        export.add_argument("--gender", choices=GENDERS, default="not_determined")
        export.add_argument("--site-type", choices=SITE_TYPES, default="not_determined")
        export.add_argument("--commerciality", choices=COMMERCIALITIES, default="not_determined")
        export.add_argument(
            "--industry-classification", choices=[c for c in INDUSTRY_CLASSIFICATIONS if c]
        )
        export.add_argument("--analyst", default="", help="the assessing analyst, if to be named")
        export.add_argument(
            "--include-narrative",
            action="store_true",
            help="include the reports' narratives (left out by default)",
        )
        export.add_argument("--output", type=Path, help="write here instead of stdout")
        read = actions.add_parser("import", help="make a case of a forward from a hotline")
        read.add_argument("file", type=Path, metavar="FILE")
        read.add_argument("--format", dest="fmt", required=True, choices=FORMATS)
        read.add_argument("--from", dest="source", required=True, metavar="HOTLINE_NAME")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "export":
                self._export(options)
            else:
                self._import(options)
        except ApplicationError as exc:
            raise _failure(exc) from None

    def _export(self, options: dict[str, Any]) -> None:
        case_id = options["case_id"]
        first = (
            Report.objects.filter(case_id=case_id)
            .order_by("created_at", "pk")
            .prefetch_related("categories")
            .first()
        )
        if first is None and not Case.objects.filter(pk=case_id).exists():
            raise ApplicationError("case_not_found", f"There is no case {case_id}.")
        codes = [c.code for c in first.categories.all()] if first else []
        category = options["category"] or (codes[0] if codes else "")
        assessment = Assessment(
            category=category,
            legal_basis=options["legal_basis"],
            age_band=options["age_band"] or (first.age_band if first else "not_determined"),
            flags=frozenset(options["flags"]),
            gender=options["gender"],
            site_type=options["site_type"],
            commerciality=options["commerciality"],
            industry_classification=options["industry_classification"] or "",
            analyst=options["analyst"],
        )
        exported = export_case(
            case_id=case_id,
            fmt=options["fmt"],
            assessment=assessment,
            actor=ACTOR,
            include_narrative=options["include_narrative"],
        )
        output: Path | None = options["output"]
        if output is None:
            self.stdout.write(exported.content.decode("utf-8"), ending="")
            return
        try:
            # Never overwrite (an export may be evidence); readable by its owner only.
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fp:
                fp.write(exported.content)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from None
        self.stderr.write(f"wrote {output} ({len(exported.content)} bytes)")

    def _import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        try:
            with path.open("rb") as fp:
                data = fp.read(documents.MAX_IMPORT_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
        result = import_forward(
            data=data, fmt=options["fmt"], source=options["source"], actor=ACTOR
        )
        line = {
            "case": result.case_id,
            "report": result.report_id,
            "created": result.created,
            "urls": result.urls,
            "hashed": result.hashed,
        }
        self.stdout.write(json.dumps(line))
        if not result.created:
            self.stderr.write("This file from this hotline was imported before: same case.")
