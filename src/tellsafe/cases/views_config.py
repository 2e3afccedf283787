"""Configuration an administrator edits without a deployment: the urgency rules."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from tellsafe.accounts.decorators import staff_required
from tellsafe.accounts.roles import Perm
from tellsafe.cases import urgency
from tellsafe.cases.models import UrgencyRule
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.intake.models import AgeBand
from tellsafe.taxonomy.selectors import categories


class UrgencyRuleForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    age_bands = forms.MultipleChoiceField(
        required=False, choices=AgeBand.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = UrgencyRule
        fields = [
            "position",
            "name",
            "urgency",
            "when_not_safe",
            "categories",
            "age_bands",
            "active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].choices = [
            (c.code, c.names.get("en", c.code)) for c in categories()
        ]


@staff_required(Perm.CONFIGURE)
def urgency_rules(request: HttpRequest) -> HttpResponse:
    return render(request, "desk/urgency_rules.html", {"rules": UrgencyRule.objects.all()})


@require_http_methods(["GET", "POST"])
@staff_required(Perm.CONFIGURE)
def urgency_rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    rule = get_object_or_404(UrgencyRule, pk=rule_id) if rule_id else None
    form = UrgencyRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        with write_transaction():
            saved = form.save()
            audit.record(
                actor=audit.Actor("staff", request.user.pk),
                action="config.urgency_rule",
                object_type="urgency_rule",
                object_id=saved.pk,
                data={
                    "urgency": saved.urgency,
                    "active": saved.active,
                    "categories": saved.categories,
                    "age_bands": saved.age_bands,
                    "when_not_safe": saved.when_not_safe,
                },
            )
        urgency.forget_cached()
        messages.success(request, "Rule saved. New reports use it within a minute.")
        return redirect("desk:urgency_rules")
    return render(
        request,
        "desk/urgency_rule_form.html",
        {"form": form, "rule": rule},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required(Perm.CONFIGURE)
def chat_flow(request: HttpRequest) -> HttpResponse:
    """The chat reporting flow as JSON. Saving checks it and makes a new version; new
    conversations use it at once, running ones keep theirs."""
    import json

    from django.utils import timezone

    from tellsafe.intake.flows.validate import errors as flow_errors
    from tellsafe.intake.models import Flow

    current = Flow.objects.filter(active=True).first()
    text = json.dumps(current.definition if current else {}, indent=2, ensure_ascii=False)
    problems: list[str] = []
    if request.method == "POST":
        text = request.POST.get("definition", "")
        try:
            definition = json.loads(text)
        except ValueError as exc:
            problems = [f"Not valid JSON: {exc}"]
        else:
            problems = flow_errors(definition)
        if not problems:
            with write_transaction():
                version = (
                    Flow.objects.order_by("-version").values_list("version", flat=True).first() or 0
                ) + 1
                flow = Flow.objects.create(
                    version=version,
                    active=True,
                    definition=definition,
                    created_at=timezone.now(),
                    note=request.POST.get("note", "")[:200],
                )
                audit.record(
                    actor=audit.Actor("staff", request.user.pk),
                    action="config.flow",
                    object_type="flow",
                    object_id=flow.pk,
                    data={"version": version},
                )
            messages.success(request, f"Flow version {version} is live for new chats.")
            return redirect("desk:chat_flow")
    return render(
        request,
        "desk/chat_flow.html",
        {
            "text": text,
            "problems": problems,
            "current": current,
            "versions": Flow.objects.all()[:20],
        },
        status=400 if problems else 200,
    )
