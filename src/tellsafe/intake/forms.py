"""Forms of the public journey. Each checks one step; the whole report is checked again
by validation.validate_report() before it is saved, exactly as the API checks it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tellsafe.core.text import clean_text, clean_url
from tellsafe.intake import credentials
from tellsafe.intake.concerns import CONCERNS
from tellsafe.intake.models import AgeBand, ContactKind, ReporterKind
from tellsafe.intake.validation import normalise_contact

CHOOSE_ONE = {"required": _("Please choose one."), "invalid_choice": _("Please choose one.")}


class TextField(forms.CharField):
    """A text field that refuses control characters and trims what it keeps."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        self.multiline = multiline
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", False)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        # Our own check first, so control characters get our kind message.
        value = clean_text(
            self.to_python(value) or "",
            multiline=self.multiline,
            max_length=self.max_length or 5000,
        )
        self.validate(value)
        self.run_validators(value)
        return value


class WhoForm(forms.Form):
    reporter = forms.ChoiceField(choices=ReporterKind.choices, error_messages=CHOOSE_ONE)


class AgeForm(forms.Form):
    age_band = forms.ChoiceField(choices=AgeBand.choices, error_messages=CHOOSE_ONE)


class WhatForm(forms.Form):
    concerns = forms.MultipleChoiceField(
        choices=[(c.code, c.code) for c in CONCERNS],
        error_messages={
            "required": _("Please choose at least one."),
            "invalid_choice": _("Please choose from the list."),
        },
    )


class DetailsForm(forms.Form):
    details = TextField(multiline=True, max_length=settings.MAX_DETAILS_CHARS)

    def __init__(self, *args: Any, link_count: int = 3, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.link_count = max(1, min(link_count, settings.MAX_REPORT_URLS))
        for index in range(self.link_count):
            self.fields[f"url_{index}"] = TextField(max_length=2048)

    def link_fields(self) -> list[forms.BoundField]:
        return [self[f"url_{index}"] for index in range(self.link_count)]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        urls: list[str] = []
        for index in range(self.link_count):
            raw = cleaned.get(f"url_{index}")
            if not raw:
                continue
            try:
                url = clean_url(raw)
            except ValidationError as exc:
                self.add_error(f"url_{index}", exc)
                continue
            if url not in urls:
                urls.append(url)
        cleaned["urls"] = urls
        return cleaned


class SafeForm(forms.Form):
    safe = forms.ChoiceField(
        choices=[("yes", "yes"), ("no", "no"), ("unsure", "unsure")], error_messages=CHOOSE_ONE
    )


class ContactForm(forms.Form):
    contact_kind = forms.ChoiceField(choices=ContactKind.choices, error_messages=CHOOSE_ONE)
    contact_value = TextField(max_length=254)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("contact_kind")
        value = cleaned.get("contact_value") or ""
        if kind and kind != ContactKind.NONE:
            if not value:
                self.add_error("contact_value", _("Please write where we can reach you."))
            else:
                try:
                    cleaned["contact_value"] = normalise_contact(kind, value)
                except ValidationError as exc:
                    self.add_error("contact_value", exc)
        else:
            cleaned["contact_value"] = ""
        return cleaned


class StatusForm(forms.Form):
    reference = forms.CharField(
        max_length=32, error_messages={"required": _("Please write your report code.")}
    )
    passphrase = forms.CharField(
        max_length=64, error_messages={"required": _("Please write your secret code.")}
    )

    def clean_reference(self) -> str:
        return credentials.normalise(self.cleaned_data["reference"])

    def clean_passphrase(self) -> str:
        return credentials.normalise(self.cleaned_data["passphrase"])


class AddInformationForm(forms.Form):
    text = TextField(multiline=True, max_length=settings.MAX_DETAILS_CHARS)
    url = TextField(max_length=2048)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        url = cleaned.get("url")
        cleaned["urls"] = ()
        if url:
            try:
                cleaned["urls"] = (clean_url(url),)
            except ValidationError as exc:
                self.add_error("url", exc)
        if not cleaned.get("text") and not url and not self.errors:
            raise ValidationError(_("Write something or add a link first."))
        return cleaned


SCORES = [(str(n), str(n)) for n in range(1, 6)]


class FeedbackForm(forms.Form):
    listened = forms.TypedChoiceField(choices=SCORES, coerce=int, error_messages=CHOOSE_ONE)
    understood = forms.TypedChoiceField(choices=SCORES, coerce=int, error_messages=CHOOSE_ONE)
    helped = forms.TypedChoiceField(choices=SCORES, coerce=int, error_messages=CHOOSE_ONE)
    comment = TextField(multiline=True, max_length=2000)
