/* Report Remove: hash an image on the child's own device, so that only numbers leave it.
 *
 *   const result = await TellsafeHash.hashFile(file);
 *   // {pdq: "<64 hex>", quality: 0-100, md5: "<32 hex>", sha256: "<64 hex>", width, height}
 *
 * On failure the promise rejects with an Error whose .code is one of:
 *   not_image      not a JPEG, PNG, GIF, WebP or BMP file (or empty);
 *   too_large      over MAX_FILE_BYTES, or over MAX_PIXELS once decoded;
 *   decode_failed  an image we cannot decode whole (damaged, truncated, out of memory).
 *
 * It builds on pdq.js, md5.js and sha256.js from the same folder. A page should include
 * all four, in that order, with defer; if it includes hash.js alone, hash.js adds the
 * missing ones itself (see loadMissingParts). Plain scripts: no module, no eval, no
 * request anywhere but this site. They run under script-src 'self'.
 *
 * Why the decode path is as it is (docs/adr/0017-pdq-in-the-browser.md):
 * - The server hashes the full-resolution picture after EXIF orientation, with the alpha
 *   channel dropped (matching/hashing/decode.py). createImageBitmap with
 *   imageOrientation "from-image" applies the same orientation, and colorSpaceConversion
 *   "none" keeps the stored colours, as Pillow does (it ignores ICC profiles).
 * - The file's format and size are read from its own header before any pixel is decoded,
 *   so that a small file claiming a huge picture (a decompression bomb) is refused at
 *   once, and a truncated file is refused instead of being hashed half grey (browsers
 *   draw what they have of a truncated image; the server refuses it).
 * - Pixels are read through a small canvas, one tile at a time, into a single float32
 *   luma plane: memory stays near 4 bytes a pixel beyond the decoded bitmap, and no
 *   canvas ever exceeds the size limits of mobile browsers.
 */
(function (root) {
  "use strict";

  const ns = (root.TellsafeHash = root.TellsafeHash || {});

  // Limits: a phone has far less memory than the server (whose default is 64 MP). Phone
  // photos are 12 to 24 MP by default and 48 MP modes fit; only the 108 and 200 MP modes
  // of some cameras are refused. Peak memory is about 8 bytes a pixel plus the file.
  const MAX_FILE_BYTES = 50 * 1024 * 1024;
  const MAX_PIXELS = 50 * 1000 * 1000;
  // Largest canvas used to read pixels back: 1 MP (4 MB of RGBA), at most 4096 wide.
  const TILE_PIXELS = 1 << 20;
  const TILE_SIDE = 4096;

  function failure(code, message) {
    const error = new Error(message);
    error.code = code;
    return error;
  }

  // The scripts hash.js builds on, and a function each one defines.
  const PARTS = [
    ["pdq.js", "pdqFromLuma"],
    ["md5.js", "md5"],
    ["sha256.js", "sha256"],
  ];

  function partsMissing() {
    return PARTS.filter((part) => typeof ns[part[1]] !== "function");
  }

  /* Add the parts the page did not include, from hash.js's own folder, in order. With
   * hashed static file names in production, the plain names are still served (the
   * static files storage keeps the originals). In a Worker there is no document:
   * importScripts the four files there. */
  function loadMissingParts() {
    const missing = partsMissing();
    const current = root.document && root.document.currentScript;
    if (!missing.length || !current || !current.src) return Promise.resolve();
    const loads = missing.map(
      (part) =>
        new Promise((resolve, reject) => {
          const script = root.document.createElement("script");
          script.src = new URL(part[0], current.src).href;
          script.async = false; // run in the order added (they do not depend on each other)
          script.onload = resolve;
          script.onerror = () => reject(new Error(`${part[0]} did not load.`));
          root.document.head.appendChild(script);
        }),
    );
    return Promise.all(loads);
  }

  // Settled (never rejected) once the parts are loaded or have failed to.
  const ready = loadMissingParts().catch((error) => error);

  function u16be(b, at) {
    return (b[at] << 8) | b[at + 1];
  }
  function u16le(b, at) {
    return b[at] | (b[at + 1] << 8);
  }
  function u32be(b, at) {
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }
  function u32le(b, at) {
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  }
  function startsWith(b, signature, at) {
    const offset = at || 0;
    if (b.length < offset + signature.length) return false;
    for (let i = 0; i < signature.length; i++) {
      if (b[offset + i] !== signature.charCodeAt(i)) return false;
    }
    return true;
  }

  function truncated(format) {
    return failure("decode_failed", `The ${format} file is incomplete or damaged.`);
  }

  /* JPEG: the first frame header's size, and proof that the first image is whole: its
   * markers are walked, and the entropy-coded data is scanned to the end-of-image marker.
   * Bytes after that marker (a phone's second picture, trailers) are not looked at. */
  function inspectJpeg(b) {
    let width = 0;
    let height = 0;
    let scanned = false;
    let at = 2;
    for (;;) {
      if (at + 1 >= b.length) throw truncated("JPEG");
      if (b[at] !== 0xff) throw truncated("JPEG");
      const marker = b[at + 1];
      if (marker === 0xff) {
        at += 1; // fill byte
        continue;
      }
      if (marker === 0xd9) break; // end of image
      if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
        at += 2; // markers without a length
        continue;
      }
      if (at + 3 >= b.length) throw truncated("JPEG");
      const end = at + 2 + u16be(b, at + 2);
      if (end > b.length) throw truncated("JPEG");
      const isFrame = marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);
      if (isFrame && !width) {
        if (end - at < 9) throw truncated("JPEG");
        height = u16be(b, at + 5);
        width = u16be(b, at + 7);
      }
      at = end;
      if (marker === 0xda) {
        scanned = true;
        // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00
        // nor a restart marker.
        for (;;) {
          at = b.indexOf(0xff, at);
          if (at < 0 || at + 1 >= b.length) throw truncated("JPEG");
          const next = b[at + 1];
          if (next === 0x00 || (next >= 0xd0 && next <= 0xd7)) at += 2;
          else if (next === 0xff) at += 1;
          else break;
        }
      }
    }
    // A height of 0 (set later by a DNL marker) is not supported by libjpeg either.
    if (!scanned || !width || !height) throw truncated("JPEG");
    return { format: "JPEG", width: width, height: height };
  }

  /* PNG: the header's size, and every chunk present up to IEND. */
  function inspectPng(b) {
    if (b.length < 33 || !startsWith(b, "IHDR", 12)) throw truncated("PNG");
    const width = u32be(b, 16);
    const height = u32be(b, 20);
    let at = 8;
    for (;;) {
      if (at + 12 > b.length) throw truncated("PNG");
      const end = at + 12 + u32be(b, at);
      if (end > b.length) throw truncated("PNG");
      if (startsWith(b, "IEND", at + 4)) break;
      at = end;
    }
    if (!width || !height) throw truncated("PNG");
    return { format: "PNG", width: width, height: height };
  }

  /* GIF: the logical screen's size, and the first frame's data complete (only the first
   * frame is hashed, here and on the server). Also the palette colour of the first
   * frame's transparent index, if it has one: browsers decode those pixels as transparent
   * black, whereas the server hashes their palette colour. */
  function inspectGif(b) {
    if (b.length < 13) throw truncated("GIF");
    const width = u16le(b, 6);
    const height = u16le(b, 8);
    const tableSize = (flags) => (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
    const skipSubBlocks = (from) => {
      let at = from;
      for (;;) {
        if (at >= b.length) throw truncated("GIF");
        const size = b[at];
        at += 1 + size;
        if (size === 0) return at;
      }
    };
    const globalTable = 13;
    let at = globalTable + tableSize(b[10]);
    let transparentIndex = -1;
    let transparentColour = null;
    for (;;) {
      if (at >= b.length) throw truncated("GIF");
      const kind = b[at];
      if (kind === 0x21) {
        // Graphic control extension: 0x21 0xF9 4 flags delay(2) index 0
        if (b[at + 1] === 0xf9 && at + 6 < b.length && b[at + 2] === 4) {
          transparentIndex = b[at + 3] & 1 ? b[at + 6] : -1;
        }
        at = skipSubBlocks(at + 2); // extension: introducer, label, sub-blocks
      } else if (kind === 0x2c) {
        if (at + 10 > b.length) throw truncated("GIF");
        const localTable = tableSize(b[at + 9]);
        const table = localTable ? at + 10 : tableSize(b[10]) ? globalTable : -1;
        const entries = (localTable || tableSize(b[10])) / 3;
        const entry = table + 3 * transparentIndex;
        if (transparentIndex >= 0 && transparentIndex < entries && entry + 2 < b.length) {
          transparentColour = [b[entry], b[entry + 1], b[entry + 2]];
        }
        at = skipSubBlocks(at + 10 + localTable + 1); // + LZW code size
        break;
      } else {
        throw truncated("GIF"); // the trailer before any frame, or garbage
      }
    }
    if (!width || !height) throw truncated("GIF");
    return { format: "GIF", width: width, height: height, transparentColour: transparentColour };
  }

  /* WebP: the size from the first chunk (lossy, lossless or extended), and the whole
   * RIFF container present. */
  function inspectWebp(b) {
    if (b.length < 30 || u32le(b, 4) + 8 > b.length) throw truncated("WebP");
    const data = 20;
    let width = 0;
    let height = 0;
    if (startsWith(b, "VP8 ", 12)) {
      if (b[data + 3] !== 0x9d || b[data + 4] !== 0x01 || b[data + 5] !== 0x2a) {
        throw truncated("WebP");
      }
      width = u16le(b, data + 6) & 0x3fff;
      height = u16le(b, data + 8) & 0x3fff;
    } else if (startsWith(b, "VP8L", 12)) {
      const bits = u32le(b, data + 1);
      width = (bits & 0x3fff) + 1;
      height = ((bits >>> 14) & 0x3fff) + 1;
    } else if (startsWith(b, "VP8X", 12)) {
      width = (b[data + 4] | (b[data + 5] << 8) | (b[data + 6] << 16)) + 1;
      height = (b[data + 7] | (b[data + 8] << 8) | (b[data + 9] << 16)) + 1;
    } else {
      throw truncated("WebP");
    }
    if (!width || !height) throw truncated("WebP");
    return { format: "WebP", width: width, height: height };
  }

  /* BMP: the header's size, and (when uncompressed) all the rows present. */
  function inspectBmp(b) {
    if (b.length < 26) throw truncated("BMP");
    const pixelsAt = u32le(b, 10);
    const header = u32le(b, 14);
    let width;
    let height;
    let bitsPerPixel;
    let compression = 0;
    if (header === 12) {
      width = u16le(b, 18);
      height = u16le(b, 20);
      bitsPerPixel = u16le(b, 24);
    } else {
      if (b.length < 34) throw truncated("BMP");
      width = u32le(b, 18) | 0;
      height = Math.abs(u32le(b, 22) | 0); // negative: rows stored top down
      bitsPerPixel = u16le(b, 28);
      compression = u32le(b, 30);
    }
    if (width <= 0 || !height) throw truncated("BMP");
    // Uncompressed (0) or bit fields (3, 6): rows of 4-byte-aligned pixels.
    let needed = pixelsAt + 1;
    if (compression === 0 || compression === 3 || compression === 6) {
      needed = pixelsAt + Math.floor((bitsPerPixel * width + 31) / 32) * 4 * height;
    }
    if (needed > b.length) throw truncated("BMP");
    return { format: "BMP", width: width, height: height };
  }

  /* The format and size from the file's own bytes (its name and MIME type are only what
   * the device claims). Throws a coded Error for anything we will not decode. */
  function inspect(bytes) {
    if (startsWith(bytes, "\xff\xd8\xff")) return inspectJpeg(bytes);
    if (startsWith(bytes, "\x89PNG\r\n\x1a\n")) return inspectPng(bytes);
    if (startsWith(bytes, "GIF87a") || startsWith(bytes, "GIF89a")) return inspectGif(bytes);
    if (startsWith(bytes, "RIFF") && startsWith(bytes, "WEBP", 8)) return inspectWebp(bytes);
    if (startsWith(bytes, "BM")) return inspectBmp(bytes);
    throw failure("not_image", "The file is not a JPEG, PNG, GIF, WebP or BMP image.");
  }

  /* Decode to an ImageBitmap, oriented as EXIF says, colours as stored. Older browsers
   * (Firefox before 111, Safari before 17) spell "from-image" as "none" and reject the
   * new word with a TypeError (in them, "none" meant "apply the orientation"; it means
   * the opposite now). */
  async function decodeBitmap(blob) {
    if (typeof root.createImageBitmap !== "function") {
      throw failure("decode_failed", "This browser cannot decode images for hashing.");
    }
    const options = {
      imageOrientation: "from-image",
      colorSpaceConversion: "none",
      premultiplyAlpha: "none",
    };
    try {
      return await root.createImageBitmap(blob, options);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      options.imageOrientation = "none";
      return await root.createImageBitmap(blob, options);
    }
  }

  /* Let the page breathe between long steps (repaint a "working" message, take a tap),
   * since hashing a photo takes a noticeable part of a second on a phone. */
  function pause() {
    if (root.scheduler && typeof root.scheduler.yield === "function") {
      return root.scheduler.yield();
    }
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  function makeCanvas(width, height) {
    if (typeof root.OffscreenCanvas === "function") return new root.OffscreenCanvas(width, height);
    const canvas = root.document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }

  /* The bitmap's luma plane, read through a small canvas one tile at a time. Drawing
   * with the "copy" operator and no smoothing copies the pixels exactly, and clears
   * what an earlier tile left. Also says whether every pixel was opaque: a 2D canvas
   * stores premultiplied colour, so the colour of a pixel that is not opaque comes back
   * rounded (and black where it is fully transparent), while the server hashes the
   * colour as stored (see the ADR). Fully transparent pixels take the luma of
   * transparentColour when given (a GIF's transparent palette entry). */
  async function lumaOfBitmap(bitmap, transparentColour) {
    const width = bitmap.width;
    const height = bitmap.height;
    const tileWidth = Math.min(width, TILE_SIDE);
    const tileHeight = Math.min(height, Math.max(1, Math.floor(TILE_PIXELS / tileWidth)));
    const canvas = makeCanvas(tileWidth, tileHeight);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    if (!context) throw failure("decode_failed", "No canvas is available to read pixels.");
    context.imageSmoothingEnabled = false;
    context.globalCompositeOperation = "copy";
    const luma = new Float32Array(width * height);
    const fill = new Float32Array(1);
    if (transparentColour) ns.lumaTile(transparentColour.concat(255), 1, 1, fill, 1, 0, 0);
    let alpha = 255;
    for (let top = 0; top < height; top += tileHeight) {
      const rows = Math.min(tileHeight, height - top);
      await pause();
      for (let left = 0; left < width; left += tileWidth) {
        const columns = Math.min(tileWidth, width - left);
        context.drawImage(bitmap, left, top, columns, rows, 0, 0, columns, rows);
        const rgba = context.getImageData(0, 0, columns, rows).data;
        ns.lumaTile(rgba, columns, rows, luma, width, left, top);
        for (let i = 3; i < rgba.length; i += 4) alpha &= rgba[i];
        if (transparentColour && alpha !== 255) {
          for (let y = 0, i = 3; y < rows; y++) {
            const row = (top + y) * width + left;
            for (let x = 0; x < columns; x++, i += 4) if (rgba[i] === 0) luma[row + x] = fill[0];
          }
        }
      }
    }
    return { luma: luma, width: width, height: height, opaque: alpha === 255 };
  }

  /* The luma of a picture that is not opaque, with each pixel's colour as stored, read
   * through WebGL: a texture uploaded without premultiplication keeps the stored colour
   * even under alpha 0, and a framebuffer returns it exactly. This matches the server,
   * which drops alpha. Returns null where WebGL is not available. The picture is
   * uploaded in tiles, cropped from the bitmap, so no texture exceeds the GPU's limit. */
  async function lumaOfBitmapStoredColour(bitmap) {
    const canvas = makeCanvas(1, 1);
    const gl = canvas.getContext("webgl", { premultipliedAlpha: false, antialias: false });
    if (!gl) return null;
    try {
      const side = Math.min(gl.getParameter(gl.MAX_TEXTURE_SIZE) || 0, 2048);
      if (side < 64) return null;
      const width = bitmap.width;
      const height = bitmap.height;
      const texture = gl.createTexture();
      const framebuffer = gl.createFramebuffer();
      gl.bindTexture(gl.TEXTURE_2D, texture);
      gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
      gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
      gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
      gl.pixelStorei(gl.PACK_ALIGNMENT, 1);
      gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
      const luma = new Float32Array(width * height);
      const rgba = new Uint8Array(side * side * 4);
      for (let top = 0; top < height; top += side) {
        const rows = Math.min(side, height - top);
        for (let left = 0; left < width; left += side) {
          const columns = Math.min(side, width - left);
          const tile = await root.createImageBitmap(bitmap, left, top, columns, rows, {
            premultiplyAlpha: "none",
            colorSpaceConversion: "none",
          });
          gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, tile);
          tile.close();
          gl.framebufferTexture2D(
            gl.FRAMEBUFFER,
            gl.COLOR_ATTACHMENT0,
            gl.TEXTURE_2D,
            texture,
            0,
          );
          if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
          const view = rgba.subarray(0, columns * rows * 4);
          gl.readPixels(0, 0, columns, rows, gl.RGBA, gl.UNSIGNED_BYTE, view);
          if (gl.getError() !== gl.NO_ERROR) return null;
          ns.lumaTile(view, columns, rows, luma, width, left, top);
        }
      }
      return luma;
    } finally {
      const lose = gl.getExtension("WEBGL_lose_context");
      if (lose) lose.loseContext(); // free the GPU memory now, not at garbage collection
    }
  }

  /* Hash an image File or Blob: PDQ of its pixels, MD5 and SHA-256 of its bytes. */
  async function hashFile(file) {
    await ready;
    if (partsMissing().length) {
      const names = partsMissing().map((part) => part[0]);
      throw failure("decode_failed", `The page did not load ${names.join(", ")}.`);
    }
    if (!(root.Blob && file instanceof root.Blob)) {
      throw failure("not_image", "hashFile needs a File or a Blob.");
    }
    if (file.size === 0) throw failure("not_image", "The file is empty.");
    if (file.size > MAX_FILE_BYTES) {
      throw failure("too_large", `The file is over ${MAX_FILE_BYTES} bytes.`);
    }
    let bytes;
    try {
      bytes = new Uint8Array(await file.arrayBuffer());
    } catch (error) {
      throw failure("decode_failed", "The file could not be read.");
    }
    const info = inspect(bytes);
    if (info.width * info.height > MAX_PIXELS) {
      throw failure("too_large", `The picture has over ${MAX_PIXELS} pixels.`);
    }
    await pause();
    const md5 = ns.md5(bytes);
    await pause();
    const sha256 = await ns.sha256(bytes);
    // Decode the very bytes that were hashed, even if the file changes on the device.
    const blob = new Blob([bytes]);
    bytes = null;
    let bitmap;
    try {
      bitmap = await decodeBitmap(blob);
    } catch (error) {
      if (error && error.code) throw error;
      throw failure("decode_failed", `The ${info.format} image could not be decoded.`);
    }
    let pixels;
    try {
      if (bitmap.width * bitmap.height > MAX_PIXELS) {
        throw failure("too_large", `The picture has over ${MAX_PIXELS} pixels.`);
      }
      pixels = await lumaOfBitmap(bitmap, info.transparentColour);
      if (!pixels.opaque && !info.transparentColour) {
        // Without WebGL, the canvas colours stand: see lumaOfBitmap and the ADR.
        const stored = await lumaOfBitmapStoredColour(bitmap).catch(() => null);
        if (stored) pixels.luma = stored;
      }
    } catch (error) {
      if (error && error.code) throw error;
      throw failure("decode_failed", "The image is too big for this device's memory.");
    } finally {
      bitmap.close();
    }
    await pause();
    const pdq = ns.pdqFromLuma(pixels.luma, pixels.width, pixels.height);
    return {
      pdq: pdq.hash,
      quality: pdq.quality,
      md5: md5,
      sha256: sha256,
      width: pixels.width,
      height: pixels.height,
    };
  }

  ns.hashFile = hashFile;
  ns.MAX_FILE_BYTES = MAX_FILE_BYTES;
  ns.MAX_PIXELS = MAX_PIXELS;
})(globalThis);
