"""In-memory indexes of known-content hashes: exact PDQ matching and exact digests.

A pure library (numpy + numba, no Django): the bank layer feeds it ``(id, hash)`` pairs
and asks it questions. See ``mih.py`` for the design and its trade-offs.
"""

from tellsafe.matching.index.exact import ExactIndex
from tellsafe.matching.index.mih import (
    DEFAULT_THRESHOLD,
    MAX_THRESHOLD,
    Match,
    PdqIndex,
    as_words,
    to_hex,
    warm_up,
)
from tellsafe.matching.index.snapshot import SnapshotError

__all__ = [
    "DEFAULT_THRESHOLD",
    "MAX_THRESHOLD",
    "ExactIndex",
    "Match",
    "PdqIndex",
    "SnapshotError",
    "as_words",
    "to_hex",
    "warm_up",
]
