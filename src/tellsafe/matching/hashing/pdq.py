"""The ``pdq`` hash type: Meta's PDQ perceptual hash of a still image.

We compute PDQ in numpy (``pdq_numpy.py``), on the whole decoded picture. In full mode the
result is bit for bit what Meta's reference C++ gives for the same RGB array, as packaged
by ``pdqhash.compute_dihedral``: the same hash, the same quality, the same eight variants.
python-threatexchange and HMA publish the same values for the same file (for the modes they
decode correctly). ``pdqhash`` is only the tests' and the bench's reference. It is never
imported here, because it has no wheels and building it needs a C++ compiler. How the bytes
become that array (formats, orientation, colour modes, size limits, fast mode) is in
``decode.py``.

Serialisation (reference/hashing.md §1 step 9): the 256 bits form one big-endian integer,
bit ``k`` of the C++ ``Hash256`` being ``2**k``, written as 64 lower-case hex digits. That
is the form every exchange uses (ThreatExchange, NCMEC, StopNCII).

Quality (0–100) measures how much structure the picture has. Below ``QUALITY_THRESHOLD``
(50, Meta's recommendation) the hash is still returned but ``usable`` is false: flat or
nearly flat pictures collide with each other, so such a hash must never trigger automatic
action on its own.

Every result carries the eight dihedral variants: the hashes of the picture rotated by 0,
90, 180 and 270 degrees, and mirrored. They are derived from the same DCT at no extra
cost, as the reference derives them. Store or query all eight, so that a rotated or
mirrored copy still matches. Meta advises against reducing them to one "canonical" hash.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from tellsafe.matching.hashing.base import HashResult, HashType
from tellsafe.matching.hashing.decode import DEFAULT_MAX_PIXELS, decode_rgb
from tellsafe.matching.hashing.pdq_numpy import pdq_dihedral

QUALITY_THRESHOLD = 50

# The order of pdq_numpy.pdq_dihedral (and of pdqhash.compute_dihedral). As Pillow
# transposes of the picture: rotate90 = ROTATE_90 (anticlockwise), rotate270 = ROTATE_270,
# flipx = FLIP_TOP_BOTTOM, flipy = FLIP_LEFT_RIGHT, flip_plus1 = TRANSPOSE,
# flip_minus1 = TRANSVERSE.
DIHEDRAL = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flipx",
    "flipy",
    "flip_plus1",
    "flip_minus1",
)


@dataclass(frozen=True, kw_only=True)
class PdqResult(HashResult):
    """A PDQ hash with its quality, usability, dihedral variants and decode scale.

    ``dihedral`` holds the eight hashes in ``DIHEDRAL`` order (the first is ``value``);
    ``scale`` is 1 in full mode and the JPEG decode scale (2, 4 or 8) when fast mode
    reduced the picture.
    """

    quality: int
    usable: bool
    dihedral: tuple[str, ...]
    scale: int = 1

    def variants(self) -> dict[str, str]:
        """The dihedral hashes by name."""
        return dict(zip(DIHEDRAL, self.dihedral, strict=True))


class PdqHashType(HashType):
    """PDQ of a still image, 256 bits as 64 hex digits, with quality and variants.

    ``hash_bytes``/``hash_file`` take ``fast`` (JPEG decode-time downscaling, see
    ``decode.py``) and ``max_pixels`` (default: the ``HASH_MAX_PIXELS`` setting, else
    64 MP). They raise ``HashingError`` for input that is not a whole image.
    """

    name = "pdq"
    label = "PDQ"
    digits = 64

    def hash_bytes(
        self, data: bytes, *, fast: bool = False, max_pixels: int | None = None
    ) -> PdqResult:
        """PDQ of an image held in memory."""
        return self.hash_file(io.BytesIO(data), fast=fast, max_pixels=max_pixels)

    def hash_file(
        self, fp: BinaryIO, *, fast: bool = False, max_pixels: int | None = None
    ) -> PdqResult:
        """PDQ of an image read from a binary file object."""
        limit = max_pixels if max_pixels is not None else configured_max_pixels()
        rgb, scale = decode_rgb(fp, max_pixels=limit, fast=fast)
        return hash_rgb(rgb, scale=scale)


def hash_rgb(rgb: np.ndarray, *, scale: int = 1) -> PdqResult:
    """PDQ of an RGB uint8 array of shape ``(height, width, 3)``, bit for bit as the
    reference computes it. ``scale`` is only recorded."""
    hashes, quality = pdq_dihedral(rgb)
    return PdqResult(
        hash_type=PdqHashType.name,
        value=hashes[0],
        quality=quality,
        usable=quality >= QUALITY_THRESHOLD,
        dihedral=hashes,
        scale=scale,
    )


def distance(a: str, b: str) -> int:
    """Hamming distance between two canonical PDQ hashes (0–256; a match is <= 31)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def configured_max_pixels() -> int:
    """The ``HASH_MAX_PIXELS`` setting, or the default when Django is not set up (the
    bench and other scripts hash without settings)."""
    from django.conf import settings

    try:
        return int(getattr(settings, "HASH_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    except ImproperlyConfigured:
        return DEFAULT_MAX_PIXELS
