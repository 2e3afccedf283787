"""Exporting a case in an exchange format: the one write is the audit event of the read.

``render`` builds a document and checks it against our schema before anything leaves:
a document that fails its own schema is a bug, refused with ``export_invalid``, never
sent half-right.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tellsafe.cases.models import Case
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import documents, iccam, ncmec, xarf
from tellsafe.routing.exchange.collect import collect
from tellsafe.routing.exchange.model import Assessment, CaseExport

log = logging.getLogger(__name__)

FORMATS = ("ncmec", "xarf", "iccam-json", "iccam-csv")
MEDIA_TYPES = {
    "ncmec": "application/xml",
    "xarf": "application/json",
    "iccam-json": "application/json",
    "iccam-csv": "text/csv",
}


@dataclass(frozen=True)
class Exported:
    format: str
    media_type: str
    content: bytes


def _json(document: Any) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _refuse_if(found: list[str], fmt: str) -> None:
    if found:
        log.error("export failed its own schema", extra={"code": fmt, "count": len(found)})
        raise documents.invalid(
            "export_invalid",
            "The document failed its own schema; nothing was sent.",
            {"document": found},
        )


def render(export: CaseExport, fmt: str) -> bytes:
    """``export`` written in ``fmt``, checked against our schema."""
    if fmt == "ncmec":
        bundle = ncmec.build_bundle(export)
        _refuse_if(ncmec.problems(bundle), fmt)
        return ncmec.to_bytes(bundle)
    if fmt == "xarf":
        reports = xarf.build(export)
        _refuse_if(xarf.problems(reports), fmt)
        return _json(reports)
    if fmt in ("iccam-json", "iccam-csv"):
        document = iccam.build(export)
        _refuse_if(iccam.problems(document), fmt)
        return _json(document) if fmt == "iccam-json" else iccam.to_csv(document).encode("utf-8")
    raise unknown_format()


def unknown_format() -> ApplicationError:
    message = f"Unknown format; choose one of: {', '.join(FORMATS)}."
    return ApplicationError("unknown_format", message, {"format": [message]})


def export_case(
    *,
    case_id: int,
    fmt: str,
    assessment: Assessment,
    actor: audit.Actor,
    include_narrative: bool = False,
    traces: Mapping[int, Mapping[str, Any]] | None = None,
    now: datetime | None = None,
) -> Exported:
    """Case ``case_id`` in format ``fmt`` (``FORMATS``). The read is audited, whether or
    not a document could be made; the narrative is read only if ``include_narrative``."""
    if fmt not in FORMATS:
        raise unknown_format()
    case = Case.objects.filter(pk=case_id).first()
    if case is None:
        raise ApplicationError("case_not_found", "There is no such case.", status=404)
    if case.merged_into_id:
        message = f"This case was merged into case {case.merged_into_id}: export that one."
        raise ApplicationError("case_merged", message, {"case": [message]}, status=409)
    export: CaseExport | None = None
    outcome = "ok"
    try:
        export = collect(
            case=case,
            assessment=assessment,
            include_narrative=include_narrative,
            traces=traces,
            now=now,
        )
        content = render(export, fmt)
    except ApplicationError as exc:
        outcome = exc.code
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        # The read is audited whatever came of it: URLs (and perhaps the narrative)
        # were decrypted.
        with write_transaction():
            audit.record(
                actor=actor,
                action="case.export",
                object_type="case",
                object_id=case.pk,
                data={
                    "format": fmt,
                    "outcome": outcome,
                    "narrative": include_narrative,
                    "category": assessment.category,
                    "legal_basis": assessment.legal_basis,
                    "items": len(export.items) if export else 0,
                },
            )
    log.info("case exported", extra={"case_id": case.pk, "code": fmt})
    return Exported(format=fmt, media_type=MEDIA_TYPES[fmt], content=content)
