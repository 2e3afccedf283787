/* MD5 of bytes (RFC 1321), for Report Remove.
 *
 * MD5 is broken as a cryptographic hash, and Web Crypto rightly does not offer it. Hash
 * lists of known material (NCMEC, many platforms) still exchange MD5 of the file,
 * though, so the browser computes it here. It identifies a file; it protects nothing.
 *
 * Plain script, see pdq.js for the load order. The input is read four bytes at a time
 * straight from the Uint8Array (no copy of a file of tens of megabytes); only the final
 * one or two blocks, which carry the padding, are built in a small buffer.
 */
(function (root) {
  "use strict";

  const ns = (root.TellsafeHash = root.TellsafeHash || {});

  // Per-round left rotations.
  const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
  // floor(abs(sin(i + 1)) * 2**32), written out: engines' Math.sin may differ in the last
  // place, and one wrong constant would give a wrong MD5 on that browser only.
  const K = new Int32Array([
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
    0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
    0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
    0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
    0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
    0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
    0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
    0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
    0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
  ]);
  // Which message word each of the 64 steps reads.
  const WORD = new Uint8Array(64);
  for (let i = 0; i < 64; i++) {
    if (i < 16) WORD[i] = i;
    else if (i < 32) WORD[i] = (5 * i + 1) % 16;
    else if (i < 48) WORD[i] = (3 * i + 5) % 16;
    else WORD[i] = (7 * i) % 16;
  }

  /* One 64-byte block at bytes[offset..] into state (four int32, updated in place). */
  function block(state, bytes, offset, words) {
    for (let w = 0; w < 16; w++) {
      const at = offset + 4 * w;
      words[w] = bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24);
    }
    let a = state[0];
    let b = state[1];
    let c = state[2];
    let d = state[3];
    for (let i = 0; i < 64; i++) {
      let mix;
      if (i < 16) mix = (b & c) | (~b & d);
      else if (i < 32) mix = (d & b) | (~d & c);
      else if (i < 48) mix = b ^ c ^ d;
      else mix = c ^ (b | ~d);
      const sum = (a + mix + K[i] + words[WORD[i]]) | 0;
      const shift = SHIFTS[((i >> 4) << 2) | (i & 3)];
      a = d;
      d = c;
      c = b;
      b = (b + ((sum << shift) | (sum >>> (32 - shift)))) | 0;
    }
    state[0] = (state[0] + a) | 0;
    state[1] = (state[1] + b) | 0;
    state[2] = (state[2] + c) | 0;
    state[3] = (state[3] + d) | 0;
  }

  /* MD5 of a Uint8Array, as 32 lower-case hex digits. */
  function md5(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError("md5 needs a Uint8Array.");
    const state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
    const words = new Int32Array(16);
    const length = bytes.length;
    const whole = length - (length % 64);
    for (let offset = 0; offset < whole; offset += 64) block(state, bytes, offset, words);
    // Padding: 0x80, zeros, then the length in bits as a 64-bit little-endian integer.
    const tail = new Uint8Array(length % 64 < 56 ? 64 : 128);
    tail.set(bytes.subarray(whole));
    tail[length - whole] = 0x80;
    const bitsLow = (length * 8) >>> 0;
    const bitsHigh = Math.floor(length / 2 ** 29) >>> 0;
    for (let i = 0; i < 4; i++) {
      tail[tail.length - 8 + i] = (bitsLow >>> (8 * i)) & 0xff;
      tail[tail.length - 4 + i] = (bitsHigh >>> (8 * i)) & 0xff;
    }
    for (let offset = 0; offset < tail.length; offset += 64) block(state, tail, offset, words);
    let hex = "";
    for (let i = 0; i < 4; i++) {
      for (let byte = 0; byte < 4; byte++) {
        hex += ((state[i] >>> (8 * byte)) & 0xff).toString(16).padStart(2, "0");
      }
    }
    return hex;
  }

  ns.md5 = md5;
})(globalThis);
