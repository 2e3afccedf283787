"""Deterministic test pictures, generated, never stored: gradients, checkerboards, noise,
drawn shapes and photo-like scenes, and the file variants the hashing tests need (colour
modes, EXIF orientation, CMYK JPEG, truncated files, decompression bombs).

Every picture depends only on its arguments (noise comes from numpy's PCG64 with a fixed
seed). bench/hashing_bench.py uses ``photo_like`` too, so keep this module free of Django
and pytest.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

RESAMPLE = Image.Resampling.BICUBIC


def gradient(width: int, height: int) -> Image.Image:
    """Red rises left to right, green top to bottom, blue along the diagonal."""
    x = np.linspace(0, 255, width, dtype=np.float32)[np.newaxis, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, np.newaxis]
    rgb = np.stack(
        [np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width)), (x + y) / 2],
        axis=2,
    )
    return Image.fromarray(np.rint(rgb).astype(np.uint8), "RGB")


def checkerboard(width: int, height: int, cell: int = 16) -> Image.Image:
    """Black and white squares of ``cell`` pixels."""
    rows = (np.arange(height) // cell)[:, np.newaxis]
    cols = (np.arange(width) // cell)[np.newaxis, :]
    grey = (((rows + cols) % 2) * 255).astype(np.uint8)
    return Image.fromarray(grey, "L").convert("RGB")


def noise(width: int, height: int, seed: int) -> Image.Image:
    """Uniform random pixels."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), "RGB")


def shapes(width: int, height: int, seed: int) -> Image.Image:
    """Ellipses, rectangles and lines in random colours on a coloured background."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (width, height), _colour(rng))
    draw = ImageDraw.Draw(image)
    for _ in range(16):
        box = _box(rng, width, height)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse(box, fill=_colour(rng))
        elif kind == 1:
            draw.rectangle(box, fill=_colour(rng))
        else:
            draw.line(box, fill=_colour(rng), width=max(1, width // 50))
    return image


def photo_like(width: int, height: int, seed: int) -> Image.Image:
    """A smooth, colourful scene with soft objects and sensor grain, as photos have.

    Built at a quarter of the size from octaves of smooth noise (1/f-like, as natural
    pictures are) and blurred shapes, enlarged with bicubic resampling, then grain added
    at full size.
    """
    rng = np.random.default_rng(seed)
    base_w, base_h = max(8, width // 4), max(8, height // 4)
    longest = max(base_w, base_h)
    scene = np.zeros((base_h, base_w, 3), np.float32)
    for octave, cells in enumerate((2, 4, 8, 16, 32, 64)):
        grid_w = max(2, round(cells * base_w / longest))
        grid_h = max(2, round(cells * base_h / longest))
        grid = rng.random((grid_h, grid_w, 3), dtype=np.float32)
        grid = grid * 0.6 + grid.mean(axis=2, keepdims=True) * 0.4  # colours, not confetti
        layer = Image.fromarray((grid * 255).astype(np.uint8), "RGB").resize(
            (base_w, base_h), RESAMPLE
        )
        scene += np.asarray(layer, np.float32) / (1.6**octave)
    scene = (scene - scene.min()) / (np.ptp(scene) + 1e-6) * 255
    base = Image.fromarray(scene.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(base)
    for _ in range(12):
        box = _box(rng, base_w, base_h)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=_colour(rng))
        else:
            draw.rectangle(box, fill=_colour(rng))
    base = base.filter(ImageFilter.GaussianBlur(1.5))
    pixels = np.asarray(base.resize((width, height), RESAMPLE)).astype(np.int16)
    pixels += rng.integers(-6, 7, size=(height, width, 1), dtype=np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """The picture saved in ``fmt`` (JPEG at quality 90 unless told)."""
    if fmt == "JPEG":
        options.setdefault("quality", 90)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# How to store an upright picture so that a viewer applying EXIF ``orientation`` shows it
# upright again: the inverse of what ImageOps.exif_transpose applies for that value.
_STORE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def oriented_jpeg(upright: Image.Image, orientation: int, **options: object) -> bytes:
    """A JPEG that stores ``upright`` turned, with the EXIF orientation that turns it back."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = upright.transpose(_STORE_FOR_ORIENTATION[orientation]) if orientation > 1 else upright
    return encode(stored, "JPEG", exif=exif.tobytes(), **options)


def cmyk_jpeg(image: Image.Image) -> bytes:
    """The picture as a CMYK JPEG (as print workflows and some scanners write)."""
    return encode(image.convert("CMYK"), "JPEG")


def grey16(image: Image.Image) -> Image.Image:
    """A 16-bit greyscale version: the 8-bit luma in the top byte, detail in the bottom."""
    luma = np.asarray(image.convert("L")).astype(np.uint16)
    detail = np.asarray(noise(image.width, image.height, 16).convert("L")).astype(np.uint16)
    return Image.fromarray(luma * 256 + detail)  # Pillow makes uint16 arrays "I;16".


def with_alpha(image: Image.Image) -> Image.Image:
    """RGBA: alpha falls left to right, and the left quarter is fully transparent."""
    alpha = np.tile(np.linspace(255, 0, image.width).astype(np.uint8), (image.height, 1))
    alpha[:, : image.width // 4] = 0
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.fromarray(alpha, "L"))
    return rgba


def palette(image: Image.Image, colours: int = 64) -> Image.Image:
    """A palette ("P") version with ``colours`` entries."""
    return image.quantize(colours)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG header that claims ``width`` × ``height`` pixels: a
    decompression bomb's first bytes (the pixel data after it does not matter)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    row = b"\x00" + b"\x00" * 3 * min(width, 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row))
        + chunk(b"IEND", b"")
    )


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    red, green, blue = (int(c) for c in rng.integers(0, 256, 3))
    return red, green, blue


def _box(rng: np.random.Generator, width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
    x1 = x0 + int(rng.integers(4, width // 3 + 5))
    y1 = y0 + int(rng.integers(4, height // 3 + 5))
    return x0, y0, x1, y1
