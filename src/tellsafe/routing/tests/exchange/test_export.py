"""Exporting a case: collected from the database (hosting from the latest located
trace, or a plain mapping), audited, validated; never the reporter's contact, never
the narrative unless included, never a reporter's reference."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tellsafe.cases.models import ContentItem
from tellsafe.core import audit
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.routing.exchange import collect, documents, services
from tellsafe.routing.exchange.services import FORMATS, export_case
from tellsafe.routing.models import HostingTrace
from tellsafe.routing.tests.exchange import helpers

pytestmark = pytest.mark.django_db
ACTOR = audit.Actor("staff", "9")
CONTACT = {"kind": "email", "value": "child.reporter@mail.example.com"}


def export(case, fmt, **kwargs):
    kwargs.setdefault("assessment", helpers.assessment())
    return export_case(case_id=case.pk, fmt=fmt, actor=ACTOR, **kwargs)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_is_valid_and_keeps_the_reporter_out(fmt):
    case = helpers.make_case(contact=CONTACT, reporter="child")
    reference = case.reports.get().reference
    result = export(case, fmt)
    text = result.content.decode("utf-8")
    assert helpers.URL in text
    for secret in (CONTACT["value"], reference, helpers.NARRATIVE, "mail.example.com"):
        assert secret not in text
    if fmt == "ncmec":
        assert documents.parse_xml(result.content).tag == "ncmecBundle"
    elif fmt == "iccam-csv":
        assert text.splitlines()[0].startswith("hotlineReference,")
    else:
        assert json.loads(text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_narrative_goes_only_when_included(fmt):
    case = helpers.make_case()
    assert helpers.NARRATIVE not in export(case, fmt).content.decode()
    included = export(case, fmt, include_narrative=True).content.decode()
    if fmt == "xarf":
        assert json.loads(included)[0]["description"] == helpers.NARRATIVE
    else:
        assert helpers.NARRATIVE in included.replace("\\n", "\n").replace('""', '"')


def test_an_export_is_audited_with_its_outcome():
    case = helpers.make_case()
    export(case, "xarf", include_narrative=True)
    with pytest.raises(ApplicationError):
        export(case, "xarf", assessment=helpers.assessment(legal_basis="not_illegal"))
    events = list(AuditEvent.objects.filter(action="case.export").order_by("seq"))
    assert [(e.data["format"], e.data["outcome"], e.data["narrative"]) for e in events] == [
        ("xarf", "ok", True),
        ("xarf", "not_sendable", False),
    ]
    assert all(e.object_id == str(case.pk) and e.actor_id == "9" for e in events)


def test_hosting_comes_from_the_latest_located_trace():
    case = helpers.make_case()
    item = ContentItem.objects.filter(case=case, kind="url").order_by("pk").first()
    HostingTrace.objects.create(
        content_item=item,
        traced_at=datetime(2026, 6, 1, tzinfo=UTC),
        outcome=HostingTrace.Outcome.OK,
        host=item.host,
        country="FR",
        asn=16276,
        org="OVH SAS",
        behind_cdn=True,
        data={"addresses": [{"ip": "51.68.0.1"}]},
    )
    HostingTrace.objects.create(  # newer, but found nothing: not where it is hosted
        content_item=item,
        traced_at=datetime(2026, 6, 2, tzinfo=UTC),
        outcome=HostingTrace.Outcome.NXDOMAIN,
        host=item.host,
    )
    snapshot = collect.collect(case=case, assessment=helpers.assessment())
    hosting = next(i for i in snapshot.items if i.id == item.pk).hosting
    assert (hosting.country, hosting.asn, hosting.org, hosting.ip) == (
        "FR",
        16276,
        "OVH SAS",
        "51.68.0.1",
    )
    assert hosting.behind_cdn is True
    (report,) = json.loads(export(case, "xarf").content)[:1]
    assert report["country_code"] == "FR"


def test_hosting_may_be_given_as_plain_mappings():
    case = helpers.make_case(trace=False)
    item = ContentItem.objects.filter(case=case, kind="url").order_by("pk").first()
    traces = {
        item.pk: {
            "country": "NL",
            "asn": 60781,
            "org": "LeaseWeb",
            "behind_cdn": False,
            "traced_at": "2026-06-03T09:00:00+00:00",
        }
    }
    document = json.loads(export(case, "iccam-json", traces=traces).content)
    first = document["urls"][0]
    assert first["hostingCountryCode"] == "NL"
    assert first["hostingOrganization"]["autonomousSystemNumber"] == 60781
    assert "hostingCountryCode" not in document["urls"][1]
    with pytest.raises(ApplicationError) as caught:
        export(case, "iccam-json", traces={item.pk: {"country": "Netherlands", "asn": "x"}})
    assert caught.value.code == "invalid_trace"
    assert len(caught.value.fields[f"traces.{item.pk}"]) == 2
    last = AuditEvent.objects.filter(action="case.export").order_by("-seq").first()
    assert last.data["outcome"] == "invalid_trace"  # the read is audited all the same


def test_the_sender_comes_from_the_settings(settings):
    settings.EXCHANGE_ORG_EMAIL = ""
    case = helpers.make_case()
    with pytest.raises(ApplicationError) as caught:
        export(case, "iccam-json")
    assert "sender.email" in caught.value.fields


def test_unknown_cases_formats_and_merged_cases_are_refused():
    case = helpers.make_case()
    with pytest.raises(ApplicationError) as caught:
        export_case(case_id=999999, fmt="xarf", assessment=helpers.assessment(), actor=ACTOR)
    assert caught.value.code == "case_not_found" and caught.value.status == 404
    with pytest.raises(ApplicationError) as caught:
        export(case, "stix")
    assert caught.value.code == "unknown_format"
    other = helpers.make_case()
    case.merged_into = other
    case.save(update_fields=["merged_into"])
    with pytest.raises(ApplicationError) as caught:
        export(case, "xarf")
    assert caught.value.code == "case_merged"


def test_a_document_failing_its_own_schema_is_never_returned(monkeypatch):
    case = helpers.make_case()
    build = services.xarf.build

    def broken(snapshot):
        reports = build(snapshot)
        reports[0]["evidence"] = [{"payload": "aW1hZ2U="}]
        return reports

    monkeypatch.setattr(services.xarf, "build", broken)
    with pytest.raises(ApplicationError) as caught:
        export(case, "xarf")
    assert caught.value.code == "export_invalid"
    assert any("evidence" in p for p in caught.value.fields["document"])
