"""The banks in the desk: what each bank holds, and the hashes waiting for a person
(self-reported hashes to confirm or reject, flooding hashes to release)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tellsafe.accounts.decorators import staff_required
from tellsafe.accounts.roles import Perm
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.matching import selectors, services
from tellsafe.matching.lookup import Query, Viewer, lookup
from tellsafe.matching.models import BankHash


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor("staff", request.user.pk)


@staff_required(Perm.BANK_VIEW)
def banks(request: HttpRequest) -> HttpResponse:
    with write_transaction():
        audit.record(actor=_actor(request), action="bank.list", object_type="bank", object_id="")
    return render(request, "desk/banks.html", {"summaries": selectors.bank_summaries()})


@staff_required(Perm.BANK_VIEW)
def review(request: HttpRequest) -> HttpResponse:
    """Each waiting hash with what it matches in the other banks (looked up now, without
    counting towards flood tallies)."""
    rows = selectors.hashes_to_review()
    answers = lookup(
        [Query(r.hash_type, r.value, r.quality) for r in rows],
        viewer=Viewer.staff(),
        count=False,
    )
    items = [
        {"row": r, "others": [m for m in a.matches if m.bank_hash_id != r.pk]}
        for r, a in zip(rows, answers, strict=True)
    ]
    with write_transaction():
        audit.record(
            actor=_actor(request),
            action="bank.review_view",
            object_type="bank_hash",
            object_id="",
            data={"hashes": [r.pk for r in rows]},
        )
    return render(request, "desk/bank_review.html", {"items": items})


@require_POST
@staff_required(Perm.BANK_EDIT)
def decide(request: HttpRequest, hash_id: int) -> HttpResponse:
    row = get_object_or_404(BankHash, pk=hash_id)
    action = request.POST.get("action")
    reason = (request.POST.get("reason") or "").strip()
    try:
        if action == "confirm":
            services.hashes_review(bank_hashes=[row], confirm=True, actor=_actor(request))
        elif action == "reject":
            if not reason:
                raise ApplicationError("reason_required", "Say why you reject this hash.")
            services.hashes_review(
                bank_hashes=[row], confirm=False, actor=_actor(request), reason=reason
            )
        elif action == "release":
            services.quarantine_release(bank_hash=row, actor=_actor(request), reason=reason)
        elif action == "remove":
            if not reason:
                raise ApplicationError("reason_required", "Say why you remove this hash.")
            services.hashes_remove(
                bank=row.bank,
                keys=[(row.hash_type, row.value)],
                actor=_actor(request),
                reason=reason,
            )
        else:
            raise ApplicationError("invalid_action", "Choose confirm, reject, release or remove.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Hash {row.pk}: {action} done.")
    return redirect("banks:review")
