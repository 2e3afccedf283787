"""Reports for exchange with INHOPE hotlines, in the fields and code lists of ICCAM: JSON
(one report with its URLs) and CSV (one row per URL), both checked against our JSON
Schema (``schemas/iccam_report.schema.json``).

Each URL carries where it is hosted (country, address, ISP, ASN, CDN) and the analyst's
assessment in ICCAM's codes: classification (1 baseline, 2 national, 4 not illegal), age
(1 not categorised, 2 infant, 3 pre-pubescent, 4 pubescent), gender (1 not determined, 2
female, 3 male, 4 both), and whether it is virtual, user-generated or child modelling
(0 or 1); the report carries the site type and commerciality. One field is ours: a URL's
``hashes``, the hashes of what it serves. The memo names our case and its categories; it
carries the narrative only when the analyst included it, and never the reporter.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import documents
from tellsafe.routing.exchange.model import (
    SITE_TYPES,
    CaseExport,
    CategoryInfo,
    Forward,
    ForwardItem,
    Item,
)

SCHEMA = "iccam_report"
MAX_URLS = 1000
MAX_MEMO = 12000

CLASSIFICATION = {"baseline": 1, "national": 2, "not_illegal": 4}
AGE = {"not_determined": 1, "infant": 2, "prepubescent": 3, "pubescent": 4}
GENDER = {"not_determined": 1, "female": 2, "male": 3, "both": 4}
SITE_TYPE = dict(zip(SITE_TYPES, (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 18, 20, 22, 24), strict=True))
COMMERCIALITY = {"not_determined": 1, "commercial": 2, "non_commercial": 3}
CONTENT_MEDIA, CONTENT_WEBSITE = 1, 2

REPORT_COLUMNS = (
    "hotlineReference",
    "hotlineReceivedDate",
    "reportingAnalystName",
    "sourceUrlSiteType",
    "sourceUrlCommerciality",
    "sourceUrlPaymentMethods",
    "memo",
)
URL_COLUMNS = (
    "urlString",
    "urlHotlineReference",
    "isSourceUrl",
    "contentType",
    "hostingCountryCode",
    "hostingIpAddress",
    "hostingIsp",
    "organizationName",
    "autonomousSystemNumber",
    "isContentDeliveryNetwork",
    "classification",
    "ageCategorization",
    "genderCategorization",
    "virtualContentCategorization",
    "userGeneratedContentCategorization",
    "childModelingCategorization",
    "assessingAnalystName",
    "urlMemo",
    "md5",
    "sha1",
    "sha256",
    "pdq",
)
COLUMNS = REPORT_COLUMNS + URL_COLUMNS
_INTEGERS = {
    "sourceUrlSiteType",
    "sourceUrlCommerciality",
    "contentType",
    "autonomousSystemNumber",
    "classification",
    "ageCategorization",
    "genderCategorization",
    "virtualContentCategorization",
    "userGeneratedContentCategorization",
    "childModelingCategorization",
}
_BOOLEANS = {"isSourceUrl", "isContentDeliveryNetwork"}
_HASHES = ("md5", "sha1", "sha256", "pdq")
# A spreadsheet runs a cell that starts so as a formula: such cells get a leading quote.
_FORMULA = re.compile(r"^[=+\-@\t\r]")


def check_exchangeable(export: CaseExport) -> None:
    problems = export.problems()
    info = export.categories.get(export.assessment.category)
    if info is not None and not info.csea:
        problems.setdefault("category", []).append(
            "This category is outside child sexual exploitation and abuse."
        )
    if not export.url_items:
        problems.setdefault("items", []).append("An ICCAM report lists URLs; the case has none.")
    if len(export.url_items) > MAX_URLS:
        problems.setdefault("items", []).append(f"At most {MAX_URLS} URLs in one report.")
    if problems:
        raise ApplicationError("not_exchangeable", "No ICCAM report can be made so.", problems)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _memo(export: CaseExport) -> str:
    text = (
        f"{export.sender.name} case {export.reference}. Categories reported: "
        + ", ".join(export.category_codes)
        + "."
    )
    if export.narrative.strip():
        text += "\n\nNarrative, included by the analyst:\n" + export.narrative.strip()
    if len(text) > MAX_MEMO:
        message = f"The narrative is too long to send: the memo is limited to {MAX_MEMO}."
        raise ApplicationError("narrative_too_long", message, {"narrative": [message]})
    return text


def _url(export: CaseExport, item: Item) -> dict[str, Any]:
    a = export.assessment
    flags = set(a.flags)
    entry: dict[str, Any] = {
        "urlString": item.url,
        "hotlineReference": f"{export.reference}-{item.id}",
        "isSourceUrl": True,
        "contentType": CONTENT_MEDIA if item.hashes else CONTENT_WEBSITE,
    }
    hosting = item.hosting
    if hosting is not None:
        if hosting.country:
            entry["hostingCountryCode"] = hosting.country
        if hosting.ip:
            entry["hostingIpAddress"] = hosting.ip
        if hosting.org:
            entry["hostingIsp"] = hosting.org
        organisation: dict[str, Any] = {"isContentDeliveryNetwork": hosting.behind_cdn}
        if hosting.org:
            organisation["organizationName"] = hosting.org
        if hosting.asn is not None:
            organisation["autonomousSystemNumber"] = hosting.asn
        entry["hostingOrganization"] = organisation
    assessment: dict[str, Any] = {
        "classification": CLASSIFICATION[a.legal_basis],
        "ageCategorization": AGE[a.visual_age],
        "genderCategorization": GENDER[a.gender],
        "virtualContentCategorization": int(bool(flags & {"ai_generated", "virtual"})),
        "userGeneratedContentCategorization": int("self_generated" in flags),
        "childModelingCategorization": int(
            "child_modelling" in flags or a.category == "sexualised_images"
        ),
    }
    if a.analyst:
        assessment["assessingAnalystName"] = a.analyst
    entry["assessment"] = assessment
    if item.hashes:
        entry["hashes"] = item.hashes.present()
    return entry


def build(export: CaseExport) -> dict[str, Any]:
    """The ICCAM report of ``export`` (see the module docstring)."""
    check_exchangeable(export)
    a = export.assessment
    document: dict[str, Any] = {
        "hotlineReference": export.reference,
        "hotlineReceivedDate": _iso(export.first_reported_at),
        "memo": _memo(export),
        "sourceUrlSiteType": SITE_TYPE[a.site_type],
        "sourceUrlCommerciality": COMMERCIALITY[a.commerciality],
        "urls": [_url(export, item) for item in export.url_items],
    }
    if a.analyst:
        document["reportingAnalystName"] = a.analyst
    return document


def problems(document: Any) -> list[str]:
    return documents.json_problems(SCHEMA, document)


# --- CSV ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    text = str(value)
    return "'" + text if _FORMULA.match(text) else text


def to_csv(document: Mapping[str, Any]) -> str:
    """One row per URL; the report's fields repeat on every row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    head = [_cell(document.get(name)) for name in REPORT_COLUMNS]
    for entry in document["urls"]:
        organisation = entry.get("hostingOrganization", {})
        assessment = entry["assessment"]
        hashes = entry.get("hashes", {})
        values = {
            **{k: entry.get(k) for k in URL_COLUMNS if k in entry},
            "urlHotlineReference": entry.get("hotlineReference"),
            "urlMemo": entry.get("memo"),
            **{k: organisation.get(k) for k in organisation},
            **assessment,
            **{k: hashes.get(k) for k in _HASHES},
        }
        writer.writerow(head + [_cell(values.get(name)) for name in URL_COLUMNS])
    return out.getvalue()


def build_csv(export: CaseExport) -> str:
    return to_csv(build(export))


def _typed(name: str, text: str, where: str, problems: dict[str, list[str]]) -> Any:
    if text.startswith("'") and _FORMULA.match(text[1:]):
        text = text[1:]
    if name in _INTEGERS:
        if not re.fullmatch(r"[0-9]{1,10}", text):
            problems.setdefault(where, []).append(f"{name}: a whole number, not {text[:20]!r}")
            return None
        return int(text)
    if name in _BOOLEANS:
        if text not in ("true", "false"):
            problems.setdefault(where, []).append(f"{name}: true or false, not {text[:20]!r}")
            return None
        return text == "true"
    if name == "sourceUrlPaymentMethods":
        parts = text.split(";")
        if not all(re.fullmatch(r"[0-9]{1,2}", p) for p in parts):
            problems.setdefault(where, []).append(f"{name}: numbers separated by ';'")
            return None
        return [int(p) for p in parts]
    return text


def csv_document(data: bytes) -> dict[str, Any]:
    """The ICCAM report a CSV file holds, rebuilt so the JSON Schema can check it;
    ``ApplicationError`` listing problems by row if the file is malformed."""
    documents.check_size(data)
    try:
        text = bytes(data).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error) as exc:
        message = "The file is not CSV in UTF-8."
        raise ApplicationError("malformed_csv", message, {"file": [str(exc)[:200]]}) from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ApplicationError("malformed_csv", "The file is empty.", {"file": ["empty"]})
    header, body = rows[0], rows[1:]
    problems: dict[str, list[str]] = {}
    unknown = [name[:40] for name in header if name not in COLUMNS]
    missing = [n for n in ("hotlineReference", "hotlineReceivedDate", "urlString", "contentType")]
    missing += ["classification", "ageCategorization", "genderCategorization"]
    missing = [n for n in missing if n not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems["header"] = [
            *(f"unknown column {name!r}" for name in unknown),
            *(f"missing column {name!r}" for name in missing),
            *(["a column is named twice"] if len(set(header)) != len(header) else []),
        ]
        raise documents.invalid("invalid_document", "The CSV header is not ICCAM's.", problems)
    if not body or len(body) > MAX_URLS:
        message = f"The file must have 1 to {MAX_URLS} rows of URLs."
        raise ApplicationError("invalid_document", message, {"file": [message]})
    document: dict[str, Any] = {}
    urls = []
    for number, row in enumerate(body, start=2):
        where = f"row {number}"
        if len(row) != len(header):
            problems.setdefault(where, []).append(f"{len(row)} cells; the header has {len(header)}")
            continue
        cells = {
            name: _typed(name, value, where, problems)
            for name, value in zip(header, row, strict=True)
            if value != ""
        }
        head = {k: cells[k] for k in REPORT_COLUMNS if k in cells}
        if not document:
            document = head
        elif head != document:
            problems.setdefault(where, []).append("the report's columns differ from row 2")
        urls.append(_url_from_cells(cells))
    if problems:
        raise documents.invalid("invalid_document", "The CSV file has problems.", problems)
    document["urls"] = urls
    return document


def _url_from_cells(cells: Mapping[str, Any]) -> dict[str, Any]:
    entry = {k: cells[k] for k in URL_COLUMNS if k in cells}
    for ours, theirs in (("urlHotlineReference", "hotlineReference"), ("urlMemo", "memo")):
        if ours in entry:
            entry[theirs] = entry.pop(ours)
    organisation = {
        k: entry.pop(k)
        for k in ("organizationName", "autonomousSystemNumber", "isContentDeliveryNetwork")
        if k in entry
    }
    if organisation:
        entry["hostingOrganization"] = organisation
    assessment_keys = (
        "assessingAnalystName",
        "classification",
        "ageCategorization",
        "genderCategorization",
        "virtualContentCategorization",
        "userGeneratedContentCategorization",
        "childModelingCategorization",
    )
    entry["assessment"] = {k: entry.pop(k) for k in assessment_keys if k in entry}
    hashes = {k: entry.pop(k) for k in _HASHES if k in entry}
    if hashes:
        entry["hashes"] = hashes
    return entry


# --- reading a forward -------------------------------------------------------------------


def forward_from(document: Mapping[str, Any], fmt: str, categories: Mapping[str, Any]) -> Forward:
    """A forward from a schema-valid ICCAM report."""
    forward = Forward(format=fmt, reference=document["hotlineReference"])
    wanted: list[str] = []
    if document.get("memo", "").strip():
        forward.notes.append(document["memo"].strip())
    all_not_illegal = True
    for n, entry in enumerate(document["urls"]):
        a = entry["assessment"]
        if a["classification"] != 4:
            all_not_illegal = False
            wanted.append("csam")
        if a["virtualContentCategorization"]:
            wanted.append("csam_generated")
        if a["userGeneratedContentCategorization"]:
            wanted.append("self_generated")
        if a["childModelingCategorization"]:
            wanted.append("sexualised_images")
        if a["ageCategorization"] == AGE["infant"]:
            forward.age_band = "under_9"
        if entry.get("memo", "").strip():
            forward.notes.append(entry["memo"].strip())
        forward.items.append(
            ForwardItem(
                url=entry["urlString"], hashes=dict(entry.get("hashes", {})), where=f"url {n}"
            )
        )
        if entry.get("hostingCountryCode"):
            forward.facts.setdefault("hosting_country", entry["hostingCountryCode"])
    if all_not_illegal:
        wanted.append("out_of_remit")
    for code in wanted:
        if code in categories and code not in forward.categories:
            forward.categories.append(code)
    classifications = sorted({str(e["assessment"]["classification"]) for e in document["urls"]})
    forward.facts["classification"] = ",".join(classifications)
    return forward


def read(data: bytes, categories: Mapping[str, CategoryInfo]) -> Forward:
    """A forward from an ICCAM report in JSON; ``ApplicationError`` listing the schema
    problems if it is not one."""
    document = documents.parse_json(data)
    found = problems(document)
    if found:
        raise documents.invalid(
            "invalid_document", "The file is not a valid ICCAM report.", {"file": found}
        )
    return forward_from(document, "iccam-json", categories)


def read_csv(data: bytes, categories: Mapping[str, CategoryInfo]) -> Forward:
    """A forward from an ICCAM report in CSV, rebuilt and checked like the JSON."""
    document = csv_document(data)
    found = [_row_path(p) for p in problems(document)]
    if found:
        raise documents.invalid(
            "invalid_document", "The file is not a valid ICCAM report.", {"file": found}
        )
    return forward_from(document, "iccam-csv", categories)


def _row_path(problem: str) -> str:
    """``.urls[3].assessment.x: ...`` reads ``row 5: assessment.x: ...`` for a CSV."""
    match = re.match(r"^\.urls\[(\d+)\]\.?", problem)
    if not match:
        return problem
    return f"row {int(match.group(1)) + 2}: " + problem[match.end() :]
