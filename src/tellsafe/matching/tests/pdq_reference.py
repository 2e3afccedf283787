"""The reference PDQ that our numpy PDQ is checked against: ``pdqhash``, which is Meta's
C++ behind a Cython binding. It is used by the tests and the bench only, never at
runtime. It has no wheels, so installing it needs a C++ compiler and the Python headers.

The tests fail, with the message in ``MISSING``, when pdqhash is not installed. This stops
a CI machine without it from passing while comparing nothing. Set
``TELLSAFE_NO_PDQ_REFERENCE=1`` to skip the comparisons instead. ``pdq_golden.json`` still
pins the values, so a change in our hashes is caught even then.

Kept free of Django and pytest, like ``images.py``, for the bench.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import numpy as np

SKIP_VARIABLE = "TELLSAFE_NO_PDQ_REFERENCE"
MISSING = (
    "{package} cannot be imported, so our PDQ cannot be compared with the reference. "
    "Install it with `.venv/bin/pip install {package}` (pdqhash is built from source: it "
    "needs a C++ compiler and the Python headers), or set "
    f"{SKIP_VARIABLE}=1 to skip the comparison (pdq_golden.json still pins the values)."
)


def skip_requested() -> bool:
    """Whether the environment asks to skip comparisons with the reference."""
    return os.environ.get(SKIP_VARIABLE, "") == "1"


def load(package: str = "pdqhash") -> ModuleType:
    """Import a reference package (``pdqhash``, or python-threatexchange's PDQ hasher).

    Raises ``ImportError`` with the ``MISSING`` message if it is not installed.
    """
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        name = package.split(".")[0]
        raise ImportError(f"{MISSING.format(package=name)} (Import error: {exc})") from exc


def bits_to_hex(bits: np.ndarray) -> str:
    """pdqhash's 256-element bit vector (C++ bit 255 first) as 64 hex digits."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def dihedral(rgb: np.ndarray) -> tuple[tuple[str, ...], int]:
    """The eight hashes (pdqhash's order) and the quality, from ``pdqhash.compute_dihedral``."""
    vectors, quality = load().compute_dihedral(np.ascontiguousarray(rgb))
    return tuple(bits_to_hex(bits) for bits in vectors), int(quality)


def threatexchange_hex(rgb: np.ndarray) -> tuple[str, int]:
    """``pdqhash.compute`` serialised as python-threatexchange does it:
    ``"%064x" % int(bits, 2)``."""
    bits, quality = load().compute(np.ascontiguousarray(rgb))
    return "%064x" % int("".join(str(int(b)) for b in bits), 2), int(quality)  # noqa: UP031


def float_coefficients(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """The 16 × 16 float32 DCT that PDQ thresholds, and the quality, from
    ``pdqhash.compute_float`` (which lists coefficient ``[15, 15]`` first)."""
    values, quality = load().compute_float(np.ascontiguousarray(rgb))
    coefficients = np.asarray(values, np.float32)[::-1].reshape(16, 16)
    return np.ascontiguousarray(coefficients), int(quality)
