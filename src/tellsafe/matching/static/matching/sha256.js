/* SHA-256 of bytes (FIPS 180-4), for Report Remove.
 *
 * sha256() uses Web Crypto when it is there: native and fast. Browsers only offer
 * crypto.subtle in a secure context (https, or localhost), and a hotline may run on
 * plain http inside a LAN, where it is undefined. sha256Js() is the same function in
 * plain JavaScript for that case; it is exported so the tests can check it on its own.
 *
 * Plain script, see pdq.js for the load order.
 */
(function (root) {
  "use strict";

  const ns = (root.TellsafeHash = root.TellsafeHash || {});

  // The first 32 bits of the fractional parts of the cube roots of the first 64 primes.
  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
  ]);
  // The first 32 bits of the fractional parts of the square roots of the first 8 primes.
  const INITIAL = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
    0x5be0cd19,
  ];

  function rotr(x, n) {
    return (x >>> n) | (x << (32 - n));
  }

  /* One 64-byte block at bytes[offset..] into state (eight int32, updated in place). */
  function block(state, bytes, offset, w) {
    for (let t = 0; t < 16; t++) {
      const at = offset + 4 * t;
      w[t] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
    }
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15];
      const y = w[t - 2];
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let a = state[0];
    let b = state[1];
    let c = state[2];
    let d = state[3];
    let e = state[4];
    let f = state[5];
    let g = state[6];
    let h = state[7];
    for (let t = 0; t < 64; t++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const choice = (e & f) ^ (~e & g);
      const t1 = (h + s1 + choice + K[t] + w[t]) | 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const majority = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + majority) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = (state[0] + a) | 0;
    state[1] = (state[1] + b) | 0;
    state[2] = (state[2] + c) | 0;
    state[3] = (state[3] + d) | 0;
    state[4] = (state[4] + e) | 0;
    state[5] = (state[5] + f) | 0;
    state[6] = (state[6] + g) | 0;
    state[7] = (state[7] + h) | 0;
  }

  /* SHA-256 of a Uint8Array in plain JavaScript, as 64 lower-case hex digits. */
  function sha256Js(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError("sha256Js needs a Uint8Array.");
    const state = new Int32Array(INITIAL);
    const w = new Int32Array(64);
    const length = bytes.length;
    const whole = length - (length % 64);
    for (let offset = 0; offset < whole; offset += 64) block(state, bytes, offset, w);
    // Padding: 0x80, zeros, then the length in bits as a 64-bit big-endian integer.
    const tail = new Uint8Array(length % 64 < 56 ? 64 : 128);
    tail.set(bytes.subarray(whole));
    tail[length - whole] = 0x80;
    const bitsLow = (length * 8) >>> 0;
    const bitsHigh = Math.floor(length / 2 ** 29) >>> 0;
    for (let i = 0; i < 4; i++) {
      tail[tail.length - 1 - i] = (bitsLow >>> (8 * i)) & 0xff;
      tail[tail.length - 5 - i] = (bitsHigh >>> (8 * i)) & 0xff;
    }
    for (let offset = 0; offset < tail.length; offset += 64) block(state, tail, offset, w);
    let hex = "";
    for (let i = 0; i < 8; i++) hex += (state[i] >>> 0).toString(16).padStart(8, "0");
    return hex;
  }

  function toHex(buffer) {
    const bytes = new Uint8Array(buffer);
    let hex = "";
    for (let i = 0; i < bytes.length; i++) hex += bytes[i].toString(16).padStart(2, "0");
    return hex;
  }

  /* SHA-256 of a Uint8Array, as 64 lower-case hex digits: Web Crypto when the page is a
   * secure context, else sha256Js. Always returns a promise. */
  async function sha256(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError("sha256 needs a Uint8Array.");
    const subtle = root.crypto && root.crypto.subtle;
    if (subtle && typeof subtle.digest === "function") {
      try {
        return toHex(await subtle.digest("SHA-256", bytes));
      } catch (error) {
        // A browser that exposes subtle but refuses the digest: compute it ourselves.
      }
    }
    return sha256Js(bytes);
  }

  ns.sha256 = sha256;
  ns.sha256Js = sha256Js;
})(globalThis);
