"""Notices for the tests: partners with notice settings, content items, notices made and
delivered through the services (so validated and audited like real ones), and doubles
for the outside world (an e-mail backend and a partner's HTTP server that fail on
demand, a DNS that answers from a table)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from tellsafe.cases.models import ContentItem
from tellsafe.core import http as outbound_http
from tellsafe.core.audit import Actor
from tellsafe.intake.tests.factories import make_report
from tellsafe.partners.models import ApiKey, Partner
from tellsafe.partners.tests import factories as partner_factories
from tellsafe.routing.notices import delivery, outbound, partner_settings, services
from tellsafe.routing.notices.models import Notice
from tellsafe.routing.resolve import RecordedResolver
from tellsafe.routing.tests.factories import content_item

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the frozen clock's start (a Monday)
STAFF = Actor("staff", "7")
WEBHOOK_URL = "https://hooks.partner.example/notices"
WEBHOOK_SECRET = "s" * 40
PARTNER_ADDRESS = "151.101.1.1"  # public, so the pinned request may go there
DNS = {
    "hooks.partner.example": {"A": [PARTNER_ADDRESS]},
    "files.example.net": {"A": ["5.9.0.1"]},
    "gone.example.net": "nxdomain",
    "sneaky.example.net": {"A": ["5.9.0.1", "10.0.0.5"]},
}
# What the reporter wrote and how to reach them: never in any notice.
NARRATIVE = "He says he will send my photos to everyone at school. Zq7narrative"
REPORTER_EMAIL = "child.reporter.zq7@example.org"

_numbers = itertools.count(1)


def url_item(url: str | None = None) -> ContentItem:
    """A link item; a new URL each time unless ``url`` is given."""
    return content_item(url or f"https://files.example.net/album/{next(_numbers)}.jpg")


def media_item(sha256: str | None = None, md5: str = "", pdq: str = "") -> ContentItem:
    report = make_report().report
    n = next(_numbers)
    return ContentItem.objects.create(
        case=report.case,
        report=report,
        kind=ContentItem.Kind.MEDIA,
        url_hash=hashlib.sha256(f"media-ref-{n}".encode()).hexdigest(),
        media_type="image",
        sha256=sha256 if sha256 is not None else hashlib.sha256(f"img{n}".encode()).hexdigest(),
        md5=md5,
        pdq=pdq,
        created_at=T0,
        match_summary={"matches": [], "actionable": False, "suppressed": False},
    )


def partner(
    transport: str = "email", kind: str = Partner.Kind.ISP, name_hint: str = "Net", **settings: Any
) -> Partner:
    """An active partner with notice settings for ``transport``."""
    made = partner_factories.partner(name=f"{name_hint} {next(_numbers)}", kind=kind)
    if transport == "api_pull":
        notices_key(made)
    defaults: dict[str, Any] = {
        "email": {"email": "abuse@net.example"},
        "webhook": {"webhook_url": WEBHOOK_URL, "webhook_secret": WEBHOOK_SECRET},
        "api_pull": {},
    }[transport]
    partner_settings.notice_settings_save(
        partner=made, transport=transport, actor=STAFF, **{**defaults, **settings}
    )
    return made


def notices_key(owner: Partner) -> tuple[ApiKey, str]:
    """A key with only the ``notices`` scope. Made with another scope, then given this
    one directly, so it works before and after partners.models.Scope lists it."""
    key, text = partner_factories.api_key(owner, scopes=["match"])
    ApiKey.objects.filter(pk=key.pk).update(scopes=["notices"])
    key.scopes = ["notices"]
    return key, text


def notice(
    item: ContentItem | None = None,
    to: Partner | None = None,
    *,
    kind: str = "takedown",
    category: str = "csam",
    legal_basis: str = "national",
    hold: bool = False,
    now: datetime = T0,
) -> Notice:
    return services.notice_create(
        item=item or url_item(),
        partner=to or partner(),
        kind=kind,
        category=category,
        legal_basis=legal_basis,
        actor=STAFF,
        hold=hold,
        now=now,
    )


def sent_notice(*args: Any, now: datetime = T0, **kw: Any) -> Notice:
    """A notice delivered at ``now`` (its clock started then)."""
    made = notice(*args, now=now, **kw)
    assert delivery.notice_deliver(notice_id=made.pk, now=now) == "delivered"
    return Notice.objects.get(pk=made.pk)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


class FlakyEmailBackend(EmailBackend):
    """The locmem backend, failing the first ``failures`` sends with ``error``."""

    failures = 0
    error: Exception = OSError("connection refused")

    def send_messages(self, messages: Any) -> int:
        if FlakyEmailBackend.failures > 0:
            FlakyEmailBackend.failures -= 1
            raise FlakyEmailBackend.error
        return super().send_messages(messages)


class PartnerServer:
    """Stands in for a partner's webhook endpoint (and any host a checker asks): records
    each request, answers with the next queued status (200 when none is left)."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses: list[int | Exception] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.statuses.pop(0) if self.statuses else 200
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, headers={"X-Request-Id": f"req-{len(self.requests)}"})

    def install(self) -> None:
        outbound_http.set_transport(httpx.MockTransport(self.handler))
        outbound.set_resolver(RecordedResolver(DNS))

    @staticmethod
    def uninstall() -> None:
        outbound_http.set_transport(None)
        outbound.set_resolver(None)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests if r.content]

    @staticmethod
    def signature_valid(request: httpx.Request, secret: str = WEBHOOK_SECRET) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), request.content, "sha256").hexdigest()
        return hmac.compare_digest(request.headers["X-Tellsafe-Signature"], expected)


def outbox_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]
