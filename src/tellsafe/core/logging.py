"""Structured logs that carry ids and codes only.

Narratives, contact details, passphrases and request paths must never reach a log line.
``ScrubFilter`` enforces that for records we do not write ourselves (Django's request
logger puts the path in the message and the request object on the record), and the
formatter writes exceptions as their type and stack frames without the message, because
an exception message may quote a value.
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from typing import Any

# Attributes that a LogRecord always has; anything else was passed with extra={...}.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Extra keys allowed to reach the output. Anything else is dropped: a safe default.
ALLOWED_EXTRA = {
    "event",
    "status",
    "status_code",
    "method",
    "route",
    "duration_ms",
    "report_id",
    "case_id",
    "task",
    "task_id",
    "code",
    "channel",
    "count",
    "reason_code",
    "worker",
    "audit_seq",
    "category_codes",
    "urgency",
    "attempt",
    "bank",
    "bank_hash",
    "added",
    "restored",
    "removed",
    "source",
    "pdq",
    "md5",
    "sha256",
    "seconds",
    "partner_id",
    "key_prefix",
    "request_id",
    "notice_id",
}
_SCRUBBED_LOGGERS = (
    "django.request",
    "django.server",
    "django.security",
    "gunicorn",
    "httpx",
    "httpcore",
)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if (record.name or "").startswith(_SCRUBBED_LOGGERS):
            status = getattr(record, "status_code", None)
            record.msg = f"{record.name.split('.')[-1]} event"
            record.args = ()
            record.status_code = status
        for key in list(vars(record)):
            if key not in _STANDARD and key not in ALLOWED_EXTRA:
                delattr(record, key)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in ALLOWED_EXTRA and value is not None:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            entry["exception"] = exc_type.__name__
            entry["stack"] = [
                f"{frame.filename}:{frame.lineno} {frame.name}"
                for frame in traceback.extract_tb(tb)
            ]
        return json.dumps(entry, default=str, ensure_ascii=False)
