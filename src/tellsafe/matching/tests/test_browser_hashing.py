"""Report Remove's in-browser hashing (static/matching/*.js) in real headless Chromium
(Debian's package, driven by Playwright), compared with the server on the same bytes.

The scripts are loaded from the live server's /static/ into a page that carries the
site's Content-Security-Policy (script-src 'self'), as the Report Remove page will load
them. The page fetches each generated file from its own origin (the test answers those
requests itself) as a Blob and passes it to ``TellsafeHash.hashFile``. PDQ, quality,
MD5, SHA-256 and the oriented size must agree with ``hashing.get(...)`` on the server.

What must agree how (docs/adr/0017-pdq-in-the-browser.md):

* Lossless files (PNG, GIF, BMP, lossless WebP) decode to the very same pixels in the
  browser and in Pillow, and the script's PDQ is the server's float32 arithmetic, so
  hash and quality must be identical.
* JPEG and lossy WebP may decode with different rounding; the hash must stay within
  ``LOSSY_MAX_DISTANCE`` bits wherever the server's quality is at least 50 (below that,
  PDQ itself is unstable and the server marks the hash unusable).
"""

from __future__ import annotations

import hashlib
import io
import statistics
import struct
from functools import cache

import numpy as np
import pytest
from PIL import Image, ImageCms

from tellsafe.matching import hashing
from tellsafe.matching.hashing import pdq_numpy
from tellsafe.matching.hashing.decode import decode_rgb
from tellsafe.matching.hashing.pdq import QUALITY_THRESHOLD, distance, hash_rgb
from tellsafe.matching.tests import images

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


SCRIPTS = ("pdq.js", "md5.js", "sha256.js", "hash.js")  # the order a page includes them
LOSSY_MAX_DISTANCE = 4
QUALITY_TOLERANCE = 2
FILES = "/__test-files/"  # answered by the test's route, never by the server
LOSSLESS = ("PNG", "GIF", "BMP", "WEBP-lossless")

PDQ = hashing.get("pdq")


@pytest.fixture
def served() -> dict[str, bytes]:
    """Files the page may fetch, by path: see ``offer``."""
    return {}


@pytest.fixture
def open_page(browser, live_server, served):
    """Open a page of the live server, with its Content-Security-Policy, and add the
    given scripts from /static/matching/ as script tags."""
    contexts = []
    outside = []

    def route(route):
        # Nothing may leave the machine: any request to another host fails the test.
        # Paths in ``served`` are answered by the test itself (see ``offer``).
        url = route.request.url
        path = url[len(live_server.url) :] if url.startswith(live_server.url) else None
        if path in served:
            route.fulfill(body=served[path], content_type="application/octet-stream")
        elif path is not None:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    def open_page(scripts=SCRIPTS):
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        context.route("**/*", route)
        page = context.new_page()
        response = page.goto("/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.evaluate(
            """() => {
                window.cspViolations = [];
                document.addEventListener("securitypolicyviolation",
                    (event) => window.cspViolations.push(event.violatedDirective));
            }"""
        )
        for name in scripts:  # the real files, as the live server serves them
            page.add_script_tag(url=f"/static/matching/{name}")
        return page

    yield open_page
    violations = [v for c in contexts for p in c.pages for v in p.evaluate("cspViolations")]
    for context in contexts:
        context.close()
    assert not outside, f"third-party requests: {outside}"
    assert not violations, f"Content-Security-Policy violations: {violations}"


@pytest.fixture
def page(open_page):
    return open_page()


def offer(served: dict[str, bytes], files: list[bytes]) -> list[str]:
    """Make each file fetchable by the page, and return their paths.

    The page fetches them from its own origin (connect-src 'self'), and the route in
    ``page`` answers with the bytes: Playwright carries a route's body in binary, about
    three times faster than base64 strings through ``page.evaluate``.
    """
    paths = []
    for data in files:
        path = f"{FILES}{len(served)}"
        served[path] = data
        paths.append(path)
    return paths


# --- Test files ---------------------------------------------------------------------


def _png(image: Image.Image) -> bytes:
    return images.encode(image, "PNG", compress_level=1)


def _jpeg(image: Image.Image, quality: int = 90, **options: object) -> bytes:
    return images.encode(image, "JPEG", quality=quality, **options)


def _swapped_primaries_profile() -> bytes:
    """An ICC profile that maps red to blue: sRGB's, with the red and blue colorant tags
    swapped. A browser that applied it would hash different pixels; the server, like
    Pillow, ignores profiles, and so must the browser (colorSpaceConversion "none").
    Phones' photos carry such profiles (Display P3)."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack_from(">I", profile, 128)
    entry = {bytes(profile[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(count)}
    red, blue = entry[b"rXYZ"], entry[b"bXYZ"]
    profile[red + 4 : red + 12], profile[blue + 4 : blue + 12] = (
        profile[blue + 4 : blue + 12],
        profile[red + 4 : red + 12],
    )
    return bytes(profile)


def _opaque_rgba(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    rgba.putalpha(255)
    return rgba


@cache
def corpus() -> tuple[tuple[str, str, bytes], ...]:
    """(name, kind, file bytes): kind is a format, "WEBP-lossless" or "JPEG"/"WEBP"."""
    photo = images.photo_like(800, 600, 1)
    scene = images.photo_like(640, 480, 2)
    alpha = images.with_alpha(photo)
    paletted = images.palette(photo)
    profile = _swapped_primaries_profile()
    files = [
        # Sizes, from below PDQ's minimum to 4 MP, in PNG (identical pixels).
        ("png 4x4 (hashes to zero)", "PNG", _png(images.photo_like(4, 4, 3))),
        ("png 5x5", "PNG", _png(images.noise(5, 5, 3))),
        ("png 20x30", "PNG", _png(images.photo_like(20, 30, 4))),
        ("png 64x64 (not blurred)", "PNG", _png(images.photo_like(64, 64, 5))),
        ("png 63x65", "PNG", _png(images.photo_like(63, 65, 6))),
        ("png 320x240", "PNG", _png(images.photo_like(320, 240, 7))),
        ("png 1000x700", "PNG", _png(images.photo_like(1000, 700, 8))),
        ("png 1920x1080", "PNG", _png(images.photo_like(1920, 1080, 9))),
        ("png 2304x1728 (4 MP)", "PNG", _png(images.photo_like(2304, 1728, 10))),
        ("png 5000x400 (wider than a tile)", "PNG", _png(images.photo_like(5000, 400, 11))),
        ("png 300x3000", "PNG", _png(images.photo_like(300, 3000, 12))),
        ("png gradient", "PNG", _png(images.gradient(640, 480))),
        ("png checkerboard", "PNG", _png(images.checkerboard(512, 512))),
        ("png noise", "PNG", _png(images.noise(300, 200, 13))),
        ("png shapes", "PNG", _png(images.shapes(777, 555, 14))),
        # Colour modes.
        ("png L", "PNG", _png(photo.convert("L"))),
        ("png P", "PNG", _png(paletted)),
        ("png P 4-bit", "PNG", images.encode(images.palette(photo, 16), "PNG", bits=4)),
        ("png P with transparency", "PNG", images.encode(paletted, "PNG", transparency=3)),
        ("png 1-bit", "PNG", _png(photo.convert("1"))),
        ("png I;16", "PNG", _png(images.grey16(scene))),
        ("png RGBA opaque", "PNG", _png(_opaque_rgba(photo))),
        ("png with a colour profile", "PNG", images.encode(scene, "PNG", icc_profile=profile)),
        ("png RGBA with transparency", "PNG", _png(alpha)),
        ("png LA with transparency", "PNG", _png(alpha.convert("LA"))),
        # Other lossless formats.
        ("gif", "GIF", images.encode(images.palette(scene), "GIF")),
        ("gif with transparency", "GIF", images.encode(paletted, "GIF", transparency=3)),
        ("bmp", "BMP", images.encode(scene, "BMP")),
        ("webp lossless", "WEBP-lossless", images.encode(scene, "WEBP", lossless=True)),
        (
            "webp lossless with transparency",
            "WEBP-lossless",
            images.encode(alpha, "WEBP", lossless=True, exact=True),
        ),
        # JPEG: qualities, subsampling, progressive, grey, CMYK, sizes, orientation.
        *((f"jpeg q{q}", "JPEG", _jpeg(photo, q)) for q in (30, 50, 75, 90, 95, 100)),
        ("jpeg 4:4:4", "JPEG", _jpeg(photo, 90, subsampling=0)),
        ("jpeg 4:2:2", "JPEG", _jpeg(photo, 90, subsampling=1)),
        ("jpeg progressive", "JPEG", _jpeg(photo, 85, progressive=True)),
        ("jpeg grey", "JPEG", _jpeg(photo.convert("L"))),
        ("jpeg CMYK", "JPEG", images.cmyk_jpeg(scene)),
        ("jpeg with a colour profile", "JPEG", _jpeg(scene, icc_profile=profile)),
        ("jpeg 20x30", "JPEG", _jpeg(images.photo_like(20, 30, 15), 75)),
        ("jpeg shapes", "JPEG", _jpeg(images.shapes(640, 480, 16), 80)),
        ("jpeg noise", "JPEG", _jpeg(images.noise(256, 256, 17))),
        ("jpeg 2048x1536", "JPEG", _jpeg(images.photo_like(2048, 1536, 18), 85)),
        ("jpeg 1728x2304 (4 MP)", "JPEG", _jpeg(images.photo_like(1728, 2304, 19), 92)),
        *(
            (f"jpeg EXIF orientation {o}", "JPEG", images.oriented_jpeg(scene, o))
            for o in (2, 3, 5, 6, 8)
        ),
        (
            "jpeg 1600x1200 EXIF orientation 6",
            "JPEG",
            images.oriented_jpeg(images.photo_like(1600, 1200, 20), 6, quality=80),
        ),
        # Lossy WebP.
        ("webp lossy", "WEBP", images.encode(scene, "WEBP", quality=85)),
        ("webp lossy with transparency", "WEBP", images.encode(alpha, "WEBP", quality=85)),
    ]
    return tuple(files)


# --- Helpers ------------------------------------------------------------------------

_HASH_FILES = """async (paths) => {
    const results = [];
    for (const path of paths) {
        const blob = await (await fetch(path)).blob();
        try {
            results.push(await TellsafeHash.hashFile(blob));
        } catch (error) {
            results.push({error: error.code || String(error), isError: error instanceof Error});
        }
    }
    return results;
}"""


def hash_in_browser(page, served: dict[str, bytes], files: list[bytes]) -> list[dict]:
    """hashFile on each file, in one evaluate call."""
    return page.evaluate(_HASH_FILES, offer(served, files))


# --- Tests --------------------------------------------------------------------------


def test_hash_file_agrees_with_the_server(page, served):
    files = corpus()
    assert len(files) >= 40
    results = hash_in_browser(page, served, [data for _, _, data in files])
    distances, usable_distances, failures = [], [], []
    for (name, kind, data), got in zip(files, results, strict=True):
        assert "error" not in got, f"{name}: {got}"
        server = PDQ.hash_bytes(data)
        rgb, _ = decode_rgb(io.BytesIO(data), max_pixels=10**9)
        bits = distance(got["pdq"], server.value)
        distances.append(bits)
        if server.quality >= QUALITY_THRESHOLD:
            usable_distances.append(bits)
        assert got["md5"] == hashlib.md5(data).hexdigest(), name  # noqa: S324 - a file id
        assert got["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert (got["height"], got["width"]) == rgb.shape[:2], name
        if kind in LOSSLESS:
            ok = got["pdq"] == server.value and got["quality"] == server.quality
        else:
            ok = abs(got["quality"] - server.quality) <= QUALITY_TOLERANCE and (
                server.quality < QUALITY_THRESHOLD or bits <= LOSSY_MAX_DISTANCE
            )
        if not ok:
            failures.append(f"{name}: {bits} bits, quality {got['quality']}/{server.quality}")
    print(
        f"\n{len(files)} files: PDQ distance browser/server max {max(distances)}, "
        f"mean {statistics.mean(distances):.2f}; quality >= {QUALITY_THRESHOLD} "
        f"({len(usable_distances)} files): max {max(usable_distances)}, "
        f"mean {statistics.mean(usable_distances):.2f}"
    )
    assert not failures, failures
    assert len(usable_distances) >= 35  # the corpus is mostly hashes worth matching


def test_pdq_of_pixels_is_the_server_bit_for_bit(page, served):
    """pdqFromImageData on raw pixels, away from any decoder: every size class of the
    filter (no blur at 64 x 64, windows of 1 to 24) and the zero hash under 5 pixels.
    Alpha is random: it must be ignored."""
    matrix = page.evaluate("Array.from(TellsafeHash.pdqDctMatrix())")
    assert matrix == pdq_numpy.DCT_MATRIX.reshape(-1).tolist()
    rng = np.random.default_rng(7)
    pictures = [
        np.asarray(images.noise(4, 9, 1)),
        np.asarray(images.noise(5, 5, 2)),
        np.asarray(images.photo_like(64, 64, 3)),
        np.asarray(images.photo_like(65, 63, 4)),
        np.asarray(images.photo_like(129, 257, 5)),
        np.asarray(images.gradient(300, 200)),  # near-tied coefficients
        np.asarray(images.photo_like(3001, 300, 6)),
        rng.integers(0, 256, (700, 1000, 3), dtype=np.uint8),
    ]
    shapes, planes = [], []
    for rgb in pictures:
        height, width = rgb.shape[:2]
        alpha = rng.integers(0, 256, (height, width, 1), np.uint8)
        planes.append(np.concatenate([rgb, alpha], 2).tobytes())
        shapes.append([width, height])
    got = page.evaluate(
        """async ([paths, shapes]) => {
            const out = [];
            for (let i = 0; i < paths.length; i++) {
                const bytes = await (await fetch(paths[i])).arrayBuffer();
                const rgba = new Uint8ClampedArray(bytes);
                out.push(TellsafeHash.pdqFromImageData(rgba, shapes[i][0], shapes[i][1]));
            }
            return out;
        }""",
        [offer(served, planes), shapes],
    )
    for rgb, result, shape in zip(pictures, got, shapes, strict=True):
        expected = hash_rgb(np.ascontiguousarray(rgb))
        assert result == {"hash": expected.value, "quality": expected.quality}, shape


def test_md5_and_sha256_on_block_boundaries(page, served):
    """The padding edge cases of both digests, and a 1 MB buffer; sha256() also without
    crypto.subtle, as on a plain-http LAN deployment."""
    rng = np.random.default_rng(3)
    buffers = [rng.bytes(n) for n in (0, 1, 55, 56, 63, 64, 65, 119, 120, 1_000_000)]
    got = page.evaluate(
        """async (paths) => {
            const out = [];
            let bytes;
            for (const path of paths) {
                bytes = new Uint8Array(await (await fetch(path)).arrayBuffer());
                out.push({
                    md5: TellsafeHash.md5(bytes),
                    sha256Js: TellsafeHash.sha256Js(bytes),
                    sha256: await TellsafeHash.sha256(bytes),
                });
            }
            // As in an insecure context: no crypto.subtle at all.
            Object.defineProperty(crypto, "subtle", {value: undefined, configurable: true});
            out.push({withoutSubtle: await TellsafeHash.sha256(bytes)});
            return out;
        }""",
        offer(served, buffers),
    )
    for data, digests in zip(buffers, got, strict=False):
        md5 = hashlib.md5(data).hexdigest()  # noqa: S324 - a file id
        sha256 = hashlib.sha256(data).hexdigest()
        assert digests == {"md5": md5, "sha256Js": sha256, "sha256": sha256}, len(data)
    assert got[-1] == {"withoutSubtle": hashlib.sha256(buffers[-1]).hexdigest()}


def test_bad_files_are_refused_with_a_code(page, served):
    photo = images.photo_like(320, 240, 21)
    jpeg = _jpeg(photo)
    png = _png(photo)
    gif = images.encode(images.palette(photo), "GIF")
    cases = [
        ("text", b"Hello, this is not a picture.\n", "not_image"),
        ("empty", b"", "not_image"),
        ("truncated JPEG", jpeg[: len(jpeg) // 2], "decode_failed"),
        ("JPEG cut before its last two bytes", jpeg[:-2], "decode_failed"),
        ("JPEG header only", jpeg[:200], "decode_failed"),
        ("truncated PNG", png[: len(png) // 2], "decode_failed"),
        ("PNG signature only", png[:8], "decode_failed"),
        ("truncated GIF", gif[: len(gif) // 2], "decode_failed"),
        ("PNG claiming 10000 x 6000 pixels", images.png_claiming(10_000, 6_000), "too_large"),
        ("JPEG with garbage instead of data", jpeg[:600] + b"\x00" * 5000, "decode_failed"),
        ("TIFF", images.encode(photo, "TIFF"), "not_image"),
    ]
    results = hash_in_browser(page, served, [data for _, data, _ in cases])
    for (name, _, code), got in zip(cases, results, strict=True):
        assert got == {"error": code, "isError": True}, name
    too_big = page.evaluate(
        """async () => {
            const blob = new Blob([new Uint8Array(TellsafeHash.MAX_FILE_BYTES + 1)]);
            const codes = [];
            for (const input of [blob, "not a file", null]) {
                try { await TellsafeHash.hashFile(input); codes.push("hashed"); }
                catch (error) { codes.push(error.code); }
            }
            return codes;
        }"""
    )
    assert too_big == ["too_large", "not_image", "not_image"]


def test_hash_js_alone_loads_its_parts(open_page, served):
    """A page that includes only hash.js (one script tag) still hashes: hash.js adds
    pdq.js, md5.js and sha256.js from its own folder, under the same policy."""
    page = open_page(scripts=("hash.js",))
    data = _png(images.photo_like(400, 300, 23))
    [got] = hash_in_browser(page, served, [data])
    server = PDQ.hash_bytes(data)
    assert (got["pdq"], got["quality"]) == (server.value, server.quality)
    assert got["md5"] == hashlib.md5(data).hexdigest()  # noqa: S324 - a file id
    loaded = page.evaluate(
        "Array.from(document.scripts, (s) => new URL(s.src || location.href).pathname)"
    )
    assert {f"/static/matching/{name}" for name in SCRIPTS} <= set(loaded)


def test_a_12_megapixel_photo(page, served):
    """A phone photo's size (4032 x 3024): it agrees with the server, and the time taken
    is printed for the ADR (tests do not assert timings)."""
    data = _jpeg(images.photo_like(4032, 3024, 22), 90)
    timing = page.evaluate(
        """async (path) => {
            const blob = await (await fetch(path)).blob();
            const times = [];
            let result;
            for (let run = 0; run < 3; run++) {
                const start = performance.now();
                result = await TellsafeHash.hashFile(blob);
                times.push(Math.round(performance.now() - start));
            }
            return {result: result, times: times};
        }""",
        offer(served, [data])[0],
    )
    server = PDQ.hash_bytes(data)
    got = timing["result"]
    assert (got["width"], got["height"]) == (4032, 3024)
    assert distance(got["pdq"], server.value) <= LOSSY_MAX_DISTANCE
    assert got["sha256"] == hashlib.sha256(data).hexdigest()
    print(f"\n12 MP JPEG ({len(data)} bytes): hashFile took {timing['times']} ms")
