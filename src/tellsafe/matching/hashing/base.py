"""What every hash type plugin shares: the base class, the result and the error.

A hash type is known by a stable ``name`` (``pdq``, ``md5``, ``sha256``). That name is
stored beside every hash in the banks and sent to partners, so it never changes once
released.

Hash strings at the edge (API input, bank imports, the command line) go through
``normalise``, which is lenient about presentation; a hash already stored or produced by
our own code is checked with ``validate``, which is strict:

* ``normalise`` strips surrounding whitespace, an optional ``0x``/``0X`` prefix (some tools
  print one; the fixed length keeps it unambiguous) and lowers the case, then validates.
* ``validate`` accepts only the canonical form: exactly ``digits`` characters from
  ``0-9a-f``. Anything else raises ``ValueError`` with a message a partner can act on.

Nothing else is forgiven: inner spaces, colons or dashes mean the value was copied from
somewhere we do not understand, and guessing would risk matching the wrong hash.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import BinaryIO, ClassVar

from tellsafe.core.errors import ApplicationError

_HEX_DIGITS = frozenset("0123456789abcdef")


class HashingError(ApplicationError):
    """Media that cannot be hashed: not an image, truncated, damaged or too large.

    ``code`` is stable and machine-readable (``not_an_image``, ``truncated_image``,
    ``corrupt_image``, ``image_too_large``); ``message`` is for people and never contains
    the media itself.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


@dataclass(frozen=True, kw_only=True)
class HashResult:
    """One hash of one piece of media: the hash type's name and the canonical value."""

    hash_type: str
    value: str


class HashType(ABC):
    """Base class of the hash type plugins.

    A plugin sets ``name`` (stable, unique: the registry checks), ``label`` (for people)
    and ``digits`` (length of the canonical lower-case hex form), and implements
    ``hash_bytes`` and ``hash_file``. Plugins are stateless, so one instance serves every
    thread.

    A plugin whose hash is not one fixed-length hex string (vPDQ for video, a list of
    per-frame PDQ hashes, is the next one planned) overrides ``normalise`` and ``validate``
    as well.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    digits: ClassVar[int]

    def normalise(self, text: str) -> str:
        """Return the canonical form of a hash typed or pasted by someone.

        Raises ``ValueError`` if it cannot be one of this type.
        """
        if not isinstance(text, str):
            raise ValueError(f"{self.label} hashes must be text, not {type(text).__name__}.")
        value = text.strip()
        if value[:2] in ("0x", "0X"):
            value = value[2:]
        value = value.lower()
        self.validate(value)
        return value

    def validate(self, text: str) -> None:
        """Raise ``ValueError`` unless ``text`` is already in the canonical form."""
        if not isinstance(text, str):
            raise ValueError(f"{self.label} hashes must be text, not {type(text).__name__}.")
        expected = f"{self.label} hashes are {self.digits} hexadecimal digits"
        if not text:
            raise ValueError(f"{expected}; the value is empty.")
        if text != text.strip():
            raise ValueError(f"{expected}; the value has spaces around it.")
        if text[:2] in ("0x", "0X"):
            raise ValueError(f"{expected}, without a 0x prefix.")
        if len(text) != self.digits:
            raise ValueError(f"{expected}; this value has {len(text)} characters.")
        for position, char in enumerate(text, start=1):
            if char not in _HEX_DIGITS:
                if char.lower() in _HEX_DIGITS:
                    raise ValueError(f"{expected} in lower case; character {position} is {char!r}.")
                raise ValueError(f"{expected} (0-9, a-f); character {position} is {char!r}.")

    @abstractmethod
    def hash_bytes(self, data: bytes) -> HashResult:
        """Hash media held in memory."""

    @abstractmethod
    def hash_file(self, fp: BinaryIO) -> HashResult:
        """Hash media read from a binary file object, from its current position."""
