"""PDQ in numpy, bit for bit what Meta's reference C++ computes (as pdqhash packages it).

Runtime code hashes with this module only. numpy ships wheels for every platform we
support, whereas ``pdqhash`` compiles the C++ when it is installed. The tests compare the
two on every generated picture (hash, quality and all eight dihedral variants), and
``tests/pdq_golden.json`` pins the values.

The algorithm (reference/hashing.md §1, the C++ in ThreatExchange ``pdq/cpp``):

1. luma of the RGB pixels;
2. a picture under 5 pixels on a side hashes to zero, quality 0;
3. blur: two passes of a box filter, along the rows and then along the columns. The box is
   ``ceil(side / 128)`` wide, and its window shrinks at both ends of a line. A 64 × 64
   picture is not blurred (see below);
4. sample 64 × 64 points, at the centres of a 64 × 64 grid;
5. quality, from the gradients between those 64 × 64 values;
6. DCT-II coefficients 1..16 in each direction, a 16 × 16 matrix;
7. bit ``i * 16 + j`` is set iff coefficient ``[i, j]`` is above the median of the 256.

Bit-exactness is a matter of rounding. So the arithmetic is done in the reference's
precision, and in its order wherever the order changes the result:

* **Luma.** pdqhash computes ``R * 0.299 + G * 0.587 + B * 0.114`` in float64 and rounds
  it once to float32. (The C++ would do it in float32, but pdqhash does not call that code.)
  That value is always ``(299 R + 587 G + 114 B) / 1000`` correctly rounded to float32. The
  numerator is an integer below 2**24, so float32 holds it exactly, whatever the order of
  the sum. The quotient is never close enough to a float32 rounding boundary for
  pdqhash's float64 error to matter. So we compute the luma in float32, at half the memory
  and twice the speed. A test checks all 2**24 colours against pdqhash's expression.
* **Box filter.** It is the C++ running sum, in float32. Each step adds the value that
  enters the window, then subtracts the one that leaves, then divides by the number of
  values in the window. A cumulative sum rounds differently and changes some hashes, and
  so does any other order. The recurrence runs in sequence along a line, so we vectorise
  it across lines: one numpy step per position updates every line at once. We keep the
  lines in the axis-0 direction (contiguous rows), so the picture is transposed between
  the directions. Each transposition is also where the sums are divided.
* **DCT matrix.** The scale ``sqrt(2 / 64)`` is rounded to float32 and multiplied in
  double by the double cosine, and the product is rounded to float32 (``_dct_matrix``).
* **DCT products and sums.** These are in float32, accumulated over ``k = 0..63`` in
  order. A BLAS matrix product sums in blocks and rounds differently.

**64 × 64 pictures.** Here the reference disagrees with itself. ``pdqhash.compute`` (the
C++ ``pdqHash256FromFloatLuma``, which python-threatexchange and HMA call) skips the blur,
as the algorithm says. ``pdqhash.compute_dihedral`` blurs anyway, with a box one pixel
wide. That changes nothing in exact arithmetic, but the running sum rounds, and near-tied
coefficients can then flip a few bits. We follow ``compute``, so our hash matches what the
banks hold. The variants are derived from that same DCT, so ``dihedral[0]`` is the hash.
At this one size, the variants may differ from ``compute_dihedral``'s by a few bits.

We compute only what the hash needs in the second pass. Along the rows, we divide only at
the 64 sampled columns. Along the columns, we filter only those 64, and divide only at the
64 sampled rows.

Peak memory is three float32 copies of the picture (12 bytes per pixel), on top of the
RGB array.
"""

from __future__ import annotations

import math

import numpy as np

MIN_HASHABLE_SIDE = 5
_GRID = 64
_DCT = 16
# Pixels per block where a picture is processed in blocks (luma, transposition): small
# enough to stay in the processor's cache.
_BLOCK_PIXELS = 1 << 16
_TRANSPOSE_ROWS = 16

_F32 = np.float32
# 1000 × luma = 299 R + 587 G + 114 B (see the module docstring).
_LUMA_WEIGHTS = np.array([299, 587, 114], np.float32)
_LUMA_SCALE = _F32(1000)


def _dct_matrix() -> np.ndarray:
    """The 16 × 64 DCT-II basis (rows 1..16), with the C++ rounding.

    The C++ holds the scale ``sqrt(2 / 64)`` as a float32, takes the cosine in double,
    multiplies the two in double and rounds the product to float32. If the scale is
    rounded differently, or not at all, 112 to 144 of the 1024 entries move by one unit in
    the last place. That is enough to flip bits of pictures whose coefficients are nearly
    tied (flat areas, gradients). ``math.cos`` is the C library's cosine, as in the C++;
    numpy's cosine may differ from it in the last place.
    """
    scale = float(np.float32(math.sqrt(2.0 / 64.0)))
    matrix = np.empty((_DCT, _GRID), np.float32)
    for i in range(_DCT):
        for j in range(_GRID):
            matrix[i, j] = scale * math.cos((math.pi / 2 / 64.0) * (i + 1) * (2 * j + 1))
    matrix.setflags(write=False)
    return matrix


DCT_MATRIX = _dct_matrix()

# The dihedral variants as sign patterns on the 16 × 16 DCT, and transpositions of it
# (hashing.md §1 step 10).
_PLUS_IF_ODD = np.where(np.arange(_DCT) % 2 == 1, 1, -1).astype(np.float32)
_CHECKER = np.where(np.add.outer(np.arange(_DCT), np.arange(_DCT)) % 2 == 0, 1, -1).astype(
    np.float32
)


def pdq_dihedral(rgb: np.ndarray) -> tuple[tuple[str, ...], int]:
    """The eight dihedral PDQ hashes (64 hex digits each) and the quality (0–100) of an
    ``(height, width, 3)`` uint8 RGB array.

    The hashes are in pdqhash's order: original, rotate90, rotate180, rotate270, flipx,
    flipy, flip_plus1, flip_minus1.
    """
    _check(rgb)
    height, width = rgb.shape[:2]
    if height < MIN_HASHABLE_SIDE or width < MIN_HASHABLE_SIDE:
        return ("0" * 64,) * 8, 0
    coefficients, score = pdq_float(rgb)
    hashes = tuple(to_hex(bits(c)) for c in dihedral_coefficients(coefficients))
    return hashes, score


def pdq_float(rgb: np.ndarray) -> tuple[np.ndarray, int]:
    """The 16 × 16 float32 DCT coefficients that PDQ thresholds, and the quality.

    These are the C++ ``pdqFloat256FromFloatLuma`` values (``pdqhash.compute_float``).
    That function has no check for small sizes, so the picture must be at least 5 pixels
    on each side.
    """
    _check(rgb)
    if min(rgb.shape[:2]) < MIN_HASHABLE_SIDE:
        raise ValueError(f"PDQ needs at least {MIN_HASHABLE_SIDE} pixels on each side.")
    buffer = blur_and_sample(rgb)
    return dct16(buffer), quality(buffer)


def luma(rgb: np.ndarray) -> np.ndarray:
    """The ``(height, width)`` float32 luma, exactly as pdqhash computes it."""
    _check(rgb)
    height, width = rgb.shape[:2]
    out = np.empty((height, width), np.float32)
    step = max(1, _BLOCK_PIXELS // max(1, width))
    for top in range(0, height, step):
        block = out[top : top + step]
        _luma_times_1000(rgb[top : top + step], block)
        block /= _LUMA_SCALE
    return out


def _luma_transposed(rgb: np.ndarray) -> np.ndarray:
    """``luma(rgb).T``, made contiguous block by block as the luma is computed."""
    height, width = rgb.shape[:2]
    out = np.empty((width, height), np.float32)
    step = max(_TRANSPOSE_ROWS, _BLOCK_PIXELS // max(1, width))
    scratch = np.empty((min(step, height), width), np.float32)
    for top in range(0, height, step):
        block = rgb[top : top + step]
        values = scratch[: block.shape[0]]
        _luma_times_1000(block, values)
        np.divide(values.T, _LUMA_SCALE, out=out[:, top : top + step])
    return out


def _luma_times_1000(block: np.ndarray, out: np.ndarray) -> None:
    # Integers below 2**24: exact in float32, in any summation order (BLAS included).
    np.matmul(block.astype(np.float32), _LUMA_WEIGHTS, out=out)


def window_size(side: int) -> int:
    """Width of the box along a side of ``side`` pixels: ``ceil(side / 128)``."""
    return (side + 2 * _GRID - 1) // (2 * _GRID)


def sample_points(side: int) -> np.ndarray:
    """The 64 indices sampled along a side: ``floor((i + 0.5) * side / 64)``."""
    return (np.arange(_GRID) * 2 + 1) * side // (2 * _GRID)


def blur_and_sample(rgb: np.ndarray) -> np.ndarray:
    """The 64 × 64 float32 buffer that PDQ takes quality and DCT from."""
    height, width = rgb.shape[:2]
    along_rows = window_size(width)
    along_cols = window_size(height)
    transposed = _luma_transposed(rgb)  # (width, height): a row of it is a column
    if height == _GRID and width == _GRID:
        return np.ascontiguousarray(transposed.T)
    # Pass 1, along the rows: running sums down axis 0 of the transposed picture.
    sums = np.empty((width, height), np.float32)
    _running_sums(transposed, along_rows, sums)
    upright = np.empty((height, width), np.float32)
    _transpose_divide(sums, _counts(width, along_rows), upright)
    # Pass 1, along the columns. The sums can reuse the first sums' memory.
    sums = sums.reshape(height, width)
    _running_sums(upright, along_cols, sums)
    _transpose_divide(sums, _counts(height, along_cols), transposed)
    del sums, upright
    # Pass 2. Along the rows, every column takes part in the running sum, but only the
    # sampled columns are divided out. Then along the columns, for those columns only.
    # Sides under 64 pixels sample some positions more than once.
    cols, col_of = np.unique(sample_points(width), return_inverse=True)
    rows, row_of = np.unique(sample_points(height), return_inverse=True)
    by_column = _sampled_means(transposed, along_rows, cols)  # (len(cols), height)
    sampled = _sampled_means(np.ascontiguousarray(by_column.T), along_cols, rows)
    return np.ascontiguousarray(sampled[row_of][:, col_of])


def _phases(length: int, window: int) -> tuple[int, int, int]:
    """The C++ box filter's bookkeeping for a line: ``half``, ``behind`` and the first
    position where the window is full.

    Output ``p`` is the mean of inputs ``p - behind .. p + half - 1``, clipped to the line.
    Before the first output, ``half - 1`` inputs are summed. Up to ``full`` the window
    grows, from ``full`` to ``length - half`` it slides, and after that it shrinks.
    """
    half = (window + 2) // 2
    behind = window - half
    full = window - half + 1
    # Never more than the line: the window is ceil(length / 128).
    return half, behind, min(full, length)


def _counts(length: int, window: int) -> np.ndarray:
    """How many inputs each output of the box filter is the mean of, as float32."""
    half, behind, _ = _phases(length, window)
    position = np.arange(length)
    last = np.minimum(length - 1, position + half - 1)
    first = np.maximum(0, position - behind)
    return (last - first + 1).astype(np.float32)


def _running_sums(lines: np.ndarray, window: int, out: np.ndarray) -> None:
    """The box filter's running sums along axis 0, for every line (axis 1) at once.

    ``out[p]`` receives the float32 sum that the C++ divides to get output ``p``. The sum
    is updated in the C++ order: add the entering value, then subtract the leaving one.
    """
    length = lines.shape[0]
    half, behind, full = _phases(length, window)
    source = list(lines)  # row views, made once
    target = list(out)
    previous = np.zeros(lines.shape[1:], np.float32)
    for entering in range(half - 1):
        previous += source[entering]
    for position in range(full):
        np.add(previous, source[position + half - 1], out=target[position])
        previous = target[position]
    for position in range(full, length - half + 1):
        current = target[position]
        np.add(previous, source[position + half - 1], out=current)
        np.subtract(current, source[position - behind - 1], out=current)
        previous = current
    for position in range(length - half + 1, length):
        np.subtract(previous, source[position - behind - 1], out=target[position])
        previous = target[position]


def _transpose_divide(sums: np.ndarray, counts: np.ndarray, out: np.ndarray) -> None:
    """``out = (sums / counts[:, None]).T``, in blocks of rows, so that the transposition
    does not thrash the cache."""
    for top in range(0, sums.shape[0], _TRANSPOSE_ROWS):
        end = top + _TRANSPOSE_ROWS
        np.divide(sums[top:end].T, counts[top:end], out=out[:, top:end])


def _sampled_means(lines: np.ndarray, window: int, keep: np.ndarray) -> np.ndarray:
    """Box filter along axis 0, as ``_running_sums`` and a division, but only outputs
    ``keep`` (sorted, distinct positions) are divided and returned, as rows."""
    length = lines.shape[0]
    half, behind, full = _phases(length, window)
    counts = _counts(length, window)
    out = np.empty((len(keep), *lines.shape[1:]), np.float32)
    slot_of = dict(zip(keep.tolist(), range(len(keep)), strict=True))
    source = list(lines)
    total = np.zeros(lines.shape[1:], np.float32)
    for entering in range(half - 1):
        total += source[entering]
    for position in range(length):
        if position < length - half + 1:
            total += source[position + half - 1]
        if position >= full:
            total -= source[position - behind - 1]
        slot = slot_of.get(position)
        if slot is not None:
            np.divide(total, counts[position], out=out[slot])
    return out


def quality(buffer: np.ndarray) -> int:
    """PDQ quality (0–100) of the 64 × 64 buffer.

    Each neighbour difference becomes ``int((u - v) * 100 / 255)``, computed in float32
    and truncated toward zero as a C ``int``. The sum of their absolute values is
    divided by 90 in integer arithmetic, and the result is capped at 100.
    """
    hundred, full_scale = _F32(100), _F32(255)
    down = ((buffer[:-1, :] - buffer[1:, :]) * hundred / full_scale).astype(np.int32)
    across = ((buffer[:, :-1] - buffer[:, 1:]) * hundred / full_scale).astype(np.int32)
    total = int(np.abs(down).sum(dtype=np.int64)) + int(np.abs(across).sum(dtype=np.int64))
    return min(100, total // 90)


def dct16(buffer: np.ndarray) -> np.ndarray:
    """``D · A · Dᵀ`` in float32, each sum accumulated over ``k = 0..63`` in order."""
    partial = np.zeros((_DCT, _GRID), np.float32)  # D · A
    for k in range(_GRID):
        partial += DCT_MATRIX[:, k, np.newaxis] * buffer[np.newaxis, k, :]
    result = np.zeros((_DCT, _DCT), np.float32)  # (D · A) · Dᵀ
    for k in range(_GRID):
        result += partial[:, k, np.newaxis] * DCT_MATRIX[np.newaxis, :, k]
    return result


def bits(coefficients: np.ndarray) -> np.ndarray:
    """256 booleans: bit ``i * 16 + j`` is whether coefficient ``[i, j]`` is above the
    median.

    The C++ takes Torben's median, which for 256 values is the 128th smallest (with
    repeats counted).
    """
    flat = coefficients.reshape(-1)
    median = np.partition(flat, 127)[127]
    return flat > median


def dihedral_coefficients(coefficients: np.ndarray) -> tuple[np.ndarray, ...]:
    """The DCT of the picture turned or mirrored, derived from its own DCT, in pdqhash's
    order: original, rotate90, rotate180, rotate270, flipx, flipy, flip_plus1,
    flip_minus1."""
    b = coefficients
    by_row = _PLUS_IF_ODD[:, np.newaxis]  # +1 on odd rows i, -1 on even ones
    by_column = _PLUS_IF_ODD[np.newaxis, :]  # the same by column j
    return (
        b,
        (b * by_column).T,  # B'[j][i] = (j odd ? +1 : -1) B[i][j]
        b * _CHECKER,  # (-1)^(i+j) B[i][j]
        (b * by_row).T,  # B'[j][i] = (i odd ? +1 : -1) B[i][j]
        b * by_row,
        b * by_column,
        b.T,
        (b * _CHECKER).T,
    )


def to_hex(flags: np.ndarray) -> str:
    """256 bits (bit ``k`` at index ``k``) as 64 hex digits of the integer ``Σ 2**k``."""
    return np.packbits(flags, bitorder="little")[::-1].tobytes().hex()


def _check(rgb: np.ndarray) -> None:
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(
            f"PDQ hashes an (height, width, 3) uint8 RGB array, not {rgb.dtype} {rgb.shape}."
        )
