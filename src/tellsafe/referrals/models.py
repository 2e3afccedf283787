from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


def _localised(values: dict[str, str], language: str | None = None) -> str:
    language = language or get_language() or "en"
    return values.get(language) or values.get(language.split("-")[0]) or values.get("en", "")


class EmergencyNumber(models.Model):
    """A number shown to anyone who says they are not safe right now. Configured by the
    operator (demo data seeds a few); shown in ``position`` order."""

    names = models.JSONField(help_text="Label per language code, e.g. {'en': 'Police'}")
    number = models.CharField(max_length=32)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.name()} {self.number}"

    def name(self, language: str | None = None) -> str:
        return _localised(self.names, language)


class Service(models.Model):
    """A support service children can be told about or referred to."""

    class Kind(models.TextChoices):
        HELPLINE = "helpline", "Helpline"
        COUNSELLING = "counselling", "Counselling"
        LEGAL = "legal", "Legal help"
        POLICE = "police", "Police unit"
        HEALTH = "health", "Health"
        SHELTER = "shelter", "Shelter"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    descriptions = models.JSONField(default=dict, help_text="Text per language code")
    phone = models.CharField(max_length=32, blank=True)
    website = models.URLField(blank=True)
    hours = models.CharField(max_length=100, blank=True)
    languages = models.JSONField(default=list, help_text="Language codes it works in")
    min_age = models.PositiveSmallIntegerField(default=0)
    max_age = models.PositiveSmallIntegerField(default=120)
    free = models.BooleanField(default=True)
    help_now = models.BooleanField(
        default=False, help_text="Listed on the confirmation page as 'help right now'."
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    def description(self, language: str | None = None) -> str:
        return _localised(self.descriptions, language)
