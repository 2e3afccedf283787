"""Routing configuration an administrator edits without a deployment: the routing
rules and the hotline directory (Perm CONFIGURE). Every save goes through a service that
checks it and audits it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from tellsafe.accounts.decorators import staff_required
from tellsafe.accounts.roles import Perm
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.rules import config, selectors, services
from tellsafe.routing.rules.destinations import registry
from tellsafe.routing.rules.forms import HotlineForm, RuleForm, add_errors
from tellsafe.routing.rules.models import Hotline, RoutingRule


@require_http_methods(["GET"])
@staff_required(Perm.CONFIGURE)
def rules(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "rules/rules.html",
        {
            "rules": selectors.rules(),
            "plugins": registry(),
            "home_country": config.home_country(),
            "no_hotline": config.no_hotline_destinations(),
        },
    )


def _rule_initial(rule: RoutingRule) -> dict[str, Any]:
    import json

    return {
        "position": rule.position,
        "name": rule.name,
        "legal_statuses": rule.legal_statuses,
        "hosting": rule.hosting,
        "flags": rule.flags,
        "categories": rule.categories,
        "imminent_danger": rule.imminent_danger,
        "destination": rule.destination,
        "params": json.dumps(rule.params) if rule.params else "",
        "active": rule.active,
    }


@require_http_methods(["GET", "POST"])
@staff_required(Perm.CONFIGURE)
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    rule = get_object_or_404(RoutingRule, pk=rule_id) if rule_id else None
    if request.method == "POST":
        form = RuleForm(request.POST)
        if form.is_valid():
            try:
                services.rule_save(actor=request.user, rule=rule, **form.cleaned_data)
            except ApplicationError as exc:
                add_errors(form, exc.fields, exc.message)
            else:
                messages.success(request, "Rule saved. Routing uses it from now on.")
                return redirect("routing:rules")
    else:
        form = RuleForm(initial=_rule_initial(rule) if rule else None)
    return render(
        request,
        "rules/rule_form.html",
        {"form": form, "rule": rule, "plugins": registry()},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
@staff_required(Perm.CONFIGURE)
def hotlines(request: HttpRequest) -> HttpResponse:
    rows = selectors.hotlines()
    return render(
        request,
        "rules/hotlines.html",
        {"hotlines": rows, "unchecked": sum(1 for h in rows if h.checked_at is None)},
    )


@require_http_methods(["GET", "POST"])
@staff_required(Perm.CONFIGURE)
def hotline_edit(request: HttpRequest, hotline_id: int | None = None) -> HttpResponse:
    hotline = get_object_or_404(Hotline, pk=hotline_id) if hotline_id else None
    if request.method == "POST":
        form = HotlineForm(request.POST)
        if form.is_valid():
            try:
                services.hotline_save(actor=request.user, hotline=hotline, **form.cleaned_data)
            except ApplicationError as exc:
                add_errors(form, exc.fields, exc.message)
            else:
                messages.success(request, "Hotline saved.")
                return redirect("routing:hotlines")
    else:
        initial = (
            {
                "country": hotline.country,
                "name": hotline.name,
                "website": hotline.website,
                "inhope_member": hotline.inhope_member,
                "partner": hotline.partner_id,
                "active": hotline.active,
            }
            if hotline
            else {"inhope_member": True, "active": True}
        )
        form = HotlineForm(initial=initial)
    return render(
        request,
        "rules/hotline_form.html",
        {"form": form, "hotline": hotline},
        status=400 if form.errors else 200,
    )
