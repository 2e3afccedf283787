"""Bad input to the hashers: non-images, truncated and damaged files, decompression
bombs, the pixel limit, and that nothing is ever written to disk."""

from __future__ import annotations

import builtins
import tempfile

import numpy as np
import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.matching import hashing
from tellsafe.matching.hashing import HashingError
from tellsafe.matching.tests import images
from tellsafe.matching.tests.test_hashing import CASES, base

PDQ = hashing.get("pdq")


# --- bad input ------------------------------------------------------------------------------


def _truncated(fmt: str) -> bytes:
    data = images.encode(base(), fmt)
    return data[: len(data) // 2]


def _damaged_png() -> bytes:
    data = bytearray(images.encode(base(), "PNG"))
    start = len(data) // 3
    data[start : start + 64] = bytes(b ^ 0x55 for b in data[start : start + 64])
    return bytes(data)


BAD_INPUT = {
    "empty": (lambda: b"", "not_an_image"),
    "text": (lambda: b"hello, this is not a picture\n" * 10, "not_an_image"),
    "pdf": (lambda: b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "not_an_image"),
    "random": (lambda: np.random.default_rng(1).bytes(5000), "not_an_image"),
    "png_signature_only": (lambda: b"\x89PNG\r\n\x1a\n", "not_an_image"),
    "ico_unsupported": (lambda: images.encode(base(), "ICO"), "not_an_image"),
    "ppm_unsupported": (lambda: images.encode(base(), "PPM"), "not_an_image"),
    "eps_unsupported": (lambda: images.encode(base(), "EPS"), "not_an_image"),
    "truncated_jpeg": (lambda: _truncated("JPEG"), "truncated_image"),
    "truncated_png": (lambda: _truncated("PNG"), "truncated_image"),
    "truncated_gif": (lambda: _truncated("GIF"), "truncated_image"),
    "truncated_webp": (lambda: _truncated("WEBP"), "corrupt_image"),
    "damaged_png": (_damaged_png, "corrupt_image"),
    "bomb_over_our_limit": (lambda: images.png_claiming(10_000, 8_000), "image_too_large"),
    "bomb_over_pillows_limit": (lambda: images.png_claiming(30_000, 30_000), "image_too_large"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_refused_with_a_clear_code(case):
    make, code = BAD_INPUT[case]
    with pytest.raises(HashingError) as caught:
        PDQ.hash_bytes(make())
    assert caught.value.code == code
    assert isinstance(caught.value, ApplicationError)
    assert caught.value.as_dict() == {"error": code, "message": caught.value.message, "fields": {}}
    assert caught.value.message.endswith(".")


def test_the_pixel_limit_is_an_argument_and_a_setting(settings):
    data = images.encode(images.noise(100, 100, seed=1), "PNG")
    with pytest.raises(HashingError) as caught:
        PDQ.hash_bytes(data, max_pixels=9_999)
    assert "10,000 pixels; the limit is 9,999" in caught.value.message
    settings.HASH_MAX_PIXELS = 5_000
    with pytest.raises(HashingError) as caught:
        PDQ.hash_bytes(data)
    assert "the limit is 5,000" in caught.value.message
    assert PDQ.hash_bytes(data, max_pixels=10_000).quality > 0


def test_nothing_is_written_to_disk(monkeypatch):
    real_open = builtins.open

    def read_only_open(file, mode="r", *args, **kwargs):
        assert not set(mode) & set("wax+"), f"hashing opened {file!r} for writing"
        return real_open(file, mode, *args, **kwargs)

    def no_temp(*args, **kwargs):
        raise AssertionError("hashing made a temporary file")

    monkeypatch.setattr(builtins, "open", read_only_open)
    for name in (
        "mkstemp",
        "mkdtemp",
        "NamedTemporaryFile",
        "TemporaryFile",
        "SpooledTemporaryFile",
    ):
        monkeypatch.setattr(tempfile, name, no_temp)
    for case in ("rgb_jpeg", "rgb_png", "gif", "webp_lossless", "tiff", "bmp", "cmyk_jpeg"):
        assert PDQ.hash_bytes(CASES[case][0]()).quality >= 0
