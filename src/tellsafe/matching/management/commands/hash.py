"""``tellsafe hash PATH...``: hash image files the way the platform does, for operators and
partners checking a file or a bank entry by hand.

One JSON object per file per line on stdout, in the order given::

    {"path": "a.jpg", "pdq": "…64 hex…", "quality": 100, "pdq_usable": true,
     "md5": "…", "sha256": "…"}
    {"path": "notes.txt", "error": "not_an_image", "message": "…", "md5": "…", "sha256": "…"}
    {"path": "gone.jpg", "error": "not_found", "message": "No file at this path."}

MD5 and SHA-256 are of the file bytes, so they are given for any readable file, images or
not (a video is matched by its MD5). A file that cannot be hashed gets an error line and
the others are still hashed; the exit status is then 1. Files are only read, never
copied, and nothing but hashes is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import warnings
from typing import Any, cast

from django.core.management.base import BaseCommand, CommandError
from PIL import Image

from tellsafe.matching import hashing
from tellsafe.matching.hashing import HashingError
from tellsafe.matching.hashing.pdq import PdqHashType


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number above 0, not {text!r}")
    return value


class Command(BaseCommand):
    """``tellsafe hash``: see the module docstring for the output."""

    help = "Hash image files (PDQ, MD5, SHA-256): one JSON line per file."

    # It reads files and nothing else: no database, so no system checks to wait for.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH", help="files to hash")
        parser.add_argument(
            "--fast",
            action="store_true",
            help="let the JPEG decoder shrink large photos first: 5-15x faster, within "
            "about 8 bits of the full-resolution PDQ (not bit-exact)",
        )
        parser.add_argument(
            "--dihedral",
            action="store_true",
            help='add "pdq_dihedral": the PDQ of the picture turned and mirrored 8 ways',
        )
        parser.add_argument(
            "--max-pixels",
            type=_positive,
            default=None,
            help="refuse larger images (default: the HASH_MAX_PIXELS setting, else 64 MP)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[str] = options["paths"]
        failed = 0
        with warnings.catch_warnings():
            # Oversized images get an error line; Pillow's warning would only add noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            for path in paths:
                line = hash_path(
                    path,
                    fast=options["fast"],
                    dihedral=options["dihedral"],
                    max_pixels=options["max_pixels"],
                )
                failed += "error" in line
                self.stdout.write(json.dumps(line))
        if failed:
            raise CommandError(f"{failed} of {len(paths)} files could not be hashed.")


def hash_path(
    path: str, *, fast: bool = False, dihedral: bool = False, max_pixels: int | None = None
) -> dict[str, Any]:
    """The output line for one file: its hashes, or an error code and message."""
    problem = _not_a_readable_file(path)
    if problem:
        return {"path": path, "error": problem[0], "message": problem[1]}
    try:
        with open(path, "rb") as fp:
            exact = {}
            for name in ("md5", "sha256"):
                fp.seek(0)
                exact[name] = hashing.get(name).hash_file(fp).value
            fp.seek(0)
            try:
                pdq_type = cast(PdqHashType, hashing.get("pdq"))
                pdq = pdq_type.hash_file(fp, fast=fast, max_pixels=max_pixels)
            except HashingError as exc:
                return {"path": path, "error": exc.code, "message": exc.message, **exact}
    except OSError as exc:
        return {"path": path, "error": "unreadable", "message": _unreadable(exc)}
    line: dict[str, Any] = {
        "path": path,
        "pdq": pdq.value,
        "quality": pdq.quality,
        "pdq_usable": pdq.usable,
        **exact,
    }
    if dihedral:
        line["pdq_dihedral"] = pdq.variants()
    return line


def _not_a_readable_file(path: str) -> tuple[str, str] | None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "not_found", "No file at this path."
    except OSError as exc:
        return "unreadable", _unreadable(exc)
    if stat.S_ISDIR(mode):
        return "not_a_file", "This is a directory, not a file."
    if not stat.S_ISREG(mode):
        # A device or a pipe could be endless; only regular files are hashed.
        return "not_a_file", "This is not a regular file."
    return None


def _unreadable(exc: OSError) -> str:
    return f"The file cannot be read: {exc.strerror or type(exc).__name__}."
