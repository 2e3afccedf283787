"""The text of a partner API key: ``tsk_<prefix>_<secret>``.

- ``tsk_`` says what the string is, so secret scanners and people recognise a leaked key.
- ``prefix``: 8 characters of lower-case base32 (a-z, 2-7), 40 random bits. It is public:
  it finds the key's row and names the key in lists, logs and the audit log.
- ``secret``: 32 random bytes in base64url without padding (43 characters). Only its
  SHA-256 is stored.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import NamedTuple

MARKER = "tsk"
PREFIX_LENGTH = 8
SECRET_BYTES = 32
SECRET_LENGTH = 43  # base64url of 32 bytes, without padding

_KEY = re.compile(r"tsk_([a-z2-7]{8})_([A-Za-z0-9_-]{43})", re.ASCII)
_PREFIX = re.compile(r"(?:tsk_)?([a-z2-7]{8})", re.ASCII)

# What a well-formed key looks like, for error messages and the docs.
SHAPE = "tsk_<8 characters>_<43 characters>"


class ParsedKey(NamedTuple):
    prefix: str
    secret: str


def new_prefix() -> str:
    return base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def assemble(prefix: str, secret: str) -> str:
    return f"{MARKER}_{prefix}_{secret}"


def parse(text: str) -> ParsedKey | None:
    """The prefix and secret of a well-formed key, or None. Nothing else is accepted: no
    surrounding spaces, no trailing newline."""
    match = _KEY.fullmatch(text)
    return ParsedKey(match.group(1), match.group(2)) if match else None


def parse_prefix(text: str) -> str | None:
    """A prefix as an operator may type it: ``abcd2345`` or ``tsk_abcd2345``."""
    match = _PREFIX.fullmatch(text.strip().lower())
    return match.group(1) if match else None


def secret_hash(secret: str) -> str:
    """SHA-256 (hex) of the secret part; see ApiKey.secret_hash for why this hash."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()
