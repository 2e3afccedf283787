"""``tellsafe hash PATH...``: one JSON line per file, errors as lines, exit status 1 if any
file failed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tellsafe.matching import hashing
from tellsafe.matching.hashing.pdq import DIHEDRAL, distance
from tellsafe.matching.tests import images

PDQ = hashing.get("pdq")


def run(*args: str) -> tuple[list[dict], CommandError | None]:
    out = io.StringIO()
    error = None
    try:
        call_command("hash", *args, stdout=out)
    except CommandError as exc:
        error = exc
    return [json.loads(line) for line in out.getvalue().splitlines()], error


@pytest.fixture
def files(tmp_path):
    """Generated test pictures (never real media) and bad files, in a temporary folder."""
    photo = images.encode(images.photo_like(640, 480, seed=9), "JPEG")
    large = images.encode(images.photo_like(1600, 1200, seed=9), "JPEG")
    whole = images.encode(images.shapes(300, 200, seed=1), "PNG")
    made = {
        "photo.jpg": photo,
        "large.jpg": large,
        "shapes.png": whole,
        "notes.txt": b"Not a picture at all.\n",
        "half.png": whole[: len(whole) // 2],
        "bomb.png": images.png_claiming(30_000, 30_000),
        "empty.jpg": b"",
    }
    for name, data in made.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder").mkdir()
    return tmp_path, made


def test_one_line_per_image_with_the_five_keys(files):
    folder, made = files
    path = str(folder / "photo.jpg")
    lines, error = run(path)
    assert error is None
    expected = PDQ.hash_bytes(made["photo.jpg"])
    assert lines == [
        {
            "path": path,
            "pdq": expected.value,
            "quality": expected.quality,
            "pdq_usable": True,
            "md5": hashlib.md5(made["photo.jpg"]).hexdigest(),  # noqa: S324 - a test vector
            "sha256": hashlib.sha256(made["photo.jpg"]).hexdigest(),
        }
    ]


def test_bad_files_get_error_lines_and_the_others_are_still_hashed(files):
    folder, made = files
    names = [
        "photo.jpg",
        "notes.txt",
        "half.png",
        "bomb.png",
        "empty.jpg",
        "shapes.png",
        "missing.jpg",
        "folder",
    ]
    lines, error = run(*[str(folder / name) for name in names])
    assert [line["path"] for line in lines] == [str(folder / name) for name in names]
    outcome = {os.path.basename(line["path"]): line.get("error", "hashed") for line in lines}
    assert outcome == {
        "photo.jpg": "hashed",
        "notes.txt": "not_an_image",
        "half.png": "truncated_image",
        "bomb.png": "image_too_large",
        "empty.jpg": "not_an_image",
        "shapes.png": "hashed",
        "missing.jpg": "not_found",
        "folder": "not_a_file",
    }
    assert lines[5]["pdq"] == PDQ.hash_bytes(made["shapes.png"]).value
    for line in lines:
        if "error" in line:
            assert set(line) <= {"path", "error", "message", "md5", "sha256"}
            assert line["message"].endswith(".")
    # Exact hashes need no image: a readable file that is not one still gets them.
    assert lines[1]["md5"] == hashlib.md5(made["notes.txt"]).hexdigest()  # noqa: S324
    assert "md5" not in lines[6]
    assert error is not None
    assert str(error) == "6 of 8 files could not be hashed."


def test_fast_mode_and_dihedral_variants(files):
    folder, made = files
    path = str(folder / "large.jpg")
    (full,), _ = run(path)
    (fast,), _ = run("--fast", "--dihedral", path)
    assert fast["pdq"] == PDQ.hash_bytes(made["large.jpg"], fast=True).value
    assert PDQ.hash_bytes(made["large.jpg"], fast=True).scale == 2
    assert distance(fast["pdq"], full["pdq"]) <= 8
    assert list(fast["pdq_dihedral"]) == list(DIHEDRAL)
    assert fast["pdq_dihedral"]["original"] == fast["pdq"]
    assert "pdq_dihedral" not in full


def test_max_pixels_option(files):
    folder, _ = files
    (line,), error = run("--max-pixels", "1000", str(folder / "photo.jpg"))
    assert line["error"] == "image_too_large"
    assert "307,200 pixels; the limit is 1,000" in line["message"]
    assert error is not None


def test_console_script_exits_1_without_a_traceback(files):
    folder, _ = files
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tellsafe.config.settings_test"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tellsafe.cli",
            "hash",
            str(folder / "photo.jpg"),
            str(folder / "bomb.png"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [("error" in line) for line in lines] == [False, True]
    assert "Traceback" not in done.stderr
    assert "DecompressionBomb" not in done.stderr
    assert "1 of 2 files could not be hashed." in done.stderr
