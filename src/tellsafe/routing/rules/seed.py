"""What every installation starts with: the default routing rules and the hotline
directory (``routing/data/hotlines.json``). The data migration seeds them; tests that
flush tables seed them again (``seed_defaults``). Seeding never overwrites: rules are
seeded only where there are none, hotlines only where the directory is empty."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data" / "hotlines.json"

_ILLEGAL = ["baseline", "national"]

# The rules every installation starts with: a takedown at home (or to the CDN in
# front), a forward to the hosting country's hotline, NCMEC or INTERPOL where there is
# none (ROUTING_NO_HOTLINE_DESTINATIONS picks which), and never anything for content
# assessed as not illegal. The police for a child in danger now is built into the engine.
DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "position": 10,
        "name": "Hosted here: takedown notice to the host",
        "legal_statuses": _ILLEGAL,
        "hosting": ["domestic"],
        "destination": "takedown_notice",
    },
    {
        "position": 20,
        "name": "Behind a CDN: notice to the CDN",
        "legal_statuses": _ILLEGAL,
        "hosting": ["behind_cdn"],
        "destination": "takedown_notice",
    },
    {
        "position": 30,
        "name": "Hosted abroad: forward to that country's hotline",
        "legal_statuses": _ILLEGAL,
        "hosting": ["foreign_with_hotline"],
        "destination": "hotline_forward",
    },
    {
        "position": 40,
        "name": "Hosted where no hotline works: NCMEC",
        "legal_statuses": _ILLEGAL,
        "hosting": ["foreign_without_hotline"],
        "destination": "ncmec_forward",
    },
    {
        "position": 50,
        "name": "Hosted where no hotline works: INTERPOL",
        "legal_statuses": _ILLEGAL,
        "hosting": ["foreign_without_hotline"],
        "destination": "interpol_forward",
    },
    {
        "position": 60,
        "name": "Child in danger now: law enforcement",
        "imminent_danger": "yes",
        "destination": "law_enforcement",
    },
]


@cache
def hotline_data() -> tuple[dict[str, Any], ...]:
    """The shipped directory's entries (country, name, website, inhope_member)."""
    document = json.loads(DATA.read_text(encoding="utf-8"))
    return tuple(
        {
            "country": str(row["country"]).upper(),
            "name": str(row["name"]),
            "website": str(row.get("website", "")),
            "inhope_member": bool(row.get("inhope_member", True)),
        }
        for row in document["hotlines"]
    )


def seed_rules(rule_model: Any) -> int:
    """Create the default rules if there is no rule at all; returns how many."""
    if rule_model.objects.exists():
        return 0
    for rule in DEFAULT_RULES:
        rule_model.objects.create(**rule)
    return len(DEFAULT_RULES)


def seed_hotlines(hotline_model: Any) -> int:
    """Load the shipped directory if the directory is empty; returns how many."""
    if hotline_model.objects.exists():
        return 0
    rows = [hotline_model(**row) for row in hotline_data()]
    hotline_model.objects.bulk_create(rows)
    return len(rows)


def seed_defaults() -> None:
    """Both, with the current models (for tests that flush tables)."""
    from tellsafe.routing.rules.models import Hotline, RoutingRule

    seed_rules(RoutingRule)
    seed_hotlines(Hotline)
