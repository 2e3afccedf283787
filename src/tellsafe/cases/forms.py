from __future__ import annotations

from django import forms

from tellsafe.cases.models import Action, Approval, Contact, Status
from tellsafe.cases.status import OUTCOMES
from tellsafe.core.text import clean_text

OUTCOME_LABELS = {
    "content_removed": "Content removed",
    "removal_requested": "Removal requested from the host",
    "reported_to_platform": "Account reported to the platform",
    "referred_support": "Referred to a support service",
    "passed_to_police": "Passed to the police",
    "advice_given": "Advice given",
    "no_action_possible": "No action possible (needs approval)",
}


class CleanText(forms.CharField):
    def __init__(self, *, multiline: bool = True, max_length: int = 5000, **kwargs):
        self.multiline = multiline
        super().__init__(max_length=max_length, strip=False, **kwargs)

    def clean(self, value):
        value = clean_text(
            self.to_python(value) or "",
            multiline=self.multiline,
            max_length=self.max_length or 5000,
        )
        self.validate(value)
        self.run_validators(value)
        return value


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class StatusForm(VersionForm):
    status = forms.ChoiceField(choices=Status.choices)
    action = forms.ChoiceField(
        choices=[("", "—")] + [(a, label) for a, label in Action.choices if a], required=False
    )
    outcome_codes = forms.MultipleChoiceField(
        choices=[(c, OUTCOME_LABELS[c]) for c in OUTCOMES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class NoteForm(forms.Form):
    body = CleanText(label="Note")


class MessageForm(forms.Form):
    report = forms.IntegerField(widget=forms.HiddenInput)
    template = forms.CharField(required=False, max_length=32)
    body = CleanText(label="Message", required=False, max_length=2000)


class ReasonForm(forms.Form):
    reason = CleanText(
        label="Why do you need to open this case?", multiline=False, max_length=500, min_length=10
    )


class ApprovalRequestForm(forms.Form):
    kind = forms.ChoiceField(choices=Approval.Kind.choices)
    reason = CleanText(label="Why", multiline=False, max_length=500, min_length=5)


class ApprovalDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("refuse", "Refuse")])
    note = CleanText(label="Note", multiline=False, max_length=500, required=False)


class MergeForm(forms.Form):
    target = forms.IntegerField(label="Merge this case into case number", min_value=1)


class MoveReportForm(forms.Form):
    report = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.IntegerField(
        label="Move to case number (empty: a new case)", required=False, min_value=1
    )


class ContactForm(forms.Form):
    kind = forms.ChoiceField(choices=Contact.Kind.choices)
    channel = forms.ChoiceField(
        choices=[
            ("phone", "Phone"),
            ("whatsapp", "WhatsApp"),
            ("sms", "SMS"),
            ("telegram", "Telegram"),
            ("email", "Email"),
            ("web", "Web"),
        ]
    )
