"""Model fields whose values are encrypted at rest (see core.crypto)."""

from __future__ import annotations

from typing import Any

from django.db import models

from tellsafe.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored as AES-256-GCM ciphertext. It can be read and written like a normal
    text field but never filtered or ordered on. The empty string is stored as is."""

    _context: str | None = None

    @property
    def context(self) -> str:
        # Bound to table and column, so a value moved to another column fails to decrypt.
        if self._context is None:
            self._context = f"{self.model._meta.db_table}.{self.column}"
        return self._context

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value), self.context)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return crypto.decrypt(value, self.context)

    def get_lookup(self, lookup_name: str) -> Any:
        # Each encryption uses a fresh nonce, so equality can never match: only "is it
        # empty" questions make sense.
        if lookup_name != "isnull":
            raise TypeError("Encrypted fields cannot be searched; use a keyed hash column.")
        return super().get_lookup(lookup_name)
