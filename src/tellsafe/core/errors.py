"""One error type for the whole application. The API renders it as
``{"error": code, "message": text, "fields": {...}}`` and the forms show the same message
beside the same fields."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    def __init__(
        self,
        code: str,
        message: str,
        fields: dict[str, list[str]] | None = None,
        *,
        status: int = 422,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.message = str(message)
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}
        self.status = status

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "fields": self.fields}
