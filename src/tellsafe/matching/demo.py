"""Demo banks for ``tellsafe demo``: a newcomer can look up, download and match at once.

The "known" images are generated pictures (gradients and shapes), nothing else: their
PDQ hashes fill a demo bank, one copy is written to ``DATA_DIR/demo/`` so the hash API can
be tried on it, and a demo partner gets an API key (printed once) that may use it.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from django.conf import settings
from PIL import Image, ImageDraw

from tellsafe.core import audit
from tellsafe.matching import hashing, services
from tellsafe.matching.formats import HashRecord
from tellsafe.matching.models import Bank

KNOWN = "demo-known"
HARMLESS = "demo-harmless"
PARTNER = "Demo ISP"


def picture(seed: int) -> bytes:
    """A harmless generated PNG: a colour gradient with a few shapes."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, 320, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, 240, dtype=np.float32)[:, None]
    rgb = np.stack(
        [np.broadcast_to(x, (240, 320)), np.broadcast_to(y, (240, 320)), (x + y) / 2], axis=2
    )
    image = Image.fromarray(rgb.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = int(rng.integers(0, 260)), int(rng.integers(0, 180))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((x0, y0, x0 + 60, y0 + 60), fill=colour)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def ensure_demo_banks() -> list[str]:
    """Create what is missing; returns lines to print (the partner key, once)."""
    lines: list[str] = []
    system = audit.Actor.system()
    if Bank.objects.filter(name=KNOWN).exists():
        return lines
    known = services.bank_create(
        name=KNOWN,
        title="Demo: generated pictures standing in for known material",
        source=Bank.Source.ANALYSTS,
        legal_scope=Bank.LegalScope.BASELINE,
        shareable=True,
        actor=system,
    )
    pictures = [picture(seed) for seed in range(5)]
    records = []
    for data in pictures:
        pdq = hashing.get("pdq").hash_bytes(data)
        records.append(HashRecord("pdq", pdq.value, pdq.quality, "demo"))
        records.append(HashRecord("md5", hashing.get("md5").hash_bytes(data).value))
    services.hashes_add(bank=known, records=records, actor=system, source="demo")
    services.bank_create(
        name=HARMLESS,
        title="Demo: known harmless pictures (suppress matches)",
        source=Bank.Source.ANALYSTS,
        legal_scope=Bank.LegalScope.NONE,
        kind=Bank.Kind.NEGATIVE,
        actor=system,
    )
    folder = Path(settings.DATA_DIR) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "demo-known.png").write_bytes(pictures[0])

    from tellsafe.partners import selectors as partner_selectors
    from tellsafe.partners import services as partner_services

    isp = partner_selectors.partner_by_name(PARTNER) or partner_services.partner_create(
        name=PARTNER, kind="isp", country="IN", actor=system
    )
    services.bank_share(bank=known, partner=isp, actor=system)
    _, key = partner_services.api_key_create(
        partner=isp,
        label="demo",
        scopes=["hashes:compute", "match", "banks:read"],
        actor=system,
    )
    lines += [
        f"Demo banks: {KNOWN} ({len(records)} hashes, shared with {PARTNER}), {HARMLESS}.",
        f"Demo partner API key for {PARTNER} (shown once; not for real use):",
        f"  {key}",
        "  Try: curl -H 'Authorization: Bearer <key>' -F file=@var/demo/demo-known.png "
        "-F match=true http://127.0.0.1:8000/api/v1/hashes",
    ]
    return lines
