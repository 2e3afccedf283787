"""The JSON API at /api/v1/. Every error has one shape:
``{"error": code, "message": text, "fields": {...}}``."""

from __future__ import annotations

import logging

from csp.decorators import csp_update
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tellsafe.core.errors import ApplicationError
from tellsafe.core.middleware import too_large
from tellsafe.intake.api import router as reports_router
from tellsafe.matching.api import router as matching_router
from tellsafe.routing.notices.api import router as notices_router
from tellsafe.taxonomy.api import router as taxonomy_router

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="tellsafe API",
    version="1",
    description=(
        "Report online harm to children, and follow a report. Partners build on these "
        "names; they stay stable within v1. Errors are always "
        '{"error": code, "message": text, "fields": {...}}.'
    ),
    urls_namespace="api",
    docs_decorator=csp_update({"style-src": ["'self'", "'unsafe-inline'"]}),
)
api.add_router("/taxonomy", taxonomy_router)
api.add_router("/reports", reports_router)
api.add_router("", matching_router)
api.add_router("/notices", notices_router)


def _error(
    request: HttpRequest, status: int, code: str, message: str, fields: dict | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": code, "message": message, "fields": fields or {}}, status=status
    )


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    if exc.status == 429:
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is None:
            retry_after = settings.STATUS_LOCK_SECONDS if exc.code == "locked" else 3600
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for item in exc.errors:
        loc = [
            str(part)
            for part in item.get("loc", ())
            if part not in ("body", "query", "path", "header")
        ]
        fields.setdefault(".".join(loc) or "request", []).append(str(item.get("msg", "")))
    return _error(request, 422, "invalid_request", "The request is not valid.", fields)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorised", "Authentication is required.")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(RequestDataTooBig)
def request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return too_large(request)


@api.exception_handler(Exception)
def unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unexpected API error", extra={"code": type(exc).__name__})
    return _error(
        request,
        500,
        "internal_error",
        "Something went wrong on our side. Nothing was saved; please retry.",
    )
