"""Writes of routing: one keyword-only function per state change, each in one write
transaction with its audit event.

- ``assessment_record``: an analyst assesses a content item (the latest one wins).
- ``routing_confirm``: a person confirms some of the proposed destinations; notices and
  approvals are made in the same transaction, or none is.
- ``police_hold_set`` / ``police_hold_release``: a supervisor holds a case's notices for
  the police, and releases them.
- ``rule_save`` / ``hotline_save``: an administrator edits the rules and the directory.

Audit events about an item are recorded on its case (``object_type`` "case"), so the
case's timeline shows them; their data hold ids and codes, never content.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from tellsafe.cases.models import Case, ContentItem
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.partners.countries import is_country_code
from tellsafe.partners.models import Partner
from tellsafe.routing.exchange.model import FLAGS, GENDERS, VISUAL_AGES
from tellsafe.routing.notices.models import LegalBasis, Notice, NoticeStatus
from tellsafe.routing.notices.services import notice_release
from tellsafe.routing.rules import engine
from tellsafe.routing.rules.destinations import registry
from tellsafe.routing.rules.models import (
    Assessment,
    Hosting,
    Hotline,
    Imminent,
    PoliceHold,
    RoutingDecision,
    RoutingRule,
)
from tellsafe.routing.rules.selectors import routing_context
from tellsafe.taxonomy.selectors import active_codes

log = logging.getLogger(__name__)

MAX_CHOSEN = 20
AGENCY_MAX = 200
REASON_MAX = 1000
RULE_NAME_MAX = 120


def _staff(actor: Any) -> Any:
    if not isinstance(actor, get_user_model()) or actor.pk is None:
        raise TypeError("actor must be a staff user")
    return actor


def _who(user: Any) -> audit.Actor:
    return audit.Actor("staff", str(user.pk))


def _clock(now: datetime | None) -> datetime:
    at = now or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("now must be an aware datetime")
    return at


def _line(value: Any, *, field: str, limit: int, required: bool, errors: dict) -> str:
    """One line of printable text, runs of white space made one space."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = ["Must be text."]
        return ""
    text = " ".join(value.split())
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        errors[field] = ["Must not contain control characters."]
    elif required and not text:
        errors[field] = ["Required."]
    elif len(text) > limit:
        errors[field] = [f"At most {limit} characters."]
    return text


def _choices(value: Any, allowed: Any, *, field: str, errors: dict) -> list[str]:
    """A list of distinct allowed values, in the order given."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        errors[field] = ["Must be a list."]
        return []
    allowed = list(allowed)
    bad = sorted({str(v)[:40] for v in value if not isinstance(v, str) or v not in allowed})
    if bad:
        errors[field] = [f"Unknown: {', '.join(bad[:5])}. Choose from: {', '.join(allowed)}."]
        return []
    return list(dict.fromkeys(value))


def _fail(code: str, message: str, errors: dict[str, list[str]], status: int = 422) -> None:
    if errors:
        raise ApplicationError(code, message, errors, status=status)


# --- the analyst's assessment ------------------------------------------------------------


def assessment_record(
    *,
    item: ContentItem,
    category: Any,
    legal_status: Any,
    actor: Any,
    age_band: Any = "not_determined",
    gender: Any = "not_determined",
    flags: Any = (),
    now: datetime | None = None,
) -> Assessment:
    """Record an analyst's assessment of ``item`` (ICCAM's terms: a harm category, the
    legal status, the apparent age, gender and flags). Every problem is reported at once
    (``invalid_assessment``); earlier assessments are kept, the new one wins."""
    user, at = _staff(actor), _clock(now)
    errors: dict[str, list[str]] = {}
    if not isinstance(item, ContentItem) or item.pk is None:
        errors["item"] = ["Must be a stored content item."]
    if not isinstance(category, str) or category not in active_codes():
        errors["category"] = ["Choose an active harm category."]
    if legal_status not in LegalBasis.values:
        errors["legal_status"] = [f"Choose one of: {', '.join(LegalBasis.values)}."]
    if age_band not in VISUAL_AGES:
        errors["age_band"] = [f"Choose one of: {', '.join(VISUAL_AGES)}."]
    if gender not in GENDERS:
        errors["gender"] = [f"Choose one of: {', '.join(GENDERS)}."]
    chosen_flags = sorted(_choices(flags, sorted(FLAGS), field="flags", errors=errors))
    _fail("invalid_assessment", "Check the assessment.", errors)
    with write_transaction():
        assessment = Assessment.objects.create(
            content_item=item,
            category=category,
            legal_status=legal_status,
            age_band=age_band,
            gender=gender,
            flags=chosen_flags,
            assessed_by=user,
            assessed_at=at,
        )
        audit.record(
            actor=_who(user),
            action="content.assess",
            object_type="case",
            object_id=item.case_id,
            data={
                "item": item.pk,
                "assessment": assessment.pk,
                "category": category,
                "legal_status": legal_status,
                "age_band": age_band,
                "flags": chosen_flags,
            },
        )
    log.info("content assessed", extra={"event": "routing.assess", "case_id": item.case_id})
    return assessment


# --- confirming destinations -------------------------------------------------------------


def _clean_keys(chosen: Any) -> list[str]:
    if isinstance(chosen, str) or not isinstance(chosen, list | tuple):
        message = "Tick the destinations to confirm."
        raise ApplicationError("invalid_choice", message, {"chosen": [message]})
    keys = [k for k in chosen if isinstance(k, str) and 0 < len(k) <= 100]
    if len(keys) != len(chosen):
        message = "The choice is malformed; reload the case and try again."
        raise ApplicationError("invalid_choice", message, {"chosen": [message]})
    keys = list(dict.fromkeys(keys))
    if not keys:
        message = "Tick at least one destination."
        raise ApplicationError("nothing_chosen", message, {"chosen": [message]})
    if len(keys) > MAX_CHOSEN:
        message = f"At most {MAX_CHOSEN} destinations at once."
        raise ApplicationError("invalid_choice", message, {"chosen": [message]})
    return keys


def routing_confirm(
    *, item: ContentItem, chosen: Any, actor: Any, now: datetime | None = None
) -> RoutingDecision:
    """Carry out the destinations a person ticked, by proposal key.

    The proposals are worked out again inside the transaction: a key that is no longer
    proposed, or no longer confirmable (someone else confirmed it, a hold was set, the
    assessment changed), refuses the whole choice with ``routing_changed`` (409). Each
    plugin then makes its notice or approval; if any fails, nothing is kept. The
    proposal and the choice are both audited, and kept as a ``RoutingDecision``."""
    user, at = _staff(actor), _clock(now)
    if not isinstance(item, ContentItem) or item.pk is None:
        raise ApplicationError("invalid_choice", "Must be a stored content item.")
    keys = _clean_keys(chosen)
    with write_transaction():
        # Two people confirming one item queue here (SQLite serialises all writers).
        ContentItem.objects.select_for_update().filter(pk=item.pk).values_list("pk").first()
        ctx = routing_context(item=item)
        proposals = engine.evaluate(ctx)
        by_key = {p.key: p for p in proposals}
        stale = [k for k in keys if k not in by_key or not by_key[k].can_confirm]
        if stale:
            problems = [
                f"{by_key[k].label}: {by_key[k].problem}"
                if k in by_key
                else f"{k}: no longer proposed"
                for k in stale
            ]
            raise ApplicationError(
                "routing_changed",
                "The proposals changed since the page was loaded; nothing was done. "
                "Look at the item again.",
                {"chosen": problems},
                status=409,
            )
        plugins = registry()
        results = []
        for proposal in (p for p in proposals if p.key in keys):
            try:
                results.append(
                    plugins[proposal.plugin].carry_out(
                        item=item, proposal=proposal, ctx=ctx, actor=user, now=at
                    )
                )
            except ApplicationError as exc:
                fields = {"chosen": [f"{proposal.label} ({proposal.target_name}): {exc.message}"]}
                for name, messages in exc.fields.items():
                    fields.setdefault(name, []).extend(messages)
                raise ApplicationError(
                    exc.code,
                    f"Nothing was done: {proposal.label} to {proposal.target_name} failed. "
                    f"{exc.message}",
                    fields,
                    status=exc.status,
                ) from exc
        hosting = engine.hosting_of(ctx)
        proposed = [p.as_dict() for p in proposals]
        decision = RoutingDecision.objects.create(
            content_item=item,
            assessment_id=ctx.assessment.id if ctx.assessment is not None else None,
            hosting=hosting,
            proposed=proposed,
            chosen=keys,
            results=results,
            actor=user,
            decided_at=at,
        )
        audit.record(
            actor=_who(user),
            action="routing.propose",
            object_type="case",
            object_id=item.case_id,
            data={
                "item": item.pk,
                "hosting": hosting,
                "assessment": ctx.assessment.id if ctx.assessment is not None else None,
                "held": ctx.held,
                "proposed": [
                    {"key": p.key, "confirmable": p.can_confirm, "rules": list(p.rule_ids)}
                    for p in proposals
                ],
            },
        )
        audit.record(
            actor=_who(user),
            action="routing.confirm",
            object_type="case",
            object_id=item.case_id,
            data={"item": item.pk, "decision": decision.pk, "chosen": keys, "results": results},
        )
    log.info(
        "routing confirmed",
        extra={"event": "routing.confirm", "case_id": item.case_id, "count": len(results)},
    )
    return decision


# --- police hold -------------------------------------------------------------------------


def police_hold_set(
    *, case: Case, agency: Any, reason: Any, actor: Any, now: datetime | None = None
) -> PoliceHold:
    """Hold the case's notices for the police: from now on every notice about its
    content is made held. ``agency`` is the unit that asked (not a person's name)."""
    user, at = _staff(actor), _clock(now)
    errors: dict[str, list[str]] = {}
    agency_text = _line(agency, field="agency", limit=AGENCY_MAX, required=True, errors=errors)
    reason_text = _line(reason, field="reason", limit=REASON_MAX, required=True, errors=errors)
    if not isinstance(case, Case) or case.pk is None:
        errors["case"] = ["Must be a stored case."]
    _fail("invalid_hold", "Check the police hold.", errors)
    with write_transaction():
        if PoliceHold.objects.filter(case=case, released_at__isnull=True).exists():
            raise ApplicationError(
                "hold_active", "This case is already on police hold.", status=409
            )
        hold = PoliceHold.objects.create(
            case=case, agency=agency_text, reason=reason_text, set_by=user, set_at=at
        )
        audit.record(
            actor=_who(user),
            action="case.police_hold",
            object_type="case",
            object_id=case.pk,
            data={"hold": hold.pk, "agency": agency_text},
        )
    return hold


def police_hold_release(
    *, hold: PoliceHold, actor: Any, now: datetime | None = None
) -> list[Notice]:
    """End the hold and release every notice it held (``notices.services.notice_release``
    queues each for delivery). Returns the released notices."""
    user, at = _staff(actor), _clock(now)
    with write_transaction():
        row = PoliceHold.objects.select_for_update().filter(pk=hold.pk).first()
        if row is None or row.released_at is not None:
            raise ApplicationError(
                "hold_released", "This police hold was already released.", status=409
            )
        row.released_at, row.released_by = at, user
        row.save(update_fields=["released_at", "released_by"])
        held = list(
            Notice.objects.filter(
                content_item__case_id=row.case_id, status=NoticeStatus.HELD
            ).order_by("created_at", "id")
        )
        released = [notice_release(notice=n, actor=user, now=at) for n in held]
        audit.record(
            actor=_who(user),
            action="case.police_hold_release",
            object_type="case",
            object_id=row.case_id,
            data={"hold": row.pk, "notices": [n.reference for n in released]},
        )
    hold.released_at, hold.released_by = row.released_at, user
    return released


# --- configuration -----------------------------------------------------------------------


def rule_save(
    *,
    actor: Any,
    rule: RoutingRule | None = None,
    name: Any,
    destination: Any,
    position: Any = 0,
    legal_statuses: Any = (),
    hosting: Any = (),
    flags: Any = (),
    categories: Any = (),
    imminent_danger: Any = Imminent.ANY,
    params: Any = None,
    active: Any = True,
) -> RoutingRule:
    """Create a rule, or change ``rule``. Every field is checked, the destination's
    parameters by its plugin; all problems come back at once (``invalid_rule``)."""
    user = _staff(actor)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        "name": _line(name, field="name", limit=RULE_NAME_MAX, required=True, errors=errors),
        "legal_statuses": _choices(
            legal_statuses, LegalBasis.values, field="legal_statuses", errors=errors
        ),
        "hosting": _choices(hosting, Hosting.values, field="hosting", errors=errors),
        "flags": _choices(flags, sorted(FLAGS), field="flags", errors=errors),
        "categories": _choices(
            categories, sorted(active_codes()), field="categories", errors=errors
        ),
        "params": params if params is not None else {},
    }
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= 32767:
        errors["position"] = ["A whole number from 0 to 32767."]
    values["position"] = position
    if imminent_danger not in Imminent.values:
        errors["imminent_danger"] = [f"Choose one of: {', '.join(Imminent.values)}."]
    values["imminent_danger"] = imminent_danger
    if not isinstance(active, bool):
        errors["active"] = ["Must be true or false."]
    values["active"] = active
    plugin = registry().get(destination) if isinstance(destination, str) else None
    if plugin is None:
        errors["destination"] = [f"Choose one of: {', '.join(registry())}."]
    else:
        errors.update(plugin.param_errors(values["params"]))
    values["destination"] = destination
    if rule is not None and (not isinstance(rule, RoutingRule) or rule.pk is None):
        errors["rule"] = ["Must be a stored rule."]
    _fail("invalid_rule", "Check the rule.", errors)
    with write_transaction():
        values["updated_at"] = timezone.now()
        if rule is None:
            rule = RoutingRule.objects.create(**values)
        else:
            for name_, value in values.items():
                setattr(rule, name_, value)
            rule.save(update_fields=list(values))
        audit.record(
            actor=_who(user),
            action="config.routing_rule",
            object_type="routing_rule",
            object_id=rule.pk,
            data={k: v for k, v in values.items() if k not in ("name", "updated_at")},
        )
    return rule


def hotline_save(
    *,
    actor: Any,
    hotline: Hotline | None = None,
    country: Any,
    name: Any,
    website: Any = "",
    inhope_member: Any = True,
    partner: Partner | None = None,
    active: Any = True,
    checked: Any = False,
    now: datetime | None = None,
) -> Hotline:
    """Create a directory entry, or change ``hotline``. ``partner`` (a hotline partner)
    receives forwards; ``checked`` records that an operator confirmed the entry now."""
    user, at = _staff(actor), _clock(now)
    errors: dict[str, list[str]] = {}
    code = country.strip().upper() if isinstance(country, str) else ""
    if not is_country_code(code):
        errors["country"] = ["An ISO 3166-1 alpha-2 country code, such as DE."]
    values: dict[str, Any] = {
        "country": code,
        "name": _line(name, field="name", limit=200, required=True, errors=errors),
        "website": website.strip() if isinstance(website, str) else "",
        "inhope_member": inhope_member,
        "partner": partner,
        "active": active,
    }
    if values["website"]:
        try:
            URLValidator(schemes=["https", "http"])(values["website"])
        except ValidationError:
            errors["website"] = ["A web address starting with https://."]
        if len(values["website"]) > 200:
            errors["website"] = ["At most 200 characters."]
    for field, flag in (("inhope_member", inhope_member), ("active", active), ("checked", checked)):
        if not isinstance(flag, bool):
            errors[field] = ["Must be true or false."]
    if partner is not None and (
        not isinstance(partner, Partner) or partner.pk is None or partner.kind != "hotline"
    ):
        errors["partner"] = ["Choose a partner of kind hotline."]
    duplicate = Hotline.objects.filter(country=code, name__iexact=values["name"])
    if hotline is not None:
        duplicate = duplicate.exclude(pk=hotline.pk)
    if code and values["name"] and duplicate.exists():
        errors["name"] = ["The directory already lists a hotline of this name in this country."]
    _fail("invalid_hotline", "Check the hotline.", errors)
    if checked:
        values["checked_at"] = at
    with write_transaction():
        if hotline is None:
            hotline = Hotline.objects.create(**values)
        else:
            for field, value in values.items():
                setattr(hotline, field, value)
            hotline.save(update_fields=list(values))
        audit.record(
            actor=_who(user),
            action="config.hotline",
            object_type="hotline",
            object_id=hotline.pk,
            data={
                "country": code,
                "partner": partner.pk if partner is not None else None,
                "active": active,
                "inhope_member": inhope_member,
                "checked": bool(checked),
            },
        )
    return hotline


__all__ = [
    "assessment_record",
    "hotline_save",
    "police_hold_release",
    "police_hold_set",
    "routing_confirm",
    "rule_save",
]
