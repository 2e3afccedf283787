from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def public(request: HttpRequest) -> dict[str, Any]:
    return {"QUICK_EXIT_URL": "/x/", "QUICK_EXIT_TARGET": settings.QUICK_EXIT_URL}
