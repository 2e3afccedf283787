"""Hashing of media for known-content detection: hash types as plugins by stable name.

Only hashes are kept: media are hashed in memory when they arrive and never stored.

    from tellsafe.matching import hashing

    result = hashing.get("pdq").hash_bytes(data)        # PdqResult, or HashingError
    value = hashing.get("md5").normalise(" 0xABC… ")      # canonical, or ValueError

Built in: ``pdq`` (PDQ of still images), ``md5`` and ``sha256`` (of the bytes). A new
hash type is a ``HashType`` subclass in a module of its own, added to ``PLUGINS``. Video
(vPDQ: one PDQ per sampled frame) is meant to come that way, as a ``vpdq`` plugin with its
own result type and its own ``normalise``/``validate`` for a list of frame hashes.

The registry is built when this package is imported, and refuses two plugins with the
same name, so a clash stops the process at start-up rather than mixing up two hash
types in the banks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from django.core.exceptions import ImproperlyConfigured

from tellsafe.matching.hashing.base import HashingError, HashResult, HashType
from tellsafe.matching.hashing.md5 import Md5HashType
from tellsafe.matching.hashing.pdq import PdqHashType, PdqResult
from tellsafe.matching.hashing.sha256 import Sha256HashType

__all__ = [
    "PLUGINS",
    "HashResult",
    "HashType",
    "HashTypeRegistry",
    "HashingError",
    "PdqResult",
    "get",
    "names",
    "registry",
]

PLUGINS: tuple[type[HashType], ...] = (PdqHashType, Md5HashType, Sha256HashType)

_NAME = re.compile(r"[a-z][a-z0-9_]*")


class HashTypeRegistry:
    """Hash type plugins by name; names are checked to be well formed and unique."""

    def __init__(self, plugins: Iterable[type[HashType]]) -> None:
        self._by_name: dict[str, HashType] = {}
        for plugin in plugins:
            name = getattr(plugin, "name", None)
            if not isinstance(name, str) or not _NAME.fullmatch(name):
                raise ImproperlyConfigured(
                    f"Hash type {plugin.__qualname__} needs a name of lower-case letters, "
                    f"digits and underscores, not {name!r}."
                )
            if name in self._by_name:
                other = type(self._by_name[name]).__qualname__
                raise ImproperlyConfigured(
                    f"Two hash types are named {name!r}: {other} and {plugin.__qualname__}."
                )
            self._by_name[name] = plugin()

    def get(self, name: str) -> HashType:
        """The plugin called ``name``; ``ValueError`` (listing the known names) if none."""
        try:
            return self._by_name[name]
        except (KeyError, TypeError):
            raise ValueError(
                f"Unknown hash type {name!r}; known types: {', '.join(self.names())}."
            ) from None

    def names(self) -> tuple[str, ...]:
        """Registered names, sorted."""
        return tuple(sorted(self._by_name))

    def __iter__(self) -> Iterator[HashType]:
        return iter(self._by_name[name] for name in self.names())


registry = HashTypeRegistry(PLUGINS)
get = registry.get
names = registry.names
