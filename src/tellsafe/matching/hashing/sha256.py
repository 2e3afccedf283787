"""The ``sha256`` hash type: SHA-256 of the file bytes (64 hex digits)."""

from __future__ import annotations

from tellsafe.matching.hashing.exact import ExactHashType


class Sha256HashType(ExactHashType):
    """SHA-256 of the file bytes, as exchanged by IWF and others."""

    name = "sha256"
    label = "SHA-256"
    digits = 64
    algorithm = "sha256"
