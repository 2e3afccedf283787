"""Reading a forward from a foreign hotline (CyberTipline XML, XARF or ICCAM JSON/CSV)
into a new case, as a report of the ``hotline`` channel.

The file is untrusted: it is size-capped, parsed safely (no DTD, no entities, nothing
external) and checked against our schema, then every value against our rules (taxonomy
codes, URL form, hash form). Any problem refuses the whole file with one
``ApplicationError`` listing them all, and nothing is saved. A sound file becomes, in one
transaction: a report made by ``intake.services.report_create`` (so it is triaged like
any other), its URLs as content items, the hashes it gave on those items or on media
items of their own (looked up against the banks at once), and an audit event naming the
sending hotline, the format and its reference.

The sending hotline is recorded in the report's text (for the analyst), in the audit
event, and in ``ReportInput.extra["source"]``. Importing the same file from the same
hotline again returns the first case: the file's digest is the idempotency key.
SHA-1 hashes are read but not kept (a content item has no place for them); the audit
event says so.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from tellsafe.cases.models import ContentItem
from tellsafe.core import audit, crypto
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.core.text import clean_text, clean_url
from tellsafe.intake.media import summarise
from tellsafe.intake.models import (
    AgeBand,
    Channel,
    ContactKind,
    IdempotencyRecord,
    Report,
    ReporterKind,
)
from tellsafe.intake.services import report_create
from tellsafe.intake.validation import ReportInput, supported_language
from tellsafe.matching import hashing
from tellsafe.matching.lookup import Query, Viewer, lookup
from tellsafe.matching.matcher import Matcher, get_matcher
from tellsafe.routing.exchange import documents, iccam, ncmec, xarf
from tellsafe.routing.exchange.collect import category_infos
from tellsafe.routing.exchange.model import CategoryInfo, Forward

log = logging.getLogger(__name__)

Reader = Callable[[bytes, Mapping[str, CategoryInfo]], Forward]
READERS: dict[str, Reader] = {
    "ncmec": ncmec.read,
    "xarf": xarf.read,
    "iccam-json": iccam.read,
    "iccam-csv": iccam.read_csv,
}
LABELS = {
    "ncmec": "CyberTipline (NCMEC)",
    "xarf": "XARF",
    "iccam-json": "ICCAM (JSON)",
    "iccam-csv": "ICCAM (CSV)",
}
MAX_ITEMS = 1000
MAX_DETAILS = 20000
MAX_SOURCE = 120
KEPT_HASHES = ("md5", "sha256", "pdq")
MEDIA_TYPES = ("image", "video", "audio", "document")


@dataclass(frozen=True)
class Imported:
    case_id: int
    report_id: int
    created: bool  # False: this file from this hotline was imported before
    urls: int
    hashed: int


@dataclass
class _Item:
    url: str = ""
    hashes: dict[str, str] = field(default_factory=dict)
    media_type: str = ""


def _source(name: Any) -> str:
    message = f"Name the sending hotline: one line of 1 to {MAX_SOURCE} characters."
    if not isinstance(name, str):
        raise ApplicationError("invalid_source", message, {"from": [message]})
    try:
        cleaned = clean_text(name, multiline=False, max_length=MAX_SOURCE)
    except ValidationError:
        cleaned = ""
    if not cleaned:
        raise ApplicationError("invalid_source", message, {"from": [message]})
    return cleaned


def _items(forward: Forward, problems: dict[str, list[str]]) -> tuple[list[_Item], list[str]]:
    """The forward's items with canonical URLs and hashes (merged per URL), and the
    names of hashes given but not kept."""
    by_url: dict[str, _Item] = {}
    media: dict[str, _Item] = {}
    dropped: set[str] = set()
    for entry in forward.items:
        where = entry.where or "item"
        hashes: dict[str, str] = {}
        for name, value in entry.hashes.items():
            if name not in KEPT_HASHES:
                dropped.add(name)
                continue
            try:
                hashes[name] = hashing.get(name).normalise(value)
            except ValueError as exc:
                problems.setdefault(where, []).append(str(exc))
        url = ""
        if entry.url:
            try:
                url = clean_url(entry.url)
            except ValidationError as exc:
                problems.setdefault(where, []).append(f"{exc.messages[0]} ({entry.url[:80]!r})")
                continue
        media_type = entry.media_type if entry.media_type in MEDIA_TYPES else ""
        if url:
            item = by_url.setdefault(url, _Item(url=url))
            for name, value in hashes.items():
                if item.hashes.get(name, value) != value:
                    problems.setdefault(where, []).append(f"two different {name} hashes")
                item.hashes.setdefault(name, value)
            item.media_type = item.media_type or media_type
        elif hashes:
            key = next(f"{n}:{hashes[n]}" for n in KEPT_HASHES if n in hashes)
            media.setdefault(key, _Item(hashes=hashes, media_type=media_type))
    items = [*by_url.values(), *media.values()]
    if not items:
        problems.setdefault("file", []).append("The forward has no URL and no usable hash.")
    if len(items) > MAX_ITEMS:
        problems.setdefault("file", []).append(f"At most {MAX_ITEMS} URLs and files at once.")
    return items, sorted(dropped)


def _details(forward: Forward, source: str, fmt: str) -> str:
    head = f"Forwarded by the hotline {source} in {LABELS[fmt]} format"
    if forward.reference:
        head += f", their reference {forward.reference}"
    if forward.sender_org and forward.sender_org.casefold() != source.casefold():
        head += f"; the document names the sender {forward.sender_org}"
    lines = [head + "."]
    lines += [f"{name}: {value}" for name, value in sorted(forward.facts.items()) if value]
    text = "\n".join(lines)
    if forward.notes:
        text += "\n\nTheir notes:\n" + "\n\n".join(forward.notes)
    return text


def prepare(
    forward: Forward, *, source: str, fmt: str
) -> tuple[ReportInput, list[_Item], list[str]]:
    """The report to create and the items to attach, or one ``ApplicationError``
    listing every problem of the forward."""
    problems: dict[str, list[str]] = {}
    items, dropped = _items(forward, problems)
    active = category_infos()
    categories = [code for code in dict.fromkeys(forward.categories) if code in active]
    if not categories and "other" in active:
        categories = ["other"]
    if not categories:
        problems.setdefault("categories", []).append("No category of ours fits this forward.")
    details = ""
    try:
        details = clean_text(_details(forward, source, fmt), multiline=True, max_length=MAX_DETAILS)
    except ValidationError as exc:
        problems.setdefault("notes", []).append(exc.messages[0])
    if problems:
        raise documents.invalid("invalid_forward", "The forward cannot be imported.", problems)
    data = ReportInput(
        reporter=ReporterKind.PROFESSIONAL,
        age_band=forward.age_band if forward.age_band in AgeBand.values else AgeBand.UNKNOWN,
        language=supported_language(forward.language),
        categories=tuple(categories),
        details=details,
        urls=tuple(item.url for item in items if item.url),
        contact_kind=ContactKind.NONE,
        extra={
            "source": {
                "kind": "hotline",
                "name": source,
                "format": fmt,
                "reference": forward.reference,
                "sender_org": forward.sender_org,
            }
        },
    )
    return data, items, dropped


def _summary(hashes: dict[str, str], matcher: Matcher) -> dict[str, Any]:
    queries = [Query(name, value) for name, value in hashes.items()]
    return summarise(queries, lookup(queries, viewer=Viewer.staff(), matcher=matcher))


def _attach(*, report: Report, items: list[_Item], matcher: Matcher, fmt: str) -> int:
    """Put the forward's hashes on its URL items, and make media items of the hashes
    that came without a URL. Returns how many items carry hashes."""
    now = timezone.now()
    rows = {
        row.url_hash: row
        for row in ContentItem.objects.filter(report=report, kind=ContentItem.Kind.URL)
    }
    hashed = 0
    new_media = []
    for item in items:
        if not item.hashes:
            continue
        hashed += 1
        fields = {
            "md5": item.hashes.get("md5", ""),
            "sha256": item.hashes.get("sha256", ""),
            "pdq": item.hashes.get("pdq", ""),
            "media_type": item.media_type,
            "match_summary": _summary(item.hashes, matcher),
        }
        if item.url:
            row = rows[crypto.keyed_hash(item.url, "url")]
            for name, value in fields.items():
                setattr(row, name, value)
            row.save(update_fields=list(fields))
            continue
        first = next(f"{n}:{item.hashes[n]}" for n in KEPT_HASHES if n in item.hashes)
        new_media.append(
            ContentItem(
                case_id=report.case_id,
                report=report,
                kind=ContentItem.Kind.MEDIA,
                url="",
                url_hash=crypto.keyed_hash(f"hotline:{fmt}:{first}", "media"),
                created_at=now,
                **fields,
            )
        )
    ContentItem.objects.bulk_create(new_media)
    return hashed


def import_forward(
    *, data: bytes, fmt: str, source: str, actor: audit.Actor | None = None
) -> Imported:
    """Make a case of the forward in ``data`` (format ``fmt``) sent by hotline ``source``;
    see the module docstring. Nothing is saved unless all of it is."""
    source = _source(source)
    reader = READERS.get(fmt)
    if reader is None:
        message = f"Unknown format; choose one of: {', '.join(READERS)}."
        raise ApplicationError("unknown_format", message, {"format": [message]})
    if not isinstance(data, bytes | bytearray):
        raise ApplicationError("invalid_file", "The file must be read as bytes.")
    forward = reader(bytes(data), category_infos())
    report_input, items, dropped = prepare(forward, source=source, fmt=fmt)
    digest = hashlib.sha256(source.casefold().encode() + b"\0" + bytes(data)).hexdigest()
    key = f"exchange:{fmt}:{digest}"
    earlier = IdempotencyRecord.objects.select_related("report").filter(key=key).first()
    if earlier is not None:  # the same file from the same hotline, however it was spelt
        return _result(earlier.report, created=False, fmt=fmt)
    # Loaded before the write lock is taken, as the media worker does.
    matcher = get_matcher() if any(item.hashes for item in items) else None
    with write_transaction():
        made = report_create(data=report_input, channel=Channel.HOTLINE, idempotency_key=key)
        report = made.report
        if made.created:
            hashed = _attach(report=report, items=items, matcher=matcher, fmt=fmt) if matcher else 0
            audit.record(
                actor=actor or audit.Actor("system", "exchange"),
                action="exchange.import",
                object_type="case",
                object_id=report.case_id,
                data={
                    "report": report.pk,
                    "format": fmt,
                    "source": source,
                    "reference": forward.reference[:64],
                    "urls": len(report_input.urls),
                    "hashed": hashed,
                    "hashes_not_kept": dropped,
                    "categories": list(report_input.categories),
                },
            )
    return _result(report, created=made.created, fmt=fmt)


def _result(report: Report, *, created: bool, fmt: str) -> Imported:
    rows = ContentItem.objects.filter(report=report)
    result = Imported(
        case_id=report.case_id,
        report_id=report.pk,
        created=created,
        urls=rows.filter(kind=ContentItem.Kind.URL).count(),
        hashed=rows.exclude(md5="", sha256="", pdq="").count(),
    )
    log.info(
        "forward imported" if created else "forward imported before",
        extra={"case_id": result.case_id, "report_id": result.report_id, "code": fmt},
    )
    return result
