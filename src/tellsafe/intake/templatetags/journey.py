from __future__ import annotations

from typing import Any

from django import template

from tellsafe.intake.wording import Words

register = template.Library()


@register.filter
def say(words: Words, key: str) -> Any:
    """``{{ w|say:"concern_bullying" }}``: a text whose key is built in the template."""
    return words[key]
