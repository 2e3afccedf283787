"""Field encryption (AES-256-GCM) and keyed hashes (HMAC-SHA-256).

Keys live outside the database, in ``TELLSAFE_FIELD_KEYS`` (or ``_FILE``), written as
``kid:base64key[,kid:base64key...]``. The first key encrypts; every listed key decrypts,
so keys can be rotated without downtime: add a new key in front, re-encrypt, then drop
the old one.

Ciphertext layout (text, so that it fits every database the same way)::

    "v1." + kid + "." + base64url(nonce(12) || ciphertext || tag(16))

The field's table and column name are bound in as associated data, so a ciphertext
copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1."


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@dataclass(frozen=True)
class Keyring:
    primary: str
    keys: dict[str, AESGCM]
    hmac_key: bytes

    def encrypt(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self.keys[self.primary].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{self.primary}.{body}"

    def decrypt(self, token: str, context: str) -> str:
        try:
            version, kid, body = token.split(".", 2)
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
        except (ValueError, binascii.Error) as exc:
            raise DecryptionError("malformed ciphertext") from exc
        if f"{version}." != PREFIX or kid not in self.keys:
            raise DecryptionError("unknown key id or version")
        try:
            plain = self.keys[kid].decrypt(raw[:12], raw[12:], context.encode("utf-8"))
        except InvalidTag as exc:
            raise DecryptionError("authentication failed") from exc
        return plain.decode("utf-8")

    def key_id_of(self, token: str) -> str:
        return token.split(".", 2)[1]


def _decode_key(name: str, text: str, *, length: int | None) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{name}: a key is not valid base64.") from exc
    if length is not None and len(key) != length:
        raise ImproperlyConfigured(f"{name}: each key must be {length} bytes (AES-256).")
    if length is None and len(key) < 32:
        raise ImproperlyConfigured(f"{name}: the key must be at least 32 bytes.")
    return key


def parse_keyring(field_keys: str, hmac_key: str) -> Keyring:
    keys: dict[str, AESGCM] = {}
    order: list[str] = []
    for item in field_keys.split(","):
        kid, sep, text = item.strip().partition(":")
        if not sep or not kid or not kid.isalnum():
            raise ImproperlyConfigured(
                "TELLSAFE_FIELD_KEYS must look like 'kid:base64key,...' with alphanumeric ids."
            )
        if kid in keys:
            raise ImproperlyConfigured(f"TELLSAFE_FIELD_KEYS lists key id {kid!r} twice.")
        keys[kid] = AESGCM(_decode_key("TELLSAFE_FIELD_KEYS", text, length=32))
        order.append(kid)
    return Keyring(
        primary=order[0],
        keys=keys,
        hmac_key=_decode_key("TELLSAFE_HMAC_KEY", hmac_key, length=None),
    )


@functools.cache
def keyring() -> Keyring:
    return parse_keyring(settings.FIELD_KEYS, settings.HMAC_KEY)


def reset_keyring() -> None:
    """Forget the cached keyring (after the key settings change)."""
    keyring.cache_clear()


def encrypt(plaintext: str, context: str) -> str:
    return keyring().encrypt(plaintext, context)


def decrypt(token: str, context: str) -> str:
    return keyring().decrypt(token, context)


def keyed_hash(value: str, purpose: str) -> str:
    """HMAC-SHA-256 of a normalised identifier, so equal values can be found without
    decrypting them. ``purpose`` separates the uses of one key."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(keyring().hmac_key, message, hashlib.sha256).hexdigest()


def new_key() -> str:
    """A fresh random 256-bit key, base64-encoded, for the key files."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")
