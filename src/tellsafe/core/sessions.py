"""A database session store whose contents are encrypted at rest.

Report drafts live in the session between the steps of the web journey, and a draft holds
a narrative, so the session row must be protected like the report itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore

from tellsafe.core import crypto

_CONTEXT = "django_session.session_data"


class SessionStore(DBStore):
    def encode(self, session_dict: dict[str, Any]) -> str:
        return crypto.encrypt(super().encode(session_dict), _CONTEXT)

    def decode(self, session_data: bytes | str) -> dict[str, Any]:
        if isinstance(session_data, bytes):
            session_data = session_data.decode("ascii", "replace")
        try:
            plain = crypto.decrypt(session_data, _CONTEXT)
        except crypto.DecryptionError:
            return {}  # an unreadable session is simply a new one
        return super().decode(plain)
