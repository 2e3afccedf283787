"""References and passphrases a child can read aloud, write down or screenshot.

The alphabet leaves out characters that look or sound alike (0/O/Q, 1/I/L, 2/Z, 5/S,
8/B, U/V), so a code copied by hand still works. Input is forgiving: case, spaces and
dashes do not matter.

Passphrases are 12 random characters (about 54 bits). They are stored as argon2id hashes
with light parameters: the secret is random, not chosen by a person, so the hash does not
need to slow down guessing of weak passwords, and intake stays fast (ADR 0004).
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ALPHABET = "34679ACDEFGHJKMNPRTWXY"
REFERENCE_LENGTH = 8
PASSPHRASE_LENGTH = 12

_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
# Verified against when a reference does not exist, so both answers take as long.
_DUMMY_HASH = _hasher.hash("not-a-real-passphrase")


def _random(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def _grouped(raw: str) -> str:
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def new_reference() -> str:
    return _grouped(_random(REFERENCE_LENGTH))


def new_passphrase() -> str:
    return _grouped(_random(PASSPHRASE_LENGTH))


def normalise(code: str) -> str:
    """Upper-case, keep only letters and digits, and regroup: ' k7m4 x9tw' -> 'K7M4-X9TW'."""
    raw = "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())
    return _grouped(raw)


def looks_valid(code: str, length: int) -> bool:
    raw = code.replace("-", "")
    return len(raw) == length and all(ch in ALPHABET for ch in raw)


def hash_passphrase(passphrase: str) -> str:
    return _hasher.hash(normalise(passphrase))


def check_passphrase(passphrase: str, stored_hash: str | None) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, normalise(passphrase)) and bool(
            stored_hash
        )
    except (VerificationError, InvalidHashError):
        return False
