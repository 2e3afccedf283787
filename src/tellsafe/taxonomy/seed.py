"""Loading the harm taxonomy from fixtures/taxonomy.json. Used by the data migration (with
the historical model) and by tests that flush the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "taxonomy.json"


def seed(model: Any) -> int:
    """Create or update every category of the fixture; returns how many there are."""
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for row in rows:
        row = dict(row)
        code = row.pop("code")
        model.objects.update_or_create(code=code, defaults=row)
    return len(rows)
