/* PDQ (Meta's 256-bit perceptual hash) of decoded pixels, for Report Remove.
 *
 * Plain script: no build step, no module, no eval, so it runs under script-src 'self'.
 * Load order: pdq.js, md5.js, sha256.js, then hash.js (all with defer). Each adds to
 * globalThis.TellsafeHash, which also exists in a Worker.
 *
 * The server hashes with matching/hashing/pdq_numpy.py, which equals Meta's C++ bit for
 * bit. This file follows that module step by step, and computes in the same float32
 * precision and the same order wherever rounding could change a bit. That is why nearly
 * every arithmetic step below is wrapped in Math.fround: JavaScript numbers are float64,
 * and one float64 operation on float32 inputs, rounded once to float32, gives exactly the
 * float32 result (float64 has more than twice float32's precision), so the C++ float
 * arithmetic is reproduced exactly. Given the same RGB pixels, the hash and quality here
 * are the server's, bit for bit; the tests check that on PNGs, where the browser and
 * Pillow decode the same pixels.
 */
(function (root) {
  "use strict";

  const ns = (root.TellsafeHash = root.TellsafeHash || {});
  const f32 = Math.fround;

  const GRID = 64; // PDQ samples a 64 x 64 buffer...
  const DCT = 16; // ...and keeps DCT coefficients 1..16 in each direction.
  const MIN_SIDE = 5; // Smaller pictures hash to zero with quality 0, as in the C++.
  const ZERO_HASH = "0".repeat(64);

  /* Width of the box filter along a side: ceil(side / 128). */
  function windowSize(side) {
    return Math.floor((side + 2 * GRID - 1) / (2 * GRID));
  }

  /* The 64 positions sampled along a side: floor((i + 0.5) * side / 64). Exact in
   * float64: the product stays far below 2**53 and 128 is a power of two. */
  function samplePoints(side) {
    const points = new Int32Array(GRID);
    for (let i = 0; i < GRID; i++) points[i] = Math.floor(((2 * i + 1) * side) / (2 * GRID));
    return points;
  }

  /* The box filter's bookkeeping along a line (pdq_numpy._phases): output p is the mean
   * of inputs p - behind .. p + half - 1, clipped to the line. */
  function phases(length, window) {
    const half = Math.floor((window + 2) / 2);
    const behind = window - half;
    return { half: half, behind: behind, full: Math.min(behind + 1, length) };
  }

  /* How many inputs each output of the box filter averages, per position. */
  function counts(length, window) {
    const { half, behind } = phases(length, window);
    const out = new Float32Array(length);
    for (let p = 0; p < length; p++) {
      out[p] = Math.min(length - 1, p + half - 1) - Math.max(0, p - behind) + 1;
    }
    return out;
  }

  /* Luma of a tile of RGBA pixels (columns x rows) into the plane out (outWidth wide),
   * with the tile's top-left corner at (left, top).
   *
   * The server's luma is (299 R + 587 G + 114 B) / 1000 correctly rounded to float32.
   * The numerator is an integer below 2**24, so it is exact, and one division rounded
   * once to float32 is that value. The alpha byte is ignored: the server drops alpha. */
  function lumaTile(rgba, columns, rows, out, outWidth, left, top) {
    let i = 0;
    for (let y = 0; y < rows; y++) {
      let o = (top + y) * outWidth + left;
      for (let x = 0; x < columns; x++, i += 4) {
        out[o++] = f32((299 * rgba[i] + 587 * rgba[i + 1] + 114 * rgba[i + 2]) / 1000);
      }
    }
  }

  /* Pass of the box filter along every row, in place. The running sum follows the C++
   * order exactly: add the entering value, then subtract the leaving one, each rounded to
   * float32, then divide. A cumulative sum, or any other order, rounds differently. */
  function boxRows(plane, width, height, window) {
    const { half, behind, full } = phases(width, window);
    const divisor = counts(width, window);
    const line = new Float32Array(width);
    const lastEntry = width - half; // the last position where a value enters
    for (let y = 0; y < height; y++) {
      const base = y * width;
      let sum = 0;
      for (let e = 0; e < half - 1; e++) sum = f32(sum + plane[base + e]);
      for (let p = 0; p < width; p++) {
        if (p <= lastEntry) sum = f32(sum + plane[base + p + half - 1]);
        if (p >= full) sum = f32(sum - plane[base + p - behind - 1]);
        line[p] = sum;
      }
      for (let p = 0; p < width; p++) plane[base + p] = f32(line[p] / divisor[p]);
    }
  }

  /* Pass of the box filter down every column, in place, one row at a time so that memory
   * is read in order. The sums of all columns advance together. A row is overwritten once
   * its output is known, so the inputs that leave the window later are kept in a small
   * ring of the last behind + 1 original rows. */
  function boxColumns(plane, width, height, window) {
    const { half, behind, full } = phases(height, window);
    const divisor = counts(height, window);
    const sums = new Float32Array(width);
    const ringRows = behind + 1;
    const ring = new Float32Array(ringRows * width);
    const lastEntry = height - half;
    for (let e = 0; e < half - 1; e++) {
      const base = e * width;
      for (let x = 0; x < width; x++) sums[x] = f32(sums[x] + plane[base + x]);
    }
    for (let p = 0; p < height; p++) {
      const slot = (p % ringRows) * width; // holds original row p - behind - 1, if any
      if (p <= lastEntry) {
        const base = (p + half - 1) * width;
        for (let x = 0; x < width; x++) sums[x] = f32(sums[x] + plane[base + x]);
      }
      if (p >= full) {
        for (let x = 0; x < width; x++) sums[x] = f32(sums[x] - ring[slot + x]);
      }
      const row = p * width;
      const d = divisor[p];
      for (let x = 0; x < width; x++) {
        ring[slot + x] = plane[row + x];
        plane[row + x] = f32(sums[x] / d);
      }
    }
  }

  /* Second pass along the rows, keeping only the 64 sampled columns: every column still
   * enters the running sum, but only the sampled ones are divided out. Returns a
   * height x 64 buffer. Sides under 64 pixels sample some columns twice. */
  function boxRowsSampled(plane, width, height, window, columns) {
    const { half, behind, full } = phases(width, window);
    const divisor = counts(width, window);
    const out = new Float32Array(height * GRID);
    const lastEntry = width - half;
    for (let y = 0; y < height; y++) {
      const base = y * width;
      let sum = 0;
      let k = 0;
      for (let e = 0; e < half - 1; e++) sum = f32(sum + plane[base + e]);
      for (let p = 0; p < width && k < GRID; p++) {
        if (p <= lastEntry) sum = f32(sum + plane[base + p + half - 1]);
        if (p >= full) sum = f32(sum - plane[base + p - behind - 1]);
        while (k < GRID && columns[k] === p) out[y * GRID + k++] = f32(sum / divisor[p]);
      }
    }
    return out;
  }

  /* Second pass down the 64 kept columns, keeping only the 64 sampled rows: the 64 x 64
   * buffer PDQ takes its quality and DCT from. */
  function boxColumnsSampled(buffer, height, window, rows) {
    const { half, behind, full } = phases(height, window);
    const divisor = counts(height, window);
    const out = new Float32Array(GRID * GRID);
    const sums = new Float32Array(GRID);
    const lastEntry = height - half;
    for (let e = 0; e < half - 1; e++) {
      for (let x = 0; x < GRID; x++) sums[x] = f32(sums[x] + buffer[e * GRID + x]);
    }
    let k = 0;
    for (let p = 0; p < height && k < GRID; p++) {
      if (p <= lastEntry) {
        const base = (p + half - 1) * GRID;
        for (let x = 0; x < GRID; x++) sums[x] = f32(sums[x] + buffer[base + x]);
      }
      if (p >= full) {
        const base = (p - behind - 1) * GRID;
        for (let x = 0; x < GRID; x++) sums[x] = f32(sums[x] - buffer[base + x]);
      }
      while (k < GRID && rows[k] === p) {
        for (let x = 0; x < GRID; x++) out[k * GRID + x] = f32(sums[x] / divisor[p]);
        k++;
      }
    }
    return out;
  }

  /* The 64 x 64 buffer: two passes of the Jarosz box filter (rows, then columns, twice),
   * then sampling. A picture that is already 64 x 64 is not blurred, as in the C++
   * pdqHash256FromFloatLuma that the banks' hashes come from. The luma plane is
   * overwritten. */
  function blurAndSample(luma, width, height) {
    if (width === GRID && height === GRID) return Float32Array.from(luma);
    const alongRows = windowSize(width);
    const alongColumns = windowSize(height);
    boxRows(luma, width, height, alongRows);
    boxColumns(luma, width, height, alongColumns);
    const byColumn = boxRowsSampled(luma, width, height, alongRows, samplePoints(width));
    return boxColumnsSampled(byColumn, height, alongColumns, samplePoints(height));
  }

  /* PDQ quality (0-100): the sum of |int((u - v) * 100 / 255)| over neighbours, in
   * float32 and truncated toward zero like a C int, divided by 90, capped at 100. */
  function quality(buffer) {
    let total = 0;
    for (let i = 0; i < GRID - 1; i++) {
      for (let j = 0; j < GRID; j++) {
        const u = buffer[i * GRID + j];
        const v = buffer[(i + 1) * GRID + j];
        total += Math.abs(Math.trunc(f32(f32(f32(u - v) * 100) / 255)));
      }
    }
    for (let i = 0; i < GRID; i++) {
      for (let j = 0; j < GRID - 1; j++) {
        const u = buffer[i * GRID + j];
        const v = buffer[i * GRID + j + 1];
        total += Math.abs(Math.trunc(f32(f32(f32(u - v) * 100) / 255)));
      }
    }
    return Math.min(100, Math.floor(total / 90));
  }

  let dctMatrixCache = null;

  /* The 16 x 64 DCT-II basis (rows 1..16), rounded as the C++ rounds it: the scale
   * sqrt(2/64) as a float32, times the float64 cosine, the product rounded to float32.
   * Rounding the scale differently moves about a tenth of the entries by one unit, which
   * flips bits of pictures with near-tied coefficients. The tests compare this matrix
   * with the server's, entry by entry. */
  function dctMatrix() {
    if (dctMatrixCache) return dctMatrixCache;
    const scale = f32(Math.sqrt(2 / 64));
    const matrix = new Float32Array(DCT * GRID);
    for (let i = 0; i < DCT; i++) {
      for (let j = 0; j < GRID; j++) {
        matrix[i * GRID + j] = f32(scale * Math.cos((Math.PI / 2 / 64) * (i + 1) * (2 * j + 1)));
      }
    }
    dctMatrixCache = matrix;
    return matrix;
  }

  /* D . A . D^T in float32, every sum accumulated over k = 0..63 in order (a blocked
   * matrix product would round differently). */
  function dct16(buffer) {
    const d = dctMatrix();
    const partial = new Float32Array(DCT * GRID); // D . A
    for (let i = 0; i < DCT; i++) {
      for (let k = 0; k < GRID; k++) {
        const dik = d[i * GRID + k];
        for (let j = 0; j < GRID; j++) {
          partial[i * GRID + j] = f32(partial[i * GRID + j] + f32(dik * buffer[k * GRID + j]));
        }
      }
    }
    const result = new Float32Array(DCT * DCT); // (D . A) . D^T
    for (let i = 0; i < DCT; i++) {
      for (let j = 0; j < DCT; j++) {
        let sum = 0;
        for (let k = 0; k < GRID; k++) {
          sum = f32(sum + f32(partial[i * GRID + k] * d[j * GRID + k]));
        }
        result[i * DCT + j] = sum;
      }
    }
    return result;
  }

  /* Bit i * 16 + j is set iff coefficient [i][j] is above the median (Torben's median of
   * 256 values is the 128th smallest). The hex form is the big-endian integer whose bit k
   * is bit k of the hash: 64 lower-case digits, the exchanges' format. */
  function toHex(coefficients) {
    const sorted = Float32Array.from(coefficients).sort();
    const median = sorted[127];
    let hex = "";
    for (let digit = 0; digit < 64; digit++) {
      const low = 252 - 4 * digit; // the four bits of this digit, low bit first
      let nibble = 0;
      for (let t = 0; t < 4; t++) if (coefficients[low + t] > median) nibble |= 1 << t;
      hex += nibble.toString(16);
    }
    return hex;
  }

  /* PDQ of a float32 luma plane (width x height, row by row). The plane is used as
   * scratch memory and overwritten, so that a large picture needs only one plane. */
  function pdqFromLuma(luma, width, height) {
    if (width < MIN_SIDE || height < MIN_SIDE) return { hash: ZERO_HASH, quality: 0 };
    const buffer = blurAndSample(luma, width, height);
    return { hash: toHex(dct16(buffer)), quality: quality(buffer) };
  }

  /* PDQ of RGBA pixels (a Uint8ClampedArray from getImageData, or any byte array of
   * width * height * 4). Alpha is ignored. */
  function pdqFromImageData(rgba, width, height) {
    if (!(width > 0 && height > 0) || rgba.length < width * height * 4) {
      throw new RangeError("pdqFromImageData needs width * height * 4 bytes of RGBA.");
    }
    const luma = new Float32Array(width * height);
    lumaTile(rgba, width, height, luma, width, 0, 0);
    return pdqFromLuma(luma, width, height);
  }

  ns.pdqFromImageData = pdqFromImageData;
  ns.pdqFromLuma = pdqFromLuma;
  ns.lumaTile = lumaTile;
  ns.pdqDctMatrix = dctMatrix;
  ns.PDQ_QUALITY_THRESHOLD = 50;
})(globalThis);
