"""Settings come from the environment only.

Every secret ``NAME`` may instead be given as ``NAME_FILE``: the path of a file whose
contents (stripped of surrounding whitespace) are the value. This keeps secrets out of
process listings and lets container secrets and the local key files of ``make run`` work
the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def get(name: str, default: str | None = None) -> str | None:
    """Return ``name`` from the environment, or from the file named by ``name_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE cannot be read: {exc.strerror}") from exc
    return os.environ.get(name, default)


def required(name: str) -> str:
    value = get(name)
    if not value:
        raise ImproperlyConfigured(f"Set {name} (or {name}_FILE) in the environment.")
    return value


def boolean(name: str, default: bool = False) -> bool:
    value = get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def integer(name: str, default: int) -> int:
    value = get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def csv(name: str, default: str = "") -> list[str]:
    value = get(name, default) or ""
    return [item.strip() for item in value.split(",") if item.strip()]
