from __future__ import annotations

from django.db import models
from django.utils.translation import get_language


class HarmCategory(models.Model):
    """An entry of the harm taxonomy (Luxembourg Guidelines wording), with its mappings to
    the codes of NCMEC, ICCAM, the DSA and XARF. Seeded from fixtures/taxonomy.json by a
    data migration; the codes are a public, stable contract of the API."""

    code = models.SlugField(max_length=48, unique=True)
    names = models.JSONField(help_text="Name per language code, e.g. {'en': '...'}")
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)
    # True for categories inside the hotline's remit of sexual exploitation and abuse.
    csea = models.BooleanField(default=True)
    ncmec = models.CharField(max_length=128, blank=True)
    iccam = models.CharField(max_length=128, blank=True)
    dsa = models.CharField(max_length=128, blank=True)
    xarf = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "harm categories"

    def __str__(self) -> str:
        return self.code

    def name(self, language: str | None = None) -> str:
        language = language or get_language() or "en"
        return (
            self.names.get(language)
            or self.names.get(language.split("-")[0])
            or self.names.get("en")
            or self.code
        )
