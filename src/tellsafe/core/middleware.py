from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

log = logging.getLogger("tellsafe.request")

Handler = Callable[[HttpRequest], HttpResponse]


def _is_machine_path(path: str) -> bool:
    return path.startswith(("/api/", "/hooks/", "/healthz", "/readyz"))


def too_large(request: HttpRequest) -> HttpResponse:
    limit_kb = settings.MAX_BODY_BYTES // 1024
    message = _("What you sent is too big. Please keep it under %(kb)s KB.") % {"kb": limit_kb}
    if _is_machine_path(request.path):
        return JsonResponse(
            {"error": "payload_too_large", "message": message, "fields": {}}, status=413
        )
    return render(request, "public/error.html", {"message": message}, status=413)


class RequestLogMiddleware:
    """One log line per request: method, route pattern, status and duration. Never the
    path itself, which may carry a reference."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        log.info(
            "request",
            extra={
                "method": request.method,
                "route": match.route if match else "unmatched",
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response


def body_limit(path: str) -> int:
    """The largest body accepted at ``path``: its own limit, its prefix's, or the default."""
    if path in settings.BODY_LIMITS_BY_PATH:
        return int(settings.BODY_LIMITS_BY_PATH[path])
    for prefix, limit in settings.BODY_LIMITS_BY_PREFIX.items():
        if path.startswith(prefix):
            return int(limit)
    return int(settings.MAX_BODY_BYTES)


class BodySizeLimitMiddleware:
    """Refuses bodies over MAX_BODY_BYTES with 413 before anything reads them. A few
    endpoints take more (an image to hash, a batch of hashes): BODY_LIMITS_BY_PATH."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > body_limit(request.path):
            return too_large(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        return None


class NoStoreMiddleware:
    """Pages about a child's report must not stay in a shared device's cache."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(settings.STATIC_URL):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


class ApiErrorShapeMiddleware:
    """Answers from outside the API's own handlers (an unknown /api/ path, a method the
    endpoint does not take) get the API's one error shape instead of an HTML page."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = (
                ("not_found", "There is no such endpoint.")
                if response.status_code == 404
                else ("method_not_allowed", "This endpoint does not take that method.")
            )
            shaped = JsonResponse(
                {"error": code, "message": message, "fields": {}}, status=response.status_code
            )
            if "Allow" in response:
                shaped["Allow"] = response["Allow"]
            return shaped
        return response
