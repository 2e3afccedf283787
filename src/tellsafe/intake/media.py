"""Media sent in chats: hashed, never kept, and attached to the case.

A picture or file a reporter sends on WhatsApp, SMS/MMS or Telegram reaches us as the
provider's reference only. When a chat report is made with media, or media arrive on a
chat that already has a report, the flow engine calls ``media_received``: each item
becomes a pending content item of the report (the reference kept encrypted, and only
until it is used), and ``hash_chat_media`` is queued when that commits.

The task calls ``hash_report_media``. For each pending item the channel plugin downloads
the bytes into memory, with a cap (``Channel.fetch_media``); they are hashed at once (PDQ
for still images, MD5 and SHA-256 for every file) and dropped. Nothing is written to a
disk, not even a temporary file (DESIGN: no abuse imagery at rest). The hashes are looked
up against the banks, and the item keeps its hashes and the banks' answer, so an analyst
sees what it matched without anyone looking at it. An email's attachments arrive inside
the webhook and are hashed there (channels.email); the task only looks them up.

A provider's transient failure is retried by the task with backoff; what still fails,
or can never work (expired, too large), is recorded on the item as a short code.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tellsafe.cases.models import ContentItem
from tellsafe.core import audit, crypto
from tellsafe.core import http as outbound_http
from tellsafe.core.db import write_transaction
from tellsafe.core.http import ProviderError
from tellsafe.intake.channels import registry
from tellsafe.intake.models import ChannelConfig, Report
from tellsafe.matching import hashing
from tellsafe.matching.lookup import Answer, Query, Viewer, lookup
from tellsafe.matching.matcher import Matcher, get_matcher

log = logging.getLogger(__name__)

#: Tries of the task for media whose provider fails; then the failure is recorded.
ATTEMPTS = 5
RETRY_BASE_SECONDS = 30
#: A pending item older than this has lost its task (a crash between commit and queue).
SWEEP_AFTER = timedelta(minutes=30)
FETCH_TIMEOUT = 30.0
_HEX = {"md5": re.compile(r"[0-9a-f]{32}"), "sha256": re.compile(r"[0-9a-f]{64}")}
_PDQ = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class MediaHashes:
    """What is kept of one media item: its size and hashes, never its bytes."""

    size: int
    md5: str
    sha256: str
    pdq: str = ""  # still images only
    pdq_quality: int | None = None
    pdq_variants: tuple[str, ...] = ()  # the other 7 dihedral transforms, for lookup

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "pdq_variants": list(self.pdq_variants)}

    @classmethod
    def from_dict(cls, data: Any) -> MediaHashes:
        """Read hashes back (an email's, hashed in the webhook); ``ValueError`` if they
        are not what ``as_dict`` writes."""
        if not isinstance(data, dict):
            raise ValueError("hashes must be an object")
        for name, pattern in _HEX.items():
            if not isinstance(data.get(name), str) or not pattern.fullmatch(data[name]):
                raise ValueError(f"bad {name}")
        pdq = data.get("pdq") or ""
        variants = tuple(data.get("pdq_variants") or ())
        if pdq and not (
            _PDQ.fullmatch(pdq)
            and len(variants) == 7
            and all(isinstance(v, str) and _PDQ.fullmatch(v) for v in variants)
        ):
            raise ValueError("bad pdq")
        quality = data.get("pdq_quality")
        return cls(
            size=int(data.get("size") or 0),
            md5=data["md5"],
            sha256=data["sha256"],
            pdq=pdq,
            pdq_quality=int(quality) if pdq and quality is not None else None,
            pdq_variants=variants if pdq else (),
        )


def hash_in_memory(data: bytes) -> MediaHashes:
    """MD5 and SHA-256 of any file, and PDQ (with quality and the dihedral variants) when
    it is a still image. Works on the bytes in memory only."""
    md5 = hashing.get("md5").hash_bytes(data).value
    sha256 = hashing.get("sha256").hash_bytes(data).value
    try:
        result = hashing.get("pdq").hash_bytes(data)
    except hashing.HashingError:
        return MediaHashes(size=len(data), md5=md5, sha256=sha256)  # not a still image
    if not isinstance(result, hashing.PdqResult):
        return MediaHashes(size=len(data), md5=md5, sha256=sha256)
    return MediaHashes(
        size=len(data),
        md5=md5,
        sha256=sha256,
        pdq=result.value,
        pdq_quality=result.quality,
        pdq_variants=tuple(result.dihedral[1:]),
    )


def media_type_of(mime: str) -> str:
    """image, video, audio or document, from the provider's MIME type or kind."""
    mime = (mime or "").lower()
    major = mime.split("/", 1)[0]
    if major in ("image", "video", "audio"):
        return major
    if mime in ("photo", "sticker"):  # Telegram's kinds, when it gives no MIME type
        return "image"
    if mime in ("voice", "audio"):
        return "audio"
    if mime == "video":
        return "video"
    return "document"


def _reference(item: dict[str, Any]) -> str:
    """What identifies one media item at its provider (or, for an email's attachment
    hashed on arrival, its content)."""
    hashes = item.get("hashes")
    if isinstance(hashes, dict) and hashes.get("sha256"):
        return f"sha256:{hashes['sha256']}"
    return str(item.get("provider_media_id") or item.get("url") or item.get("file_id") or "")


# --- recording what arrived ------------------------------------------------------------


def media_received(*, report: Report, channel_id: int, items: list[Any]) -> int:
    """Attach the media of a chat to ``report`` as pending content items and queue their
    hashing for when the transaction commits. Call it inside the transaction that made
    the report or took the message. Safe to call again with the same items: each is
    recorded once per report. Returns how many items were new."""
    now = timezone.now()
    rows: dict[str, ContentItem] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        reference = _reference(item) or f"{report.pk}:{index}:{item.get('error', '')}"
        key = crypto.keyed_hash(f"{channel_id}:{reference}", "media")
        rows[key] = ContentItem(
            case_id=report.case_id,
            report=report,
            kind=ContentItem.Kind.MEDIA,
            url="",
            url_hash=key,
            media_type=media_type_of(str(item.get("mime", ""))),
            media_ref=json.dumps({"channel": channel_id, "item": item}),
            created_at=now,
        )
    if not rows:
        return 0
    with write_transaction():
        known = set(
            ContentItem.objects.filter(
                report=report, kind=ContentItem.Kind.MEDIA, url_hash__in=list(rows)
            ).values_list("url_hash", flat=True)
        )
        new = [row for key, row in rows.items() if key not in known]
        if not new:
            return 0
        ContentItem.objects.bulk_create(new, ignore_conflicts=True)
        audit.record(
            actor=audit.Actor("reporter", str(report.pk)),
            action="report.media",
            object_type="case",
            object_id=report.case_id,
            data={"report": report.pk, "media": len(new)},
        )
        report_id = report.pk
        transaction.on_commit(lambda: _enqueue(report_id))
    return len(new)


def _enqueue(report_id: int, attempt: int = 1) -> None:
    from tellsafe.intake.tasks import hash_chat_media

    hash_chat_media.enqueue(report_id, attempt=attempt)


# --- fetching, hashing, looking up -----------------------------------------------------


@dataclass
class MediaRun:
    """What one run of the task did."""

    hashed: int = 0
    failed: int = 0
    retry: int = 0  # left pending for the next try

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _pending(report_id: int) -> list[ContentItem]:
    return list(
        ContentItem.objects.filter(
            report_id=report_id,
            kind=ContentItem.Kind.MEDIA,
            match_summary__isnull=True,
            fetch_error="",
        ).order_by("pk")
    )


def hash_report_media(*, report_id: int, final: bool = False) -> MediaRun:
    """Fetch, hash, look up and record every pending media item of one report.

    A retryable failure leaves the item pending (``retry`` counts them) unless ``final``,
    when it is recorded like any other failure. Items done already are not touched, so a
    second run costs nothing and duplicates nothing."""
    run = MediaRun()
    pending = _pending(report_id)
    if not pending:
        return run
    configs: dict[int, ChannelConfig] = {}
    with outbound_http.client(timeout=FETCH_TIMEOUT) as http:
        for item in pending:
            try:
                hashes = _hashes_of(item, configs, http)
            except ProviderError as exc:
                if exc.retryable and not final:
                    run.retry += 1
                    log.warning(
                        "media fetch failed; will retry",
                        extra={"report_id": report_id, "code": exc.code},
                    )
                    continue
                run.failed += _record_failure(item, exc.code)
                continue
            except Exception as exc:  # a surprise is retried, then recorded: never a crash
                code = f"error_{type(exc).__name__}"[:32]
                if not final:
                    run.retry += 1
                    log.warning(
                        "media hashing failed; will retry",
                        extra={"report_id": report_id, "code": code},
                    )
                    continue
                run.failed += _record_failure(item, code)
                continue
            # The matcher is loaded (or refreshed) before the write lock is taken.
            run.hashed += _record(item, hashes, get_matcher())
    return run


def _hashes_of(item: ContentItem, configs: dict[int, ChannelConfig], http: Any) -> MediaHashes:
    try:
        ref = json.loads(item.media_ref or "{}")
    except ValueError:
        ref = {}
    entry = ref.get("item") if isinstance(ref, dict) else None
    if not isinstance(entry, dict):
        raise ProviderError("no_media_reference", retryable=False)
    if entry.get("error"):  # found wrong where it arrived (an email's attachment)
        raise ProviderError(str(entry["error"])[:32], retryable=False)
    if "hashes" in entry:  # hashed where it arrived
        try:
            return MediaHashes.from_dict(entry["hashes"])
        except (TypeError, ValueError) as exc:
            raise ProviderError("bad_hashes", retryable=False) from exc
    channel_id = ref.get("channel")
    if channel_id not in configs:
        config = ChannelConfig.objects.filter(pk=channel_id).first()
        if config is None:
            raise ProviderError("channel_gone", retryable=False)
        configs[config.pk] = config
    config = configs[channel_id]
    plugin = registry().get(config.plugin)
    if plugin is None:
        raise ProviderError("channel_gone", retryable=False)
    # The bytes exist only as this call's argument: hashed, then gone.
    return hash_in_memory(plugin.fetch_media(config, entry, http))


def summarise(queries: list[Query], answers: list[Answer]) -> dict[str, Any]:
    """The banks' answer as kept on the item: which bank, how near, which transform of
    the picture, and whether it may be acted on. No media, no bank hash values."""
    matches = [
        {
            "bank": m.bank,
            "bank_kind": m.bank_kind,
            "legal_scope": m.legal_scope,
            "hash_type": m.hash_type,
            "distance": m.distance,
            "variant": m.variant,
            "status": m.status,
            "quarantined": m.quarantined,
            "actionable": m.actionable,
            "bank_hash_id": m.bank_hash_id,
        }
        for answer in answers
        for m in answer.matches
    ]
    matches.sort(key=lambda m: (not m["actionable"], m["distance"], m["bank"], m["hash_type"]))
    return {
        "matches": matches,
        "actionable": any(m["actionable"] for m in matches),
        "suppressed": any(a.suppressed for a in answers),
    }


def _record(item: ContentItem, hashes: MediaHashes, matcher: Matcher) -> int:
    queries = [Query("md5", hashes.md5), Query("sha256", hashes.sha256)]
    if hashes.pdq:
        queries.insert(0, Query("pdq", hashes.pdq, hashes.pdq_quality, hashes.pdq_variants))
    with write_transaction():
        row = (
            ContentItem.objects.select_for_update()
            .filter(pk=item.pk, match_summary__isnull=True, fetch_error="")
            .first()
        )
        if row is None:
            return 0  # another run recorded it first
        # Looked up under the row's lock, so a hash is counted once towards the floods.
        summary = summarise(queries, lookup(queries, viewer=Viewer.staff(), matcher=matcher))
        row.md5, row.sha256 = hashes.md5, hashes.sha256
        row.pdq, row.pdq_quality = hashes.pdq, hashes.pdq_quality
        if hashes.pdq:
            row.media_type = "image"
        row.match_summary = summary
        row.media_ref = ""
        row.save(
            update_fields=[
                "md5",
                "sha256",
                "pdq",
                "pdq_quality",
                "media_type",
                "match_summary",
                "media_ref",
            ]
        )
        audit.record(
            actor=audit.Actor.system(),
            action="content.media_hashed",
            object_type="case",
            object_id=row.case_id,
            data={
                "item": row.pk,
                "media_type": row.media_type,
                "pdq": bool(hashes.pdq),
                "matches": len(summary["matches"]),
                "actionable": summary["actionable"],
            },
        )
        from tellsafe.routing.notices.reuploads import check_reupload

        check_reupload(row)  # the same picture, removed before after one of our notices
    log.info(
        "media hashed",
        extra={
            "case_id": row.case_id,
            "report_id": row.report_id,
            "count": len(summary["matches"]),
            "code": "actionable" if summary["actionable"] else "not_actionable",
        },
    )
    return 1


def _record_failure(item: ContentItem, code: str) -> int:
    code = code[:32]
    with write_transaction():
        row = (
            ContentItem.objects.select_for_update()
            .filter(pk=item.pk, match_summary__isnull=True, fetch_error="")
            .first()
        )
        if row is None:
            return 0  # another run recorded it first
        row.fetch_error, row.media_ref = code, ""
        row.save(update_fields=["fetch_error", "media_ref"])
        audit.record(
            actor=audit.Actor.system(),
            action="content.media_failed",
            object_type="case",
            object_id=row.case_id,
            data={"item": row.pk, "code": code},
        )
    log.warning(
        "media not hashed",
        extra={"case_id": row.case_id, "report_id": row.report_id, "code": code},
    )
    return 1


def sweep_pending(*, now: Any = None) -> int:
    """Give media whose task was lost (a crash between commit and queue) one last try.
    Returns how many reports were queued."""
    cutoff = (now or timezone.now()) - SWEEP_AFTER
    report_ids = list(
        ContentItem.objects.filter(
            kind=ContentItem.Kind.MEDIA,
            match_summary__isnull=True,
            fetch_error="",
            created_at__lt=cutoff,
        )
        .values_list("report_id", flat=True)
        .distinct()[:500]
    )
    for report_id in report_ids:
        _enqueue(report_id, attempt=ATTEMPTS)
    return len(report_ids)
