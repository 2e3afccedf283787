"""The known-content API: hash an image, look hashes up, download a bank's hash list.

Partners authenticate with an API key (``partners.auth``), staff with their desk session.
Images are hashed in memory and forgotten: uploads never touch the disk
(``FILE_UPLOAD_HANDLERS`` holds only the in-memory handler).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from tellsafe.accounts.roles import Perm
from tellsafe.core import audit
from tellsafe.core.errors import ApplicationError
from tellsafe.matching import hashing, selectors
from tellsafe.matching.hashing import HashingError, PdqResult
from tellsafe.matching.hashing.pdq import DIHEDRAL
from tellsafe.matching.lookup import Answer, Query, Viewer, lookup
from tellsafe.matching.models import Bank
from tellsafe.partners.auth import ApiKeyAuth, StaffAuth, actor_for
from tellsafe.partners.models import ApiKey

router = Router(tags=["known content"])

SCOPE_HASH, SCOPE_MATCH, SCOPE_BANKS = "hashes:compute", "match", "banks:read"


class ErrorOut(Schema):
    error: str
    message: str
    fields: dict[str, list[str]]


class PdqOut(Schema):
    value: str
    quality: int
    usable: bool
    variants: dict[str, str]


class MatchOut(Schema):
    bank: str
    legal_scope: str
    type: str
    hash: str
    distance: int
    variant: str
    actionable: bool
    quarantined: bool
    status: str


class AnswerOut(Schema):
    matches: list[MatchOut]
    suppressed: bool
    actionable: bool


class HashesOut(Schema):
    size: int
    md5: str
    sha256: str
    pdq: PdqOut | None
    pdq_error: ErrorOut | None = None
    match: AnswerOut | None = None


class HashIn(Schema):
    type: Literal["pdq", "md5", "sha256"]
    value: str
    quality: int | None = None
    variants: list[str] = []


class MatchIn(Schema):
    hashes: list[HashIn]
    threshold: int | None = None


class MatchResultsOut(Schema):
    threshold: int
    results: list[AnswerOut]


class BankEntryOut(Schema):
    type: str
    value: str
    quality: int | None = None
    reference: str = ""
    added_at: datetime | None = None
    removed_at: datetime | None = None


class BankPageOut(Schema):
    bank: str
    source: str
    legal_scope: str
    hashes: list[BankEntryOut]
    checkpoint: str
    more: bool


def _viewer(request: HttpRequest) -> Viewer:
    key = request.auth  # type: ignore[attr-defined]
    return Viewer.partner(key.partner) if isinstance(key, ApiKey) else Viewer.staff()


def _answer_out(answer: Answer, viewer: Viewer) -> dict[str, Any]:
    return {
        "matches": [
            {
                "bank": m.bank,
                "legal_scope": m.legal_scope,
                "type": m.hash_type,
                "hash": m.value,
                "distance": m.distance,
                "variant": m.variant,
                "actionable": m.actionable,
                "quarantined": m.quarantined,
                "status": m.status,
            }
            for m in answer.matches
        ],
        "suppressed": answer.suppressed,
        "actionable": answer.actionable,
    }


def _audit(request: HttpRequest, action: str, object_id: Any = "", **data: Any) -> None:
    from tellsafe.core.db import write_transaction

    with write_transaction():
        audit.record(
            actor=actor_for(request),
            action=action,
            object_type="bank" if object_id else "matching",
            object_id=object_id,
            data=data,
        )


def _may_match(request: HttpRequest) -> bool:
    key = request.auth  # type: ignore[attr-defined]
    return not isinstance(key, ApiKey) or key.has_scope(SCOPE_MATCH)


@router.post(
    "/hashes",
    auth=[ApiKeyAuth(SCOPE_HASH), StaffAuth(Perm.BANK_VIEW)],
    response={
        200: HashesOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        429: ErrorOut,
    },
    summary="Hash an image",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "match": {"type": "boolean", "default": False},
                        },
                    }
                }
            },
        }
    },
)
def compute_hashes(request: HttpRequest):
    """PDQ (with quality and the 8 dihedral variants), MD5 and SHA-256 of one uploaded
    file (multipart field ``file``). The file is hashed in memory and not kept. A file
    that is not an image still gets MD5 and SHA-256, with ``pdq_error``. With
    ``match=true`` the hashes are also looked up (needs the ``match`` scope), every
    rotation and mirror image included."""
    upload = request.FILES.get("file")
    if upload is None:
        raise ApplicationError(
            "file_required",
            "Send the image as the multipart field 'file'.",
            {"file": ["Required."]},
            status=400,
        )
    data = upload.read()
    upload.close()
    want_match = request.POST.get("match", "").lower() in ("1", "true", "yes")
    if want_match and not _may_match(request):
        raise ApplicationError("forbidden", "This key lacks the 'match' scope.", status=403)
    out: dict[str, Any] = {
        "size": len(data),
        "md5": hashing.get("md5").hash_bytes(data).value,
        "sha256": hashing.get("sha256").hash_bytes(data).value,
        "pdq": None,
    }
    pdq: PdqResult | None = None
    try:
        pdq = hashing.get("pdq").hash_bytes(data)  # type: ignore[assignment]
    except HashingError as exc:
        out["pdq_error"] = exc.as_dict()
    del data
    if pdq is not None:
        out["pdq"] = {
            "value": pdq.value,
            "quality": pdq.quality,
            "usable": pdq.usable,
            "variants": pdq.variants(),
        }
    queries = [Query("md5", out["md5"]), Query("sha256", out["sha256"])]
    if pdq is not None:
        queries.append(Query("pdq", pdq.value, pdq.quality, tuple(pdq.dihedral[1:])))
    if want_match:
        viewer = _viewer(request)
        answers = lookup(queries, viewer=viewer)
        merged = Answer(
            matches=[m for a in answers for m in a.matches],
            suppressed=any(a.suppressed for a in answers),
        )
        out["match"] = _answer_out(merged, viewer)
    _audit(request, "matching.hash", size=out["size"], matched=bool(out.get("match")))
    return 200, out


def _queries(body: Any) -> tuple[list[Query], int | None]:
    if not isinstance(body, dict):
        raise ApplicationError("invalid_json", "The body must be a JSON object.", status=400)
    items = body.get("hashes")
    if not isinstance(items, list) or not items:
        raise ApplicationError(
            "invalid_request", "Send a list of hashes.", {"hashes": ["Send 1 or more."]}
        )
    if len(items) > settings.MATCH_BATCH_MAX:
        raise ApplicationError(
            "too_many_hashes",
            f"Send at most {settings.MATCH_BATCH_MAX} hashes per request.",
            {"hashes": [f"At most {settings.MATCH_BATCH_MAX}."]},
        )
    threshold = body.get("threshold")
    problems: dict[str, list[str]] = {}
    if threshold is not None and (
        isinstance(threshold, bool)
        or not isinstance(threshold, int)
        or not 0 <= threshold <= settings.MATCH_MAX_THRESHOLD
    ):
        problems["threshold"] = [f"A whole number from 0 to {settings.MATCH_MAX_THRESHOLD}."]
    queries = []
    for n, item in enumerate(items):
        try:
            queries.append(_query(item))
        except ApplicationError as exc:
            for name, msgs in exc.fields.items():
                problems.setdefault(f"hashes.{n}.{name}", []).extend(msgs)
    if problems:
        raise ApplicationError("invalid_request", "Some hashes are not valid.", problems)
    return queries, threshold


def _query(item: Any) -> Query:
    if not isinstance(item, dict):
        raise ApplicationError("invalid", "", {"": ["An object with type and value."]})
    hash_type, value = item.get("type"), item.get("value")
    if hash_type not in ("pdq", "md5", "sha256"):
        raise ApplicationError("invalid", "", {"type": ["One of pdq, md5, sha256."]})
    plugin = hashing.get(hash_type)
    try:
        value = plugin.normalise(value if isinstance(value, str) else "")
    except ValueError as exc:
        raise ApplicationError("invalid", "", {"value": [str(exc)]}) from None
    quality = item.get("quality")
    if quality is not None and (
        hash_type != "pdq"
        or isinstance(quality, bool)
        or not isinstance(quality, int)
        or not 0 <= quality <= 100
    ):
        raise ApplicationError("invalid", "", {"quality": ["0 to 100, and only for PDQ."]})
    variants = item.get("variants") or []
    if not isinstance(variants, list) or (variants and hash_type != "pdq") or len(variants) > 7:
        raise ApplicationError(
            "invalid", "", {"variants": ["Up to 7 PDQ hashes, in the order of the docs."]}
        )
    try:
        cleaned = tuple(plugin.normalise(v if isinstance(v, str) else "") for v in variants)
    except ValueError as exc:
        raise ApplicationError("invalid", "", {"variants": [str(exc)]}) from None
    return Query(hash_type, value, quality, cleaned)


@router.post(
    "/match",
    auth=[ApiKeyAuth(SCOPE_MATCH), StaffAuth(Perm.BANK_VIEW)],
    response={
        200: MatchResultsOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Look hashes up",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": MatchIn.model_json_schema()}},
        }
    },
)
def match(request: HttpRequest):
    """Look up one hash or many (up to ``MATCH_BATCH_MAX``) against every bank you may
    see. PDQ matches within ``threshold`` bits (31 by default); MD5 and SHA-256 match
    exactly. Give a PDQ hash's ``variants`` (the 7 other dihedral hashes, in the order
    ``%s``, as ``POST /hashes`` returns them) to find rotated and mirrored copies.
    Results come in the order of the query; ``actionable`` is false for low-quality
    hashes, hashes waiting for review, quarantined (flooding) hashes, and when a
    negative bank (known harmless) matched (``suppressed``)."""
    raw = request.read(settings.BODY_LIMITS_BY_PATH["/api/v1/match"] + 1)
    try:
        body = json.loads(raw or b"")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApplicationError("invalid_json", "The body is not valid JSON.", status=400) from None
    queries, threshold = _queries(body)
    viewer = _viewer(request)
    answers = lookup(queries, viewer=viewer, threshold=threshold)
    from tellsafe.matching.lookup import configured_threshold

    _audit(
        request,
        "matching.match",
        queries=len(queries),
        matched=sum(1 for a in answers if a.matches),
    )
    return 200, {
        "threshold": configured_threshold(threshold),
        "results": [_answer_out(a, viewer) for a in answers],
    }


match.__doc__ = (match.__doc__ or "") % ", ".join(DIHEDRAL[1:])


def _checkpoint(bank: Bank, token: str | None) -> int:
    if not token:
        return 0
    try:
        data = signing.loads(token, salt="bank-checkpoint")
        if data["b"] != bank.pk:
            raise ValueError("another bank")
        return int(data["c"])
    except (signing.BadSignature, ValueError, KeyError, TypeError):
        raise ApplicationError(
            "invalid_checkpoint",
            "This checkpoint is not one we gave for this bank. Start again without 'since'.",
            {"since": ["Not a checkpoint of this bank."]},
            status=400,
        ) from None


@router.get(
    "/banks/{name}/hashes",
    auth=[ApiKeyAuth(SCOPE_BANKS), StaffAuth(Perm.BANK_VIEW)],
    response={
        200: BankPageOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        429: ErrorOut,
    },
    summary="Download a bank's hashes",
)
def bank_hashes(
    request: HttpRequest,
    response: HttpResponse,
    name: str,
    since: str | None = None,
    limit: int | None = None,
    format: Literal["json", "csv"] = "json",
):
    """The hashes of a bank shared with you, as changes since your last ``checkpoint``:
    start without ``since`` for the whole list, then pass the ``checkpoint`` of the last
    page as ``since``. An entry with ``removed_at`` was withdrawn: stop using it. Repeat
    while ``more`` is true. ``format=csv`` gives the same page as CSV
    (``hash,type,quality,reference,added_at,removed_at``), with the checkpoint in the
    ``X-Checkpoint`` header and ``X-More``."""
    viewer = _viewer(request)
    bank = selectors.bank_for_download(name=name, viewer=viewer)
    if bank is None:
        raise ApplicationError("not_found", "No bank of this name is shared with you.", status=404)
    page = min(max(int(limit or settings.BANK_DOWNLOAD_PAGE), 1), settings.BANK_DOWNLOAD_PAGE)
    entries, last, more = selectors.bank_changes(
        bank=bank, after=_checkpoint(bank, since), limit=page
    )
    token = signing.dumps({"b": bank.pk, "c": last}, salt="bank-checkpoint")
    _audit(request, "bank.download", bank.pk, entries=len(entries), more=more)
    if format == "csv":
        from tellsafe.matching.formats import write as write_format

        out = HttpResponse(content_type="text/csv; charset=utf-8")
        write_format("csv", entries, out)
        out["X-Checkpoint"], out["X-More"] = token, "true" if more else "false"
        return out
    return 200, {
        "bank": bank.name,
        "source": bank.source,
        "legal_scope": bank.legal_scope,
        "hashes": [
            {
                "type": e.hash_type,
                "value": e.value,
                "quality": e.quality,
                "reference": e.reference,
                "added_at": e.added_at,
                "removed_at": e.removed_at,
            }
            for e in entries
        ],
        "checkpoint": token,
        "more": more,
    }
