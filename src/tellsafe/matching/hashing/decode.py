"""Decode untrusted image bytes into the RGB array that PDQ hashes, safely.

Everything happens in memory: nothing is written to disk, and the only decoders used are
Pillow's for the formats in ``SUPPORTED_FORMATS`` (the ones that reach a hotline: camera
photos, screenshots, web images). Formats whose Pillow plugin runs an external program
(EPS runs Ghostscript) or that nobody sends us are refused as ``not_an_image``.

Safety, in the order it is applied:

1. **Size before pixels.** The header's width × height is checked against ``max_pixels``
   before a single pixel is decoded, so a small file that claims to be huge (a
   decompression bomb) costs nothing. Pillow's own guard (``Image.MAX_IMAGE_PIXELS``,
   refusing at twice that) stays in force above ours, so a ``max_pixels`` larger than
   2 × ``MAX_IMAGE_PIXELS`` has no effect. Peak memory in full mode is about 40 bytes per
   pixel (the decoded image, its array, and pdqhash's float64 luma temporaries), so the
   default of 64 MP bounds one hash at about 2.5 GB; fast mode needs a fraction of that.
2. **Truncated or damaged data is an error**, never a silently grey image: Pillow's
   ``LOAD_TRUNCATED_IMAGES`` must stay off (its default).
3. **Orientation.** EXIF orientation is applied (``ImageOps.exif_transpose``), so the hash
   is that of the picture as people see it. A phone photo stored sideways and the same
   photo re-saved upright then hash alike. Unreadable EXIF leaves the image as stored.
4. **Colour modes to RGB**, the same way for every mode:

   * Alpha is **dropped, not composited**: PDQ hashes the colour channels as stored. This is
     what the reference tools that fill the hash banks do (Meta's C++ hasher, pdqhash,
     python-threatexchange and HMA all read R, G and B and ignore A), so a bank hash of a
     transparent PNG matches ours. Compositing on white would look more like a viewer, but
     it would miss every bank hash of such a file.
   * Palette images are expanded through their palette (python-threatexchange hashes the
     palette indices, a known bug); CMYK, YCbCr and HSV are converted by Pillow; 1-bit
     images become black and white.
   * 16-bit greyscale (``I;16*``) keeps its top 8 bits. Pillow's own conversion clips
     every value above 255 to white, which turns most 16-bit images into a flat, useless
     hash. ``I`` (32-bit) is read as 16-bit when any value exceeds 255, else as 8-bit;
     ``F`` (float) as 0..1 when no value exceeds 1, else as 0..255. ``LAB`` contributes
     its lightness channel (PDQ only looks at luma anyway).

   Only the first frame of an animated GIF, WebP or multi-page TIFF is hashed.

**Fast mode** (``fast=True``) lets the JPEG decoder scale the picture down by 2, 4 or 8 in
the DCT domain (Pillow's ``draft``), which skips most of the decoding and shrinks the
array PDQ filters. The scale is the largest that keeps the shorter side at least
``FAST_MIN_SIDE`` pixels *and* keeps PDQ's sampling grid aligned with the full-size one
(see ``fast_scale``). On photos this differs from full mode by 0–8 bits (mean ≈ 3; the
match threshold is 31) and is 5–15× faster on 2–12 MP photos; see bench/hashing_bench.py.
Other formats are decoded at full size in fast mode too.
"""

from __future__ import annotations

from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from tellsafe.matching.hashing.base import HashingError

# "JPEG" also opens the multi-picture JPEGs of phones, whose format then reads "MPO".
SUPPORTED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")
DEFAULT_MAX_PIXELS = 64_000_000

FAST_MIN_SIDE = 512
# Largest tolerated drift between PDQ's sample points at full size and at reduced size,
# as a fraction of its sampling step. Measured: at <= 0.1 fast and full differ by <= 8 bits
# on photo-like JPEGs; 2048x2048 at 1/4 (drift 0.14) differed by up to 12.
FAST_MAX_DRIFT = 0.1


def decode_rgb(fp: BinaryIO, *, max_pixels: int, fast: bool = False) -> tuple[np.ndarray, int]:
    """Decode one image into a C-contiguous ``(height, width, 3)`` uint8 array.

    Returns the array and the decode scale used (1 = full resolution). Raises
    ``HashingError`` for anything that is not a whole image within ``max_pixels``.
    """
    try:
        image = Image.open(fp, formats=SUPPORTED_FORMATS)
    except Image.DecompressionBombError as exc:
        raise _too_large(None, max_pixels) from exc
    except UnidentifiedImageError as exc:
        raise HashingError(
            "not_an_image",
            f"The file is not an image in a supported format ({', '.join(SUPPORTED_FORMATS)}).",
        ) from exc
    except Exception as exc:  # Pillow plugins report a bad header with many exception types.
        raise _corrupt() from exc
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise _too_large(width * height, max_pixels)
        scale = 1
        if fast and image.format in ("JPEG", "MPO"):
            scale = fast_scale(width, height)
            if scale > 1:
                image.draft(None, (width // scale, height // scale))
                scale = max(1, round(width / image.size[0]))
        try:
            image.load()
        except Image.DecompressionBombError as exc:
            raise _too_large(None, max_pixels) from exc
        except OSError as exc:
            if "truncated" in str(exc):
                raise HashingError(
                    "truncated_image", "The image file is incomplete: it ends too early."
                ) from exc
            raise _corrupt() from exc
        except Exception as exc:  # Decoders signal damaged data with many exception types.
            raise _corrupt() from exc
        _apply_orientation(image)
        return _rgb_array(image), scale


def fast_scale(width: int, height: int) -> int:
    """The JPEG decode scale (1, 2, 4 or 8) that fast mode uses for a picture this size.

    Why alignment matters: PDQ blurs with box filters whose centre sits half a pixel off
    when the window is even, then samples 64 points per axis. Decoding at 1/scale moves
    those sample points relative to the picture; at some sizes (2048 px at 1/4 is the
    classic) they land a seventh of a step away and the hash drifts by 10+ bits. So a
    scale is only used when the drift, in both reading directions (EXIF may flip an
    axis), stays within ``FAST_MAX_DRIFT`` on both axes.
    """
    for scale in (8, 4, 2):
        if min(width, height) // scale < FAST_MIN_SIDE:
            continue
        if max(_drift(width, scale), _drift(height, scale)) <= FAST_MAX_DRIFT:
            return scale
    return 1


def _drift(length: int, scale: int) -> float:
    """Worst distance between PDQ's sample points on an axis of ``length`` pixels and on
    the same axis decoded at 1/scale, as a fraction of the sampling step."""
    reduced = -(-length // scale)  # Pillow's draft rounds the size up.
    centres = np.arange(64) + 0.5
    full = np.floor(centres * length / 64) + _box_shift(length)
    small = np.floor(centres * reduced / 64) + _box_shift(reduced)
    # A reduced pixel j covers full pixels scale*j .. scale*j + scale - 1.
    forward = np.abs(full - (scale * small + (scale - 1) / 2)).max()
    backward = np.abs((length - 1 - full) - (scale * (reduced - 1 - small) + (scale - 1) / 2)).max()
    return float(max(forward, backward) / (length / 64))


def _box_shift(length: int) -> float:
    """How far PDQ's two Jarosz box-filter passes move the picture along an axis.

    The window is ceil(length / 128) (downscaling.cpp, computeJaroszFilterWindowSize); an
    even window reaches one pixel further ahead than behind, half a pixel per pass.
    """
    return 1.0 if (-(-length // 128)) % 2 == 0 else 0.0


def _apply_orientation(image: Image.Image) -> None:
    try:
        ImageOps.exif_transpose(image, in_place=True)
    except Exception:  # noqa: S110 - damaged EXIF: hash the picture as stored, see above.
        pass


def _rgb_array(image: Image.Image) -> np.ndarray:
    """The picture as RGB uint8; the module docstring says why each mode maps as it does."""
    mode = image.mode
    if mode == "RGB":
        return np.ascontiguousarray(np.asarray(image))
    if mode in ("L", "I", "F", "LAB", "LA", "La") or mode.startswith("I;16"):
        return _grey_to_rgb(_grey_array(image))
    if mode in ("P", "PA") and "transparency" in image.info:
        # Going through RGBA keeps Pillow from warning about palette transparency.
        image = image.convert("RGBA")
    return np.ascontiguousarray(np.asarray(image.convert("RGB")))


def _grey_array(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("LAB", "LA", "La"):
        return np.asarray(image.getchannel(0))
    values = np.asarray(image)
    if mode == "L":
        return values
    if mode.startswith("I;16"):
        return (values >> 8).astype(np.uint8)
    if mode == "I":
        if values.max() > 255:
            return (np.clip(values, 0, 65535) >> 8).astype(np.uint8)
        return np.clip(values, 0, 255).astype(np.uint8)
    # mode == "F"
    if values.max() <= 1.0:
        values = values * 255.0
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _grey_to_rgb(grey: np.ndarray) -> np.ndarray:
    return np.repeat(grey[:, :, np.newaxis], 3, axis=2)


def _too_large(pixels: int | None, max_pixels: int) -> HashingError:
    if pixels:
        size = f"{pixels:,} pixels"
    elif Image.MAX_IMAGE_PIXELS:  # Pillow refused it: over twice its own limit.
        size = f"over {2 * Image.MAX_IMAGE_PIXELS:,} pixels"
    else:
        size = "too many pixels"
    return HashingError(
        "image_too_large",
        f"The image is too large to hash safely: it has {size}; "
        f"the limit is {max_pixels:,} (decompression bomb guard).",
    )


def _corrupt() -> HashingError:
    return HashingError("corrupt_image", "The image data is damaged and cannot be decoded.")
