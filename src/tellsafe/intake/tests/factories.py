from __future__ import annotations

from typing import Any

from tellsafe.intake import services
from tellsafe.intake.validation import validate_report


def report_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "reporter": "child",
        "age_band": "13_15",
        "language": "en",
        "categories": ["sextortion"],
        "details": "He says he will send my photos to everyone at school.",
        "urls": ["https://social.example/u/someone"],
        "safe_now": True,
        "contact": {"kind": "none"},
    }
    data.update(overrides)
    return data


def make_report(channel: str = "web", **overrides: Any) -> services.ReportCreated:
    return services.report_create(data=validate_report(report_data(**overrides)), channel=channel)
