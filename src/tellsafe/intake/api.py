"""The report API: partners' apps and other channels report, and follow a report."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from ninja import Header, Router, Schema

from tellsafe.core import ratelimit
from tellsafe.core.errors import ApplicationError
from tellsafe.intake import selectors, services
from tellsafe.intake.models import Channel
from tellsafe.intake.validation import supported_language, validate_report

router = Router(tags=["reports"])


class ContactIn(Schema):
    kind: Literal["none", "whatsapp", "sms", "email"] = "none"
    value: str = ""


class ReportIn(Schema):
    reporter: Literal["child", "caregiver", "professional"]
    age_band: Literal["under_9", "9_12", "13_15", "16_17", "adult"]
    language: str = "en"
    categories: list[str]
    details: str = ""
    urls: list[str] = []
    safe_now: bool | None = None
    contact: ContactIn = ContactIn()


class ReportCreatedOut(Schema):
    reference: str
    passphrase: str
    status_url: str


class ErrorOut(Schema):
    error: str
    message: str
    fields: dict[str, list[str]]


class MessageOut(Schema):
    at: datetime
    text: str


class StatusOut(Schema):
    reference: str
    status: Literal["received", "reading", "asked_removal", "removed", "referred", "finished"]
    status_text: str
    updated_at: datetime
    messages: list[MessageOut]
    feedback_open: bool


def _parse_body(request: HttpRequest) -> dict:
    try:
        body = json.loads(request.body or b"")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApplicationError(
            "invalid_json", _("The body is not valid JSON."), status=400
        ) from exc
    if not isinstance(body, dict):
        raise ApplicationError("invalid_json", _("The body must be a JSON object."), status=400)
    return body


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 200 or not value.isprintable() or not value.isascii():
        raise ApplicationError(
            "invalid_idempotency_key",
            "Idempotency-Key must be 1 to 200 printable ASCII characters.",
            {"Idempotency-Key": ["1 to 200 printable ASCII characters."]},
            status=400,
        )
    return f"api:{value}"


@router.post(
    "",
    response={
        201: ReportCreatedOut,
        400: ErrorOut,
        409: ErrorOut,
        413: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    summary="Make a report",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ReportIn.model_json_schema()}},
        },
        "parameters": [
            {
                "in": "header",
                "name": "Idempotency-Key",
                "required": False,
                "schema": {"type": "string", "maxLength": 200},
                "description": "A retry with the same key returns the same report.",
            }
        ],
    },
)
def create_report(request: HttpRequest, response: HttpResponse):
    """Make a report with the same fields as the web journey. Answers 201 with the
    reference and the secret passphrase, which is shown only here: give it to the
    reporter. Send an ``Idempotency-Key`` header to retry safely. Messages in errors are in
    the report's ``language`` (or the default language if it is unknown)."""
    body = _parse_body(request)
    key = _idempotency_key(request.headers.get("Idempotency-Key"))
    with override(supported_language(body.get("language"))):
        data = validate_report(body)
        if not ratelimit.allow(
            "report", ratelimit.client_address(request), settings.REPORTS_PER_HOUR_PER_ADDRESS, 3600
        ):
            raise ApplicationError(
                "rate_limited",
                _("Too many reports from this address. Please try again later."),
                status=429,
            )
    result = services.report_create(data=data, channel=Channel.API, idempotency_key=key)
    if not result.created:
        response["Idempotent-Replayed"] = "true"
    path = reverse("api:report_status", kwargs={"reference": result.report.reference})
    return 201, {
        "reference": result.report.reference,
        "passphrase": result.passphrase,
        "status_url": f"{settings.PUBLIC_URL}{path}",
    }


@router.get(
    "/{reference}/status",
    response={200: StatusOut, 404: ErrorOut, 429: ErrorOut},
    url_name="report_status",
    summary="Follow a report",
)
def report_status(
    request: HttpRequest,
    reference: str,
    x_passphrase: str = Header("", alias="X-Passphrase"),
    language: str | None = None,
):
    """The status of a report in the reporter's words, with the messages staff sent.
    The passphrase goes in the ``X-Passphrase`` header, never in the URL. An unknown
    reference and a wrong passphrase get the same 404; repeated failures lock the
    reference for a while (429). ``language`` overrides the report's language."""
    report = selectors.report_by_codes(
        reference=reference, passphrase=x_passphrase, address=ratelimit.client_address(request)
    )
    lang = supported_language(language) if language else report.language
    view = selectors.status_for_reporter(report=report, language=lang)
    return 200, {
        "reference": view.reference,
        "status": view.status,
        "status_text": view.status_text,
        "updated_at": view.updated_at,
        "messages": [{"at": m.at, "text": m.text} for m in view.messages],
        "feedback_open": view.feedback_open,
    }
