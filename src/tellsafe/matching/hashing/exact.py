"""Exact hashes of the file bytes (MD5, SHA-256): the shared base of their plugins.

An exact hash matches only a byte-identical copy. Hotlines still exchange them (IWF and
NCMEC lists carry MD5 and SHA-256; StopNCII matches video by MD5), and they work for any
file, not only images. They are computed over the bytes as received, before any decoding.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO, ClassVar

from tellsafe.matching.hashing.base import HashResult, HashType

_CHUNK = 1024 * 1024


class ExactHashType(HashType):
    """A digest of the raw bytes. Subclasses set ``name``, ``label``, ``digits`` and
    ``algorithm`` (a :mod:`hashlib` name)."""

    algorithm: ClassVar[str]

    def _new(self) -> hashlib._Hash:
        # usedforsecurity=False: MD5 here identifies files, it protects nothing; without
        # the flag a FIPS-mode OpenSSL refuses MD5 outright.
        return hashlib.new(self.algorithm, usedforsecurity=False)

    def hash_bytes(self, data: bytes) -> HashResult:
        """Digest of ``data``."""
        digest = self._new()
        digest.update(data)
        return HashResult(hash_type=self.name, value=digest.hexdigest())

    def hash_file(self, fp: BinaryIO) -> HashResult:
        """Digest of the rest of ``fp``, read in chunks so that memory stays small."""
        # Not hashlib.file_digest: given a BytesIO it digests the whole buffer, whatever
        # the current position.
        digest = self._new()
        while chunk := fp.read(_CHUNK):
            digest.update(chunk)
        return HashResult(hash_type=self.name, value=digest.hexdigest())
