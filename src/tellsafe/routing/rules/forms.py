"""The administrator's forms: a routing rule and a hotline directory entry. The forms
only read the page; the services check every value and report problems by field."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from tellsafe.partners.models import Partner
from tellsafe.routing.notices.models import LegalBasis
from tellsafe.routing.rules.destinations import registry
from tellsafe.routing.rules.models import FLAG_CHOICES, Hosting, Imminent
from tellsafe.taxonomy.selectors import categories


class RuleForm(forms.Form):
    position = forms.IntegerField(min_value=0, max_value=32767, initial=100)
    name = forms.CharField(max_length=120)
    legal_statuses = forms.MultipleChoiceField(
        required=False,
        choices=LegalBasis.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Legal status (any of; none ticked: any)",
    )
    hosting = forms.MultipleChoiceField(
        required=False,
        choices=Hosting.choices,
        widget=forms.CheckboxSelectMultiple,
        label="Hosting (any of; none ticked: any)",
    )
    flags = forms.MultipleChoiceField(
        required=False,
        choices=FLAG_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label="Flags (any of; none ticked: any)",
    )
    categories = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Harm categories (any of; none ticked: any)",
    )
    imminent_danger = forms.ChoiceField(
        choices=Imminent.choices, initial=Imminent.ANY, label="Child in danger now"
    )
    destination = forms.ChoiceField()
    params = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Parameters (JSON object; empty: none)",
        max_length=2000,
    )
    active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["categories"]
        destination_field = self.fields["destination"]
        assert isinstance(category_field, forms.MultipleChoiceField)
        assert isinstance(destination_field, forms.ChoiceField)
        category_field.choices = [(c.code, c.names.get("en", c.code)) for c in categories()]
        destination_field.choices = [
            (name, f"{plugin.label} ({name})") for name, plugin in registry().items()
        ]

    def clean_params(self) -> dict[str, Any]:
        text = (self.cleaned_data.get("params") or "").strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("Must be a JSON object, such as {}.")
        return value


class HotlineForm(forms.Form):
    country = forms.CharField(max_length=2, label="Country (ISO code, such as DE)")
    name = forms.CharField(max_length=200)
    website = forms.CharField(max_length=200, required=False)
    inhope_member = forms.BooleanField(required=False, label="INHOPE member")
    partner = forms.ModelChoiceField(
        queryset=Partner.objects.none(),
        required=False,
        label="Partner that receives our forwards (none: forward by hand)",
    )
    active = forms.BooleanField(required=False, initial=True)
    checked = forms.BooleanField(
        required=False, label="I checked this entry against INHOPE's list and its website"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.filter(  # type: ignore[attr-defined]
            kind=Partner.Kind.HOTLINE
        ).order_by("name")


def add_errors(form: forms.Form, fields: dict[str, list[str]], message: str) -> None:
    """Show a service's problems beside the form's fields (others above the form)."""
    for name, problems in fields.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)
    if not fields:
        form.add_error(None, message)
