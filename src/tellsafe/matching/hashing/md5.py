"""The ``md5`` hash type: MD5 of the file bytes (32 hex digits)."""

from __future__ import annotations

from tellsafe.matching.hashing.exact import ExactHashType


class Md5HashType(ExactHashType):
    """MD5 of the file bytes, as exchanged by NCMEC, IWF and StopNCII (video)."""

    name = "md5"
    label = "MD5"
    digits = 32
    algorithm = "md5"
