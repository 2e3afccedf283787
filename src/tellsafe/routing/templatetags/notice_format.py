"""How the desk shows removal times: minutes for fast removals, days for slow ones."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(hours: float | None) -> str:
    """``0.25`` -> "15 min", ``5.5`` -> "5.5 h", ``80`` -> "3.3 days"; None -> "–"."""
    if hours is None:
        return "–"
    if hours < 1:
        return f"{max(1, round(hours * 60))} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"
