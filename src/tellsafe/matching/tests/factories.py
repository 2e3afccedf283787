"""Banks and hashes for tests."""

from __future__ import annotations

import random
from typing import Any

from tellsafe.core import audit
from tellsafe.matching import services
from tellsafe.matching.formats import HashRecord
from tellsafe.matching.models import Bank

SYSTEM = audit.Actor.system()


def bank(name: str = "iwf-list", **kw: Any) -> Bank:
    kw.setdefault("source", Bank.Source.IWF)
    kw.setdefault("legal_scope", Bank.LegalScope.BASELINE)
    return services.bank_create(name=name, actor=SYSTEM, **kw)


def pdq_hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def flip(value: str, bits: list[int]) -> str:
    """``value`` with the given bit positions (0-255) inverted."""
    n = int(value, 16)
    for b in bits:
        n ^= 1 << b
    return f"{n:064x}"


def add(bank: Bank, *values: str, hash_type: str = "pdq", quality: int | None = 90) -> None:
    services.hashes_add(
        bank=bank,
        records=[HashRecord(hash_type, v, quality if hash_type == "pdq" else None) for v in values],
        actor=SYSTEM,
    )
