"""CyberTipline documents: built in the API's order, valid under our XSDs, and the XSDs
refuse what they must (a missing required element, a wrong code, §1.4)."""

from __future__ import annotations

import dataclasses
from xml.etree.ElementTree import SubElement

import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import documents, ncmec
from tellsafe.routing.exchange.model import Hashes
from tellsafe.routing.tests.exchange import helpers

REPORT_ORDER = [
    "batchedReport",
    "incidentSummary",
    "internetDetails",
    "lawEnforcement",
    "reporter",
    "personOrUserReported",
    "intendedRecipient",
    "victim",
    "additionalInfo",
]
SUMMARY_ORDER = [
    "incidentType",
    "platform",
    "escalateToHighPriority",
    "reportAnnotations",
    "incidentDateTime",
    "incidentDateTimeDescription",
]


def in_order(tags, order):
    positions = [order.index(tag) for tag in tags]
    return positions == sorted(positions)


def test_the_report_is_valid_and_in_the_api_order():
    report = ncmec.build_report(helpers.snapshot(imminent_danger=True))
    assert ncmec.problems(report) == []
    tags = [child.tag for child in report]
    assert tags == ["incidentSummary", "internetDetails", "reporter", "additionalInfo"]
    assert in_order(tags, REPORT_ORDER)
    summary = [child.tag for child in report.find("incidentSummary")]
    assert in_order(summary, SUMMARY_ORDER)
    assert report.findtext("incidentSummary/incidentDateTime") == "2026-05-02T08:30:00Z"
    assert "danger now" in report.findtext("incidentSummary/escalateToHighPriority")
    web = report.find("internetDetails/webPageIncident")
    assert web.get("thirdPartyHostedContent") == "true"
    assert web.findtext("url") == helpers.URL
    assert "country DE, AS24940 (Hetzner Online GmbH)" in web.findtext("additionalInfo")


def test_the_bundle_holds_the_report_and_one_file_details_per_hashed_item():
    bundle = ncmec.build_bundle(helpers.snapshot())
    assert ncmec.problems(bundle) == []
    assert [child.tag for child in bundle] == ["report", "fileDetails"]
    details = bundle[1]
    assert details.findtext("reportId") == "0" and details.findtext("fileId") == "local-1"
    hashes = {h.get("hashType"): h.text for h in details.iterfind("originalFileHash")}
    assert hashes == {"MD5": helpers.MD5, "SHA256": helpers.SHA256, "PDQ": helpers.PDQ}
    assert "match a hash list" in details.findtext("additionalInfo")


@pytest.mark.parametrize(
    ("category", "incident", "annotations"),
    [
        ("csam", ncmec.CHILD_PORNOGRAPHY, []),
        ("grooming", ncmec.ENTICEMENT, ["csamSolicitation"]),
        ("sextortion", ncmec.ENTICEMENT, ["sextortion"]),
        ("trafficking", "Child Sex Trafficking", []),
        ("distribution", "Misleading Domain Name", []),
        ("harmful_sexual_behaviour", ncmec.ENTICEMENT, ["minorToMinorInteraction"]),
        ("sadistic_exploitation", ncmec.ENTICEMENT, ["sadisticOnlineExploitation"]),
        ("contact_abuse", "Child Sexual Molestation", []),
        ("self_generated", ncmec.CHILD_PORNOGRAPHY, []),
    ],
)
def test_categories_map_to_incident_types_and_annotations(category, incident, annotations):
    export = helpers.snapshot(assessment=helpers.assessment(category=category))
    report = ncmec.build_report(export)
    assert ncmec.problems(report) == []
    assert report.findtext("incidentSummary/incidentType") == incident
    found = [e.tag for e in report.iterfind("incidentSummary/reportAnnotations/*")]
    assert found == annotations


def test_flags_and_age_become_file_annotations():
    export = helpers.snapshot(
        assessment=helpers.assessment(
            category="csam_generated", age_band="infant", flags=frozenset({"ai_generated"})
        )
    )
    details = ncmec.build_file_details(export, export.items[1], report_id="5", file_id="f1")
    assert ncmec.problems(details) == []
    assert [e.tag for e in details.find("fileAnnotations")] == ["infant", "generativeAi"]
    self_made = helpers.snapshot(assessment=helpers.assessment(category="self_generated"))
    details = ncmec.build_file_details(self_made, self_made.items[1], report_id="5", file_id="f")
    assert [e.tag for e in details.find("fileAnnotations")] == ["possibleSelfProduction"]


def test_the_narrative_and_the_reporter_stay_out_unless_included():
    plain = ncmec.to_bytes(ncmec.build_bundle(helpers.snapshot()))
    assert helpers.NARRATIVE.encode() not in plain
    included = ncmec.build_report(helpers.snapshot(narrative=helpers.NARRATIVE))
    assert helpers.NARRATIVE in included.findtext("additionalInfo")
    assert "included by the analyst" in included.findtext("additionalInfo")


def test_the_supplemental_rule_is_enforced_by_the_builder():
    export = helpers.snapshot(assessment=helpers.assessment(industry_classification="A1"))
    item = export.items[1]
    for extra in ({"classify": True}, {"potential_meme": True}):
        with pytest.raises(ApplicationError) as caught:
            ncmec.build_file_details(export, item, report_id="1", file_id="f", **extra)
        assert caught.value.code == "supplemental_rule"
    reported = ncmec.build_file_details(
        export, item, report_id="1", file_id="f", relevance=ncmec.REPORTED, classify=True
    )
    assert reported.findtext("industryClassification") == "A1"
    assert ncmec.problems(reported) == []


def test_the_xsd_states_the_supplemental_rule():
    export = helpers.snapshot()
    details = ncmec.build_file_details(export, export.items[1], report_id="1", file_id="f")
    SubElement(details, "industryClassification").text = "A2"
    # Put it where the sequence allows, so only the rule can object.
    element = details.find("industryClassification")
    details.remove(element)
    details.insert([c.tag for c in details].index("fileRelevance") + 1, element)
    found = ncmec.problems(details)
    assert found and "assertion" in found[0]
    details.find("fileRelevance").text = "Reported"
    assert ncmec.problems(details) == []


def test_a_report_missing_a_required_element_fails_the_xsd():
    report = ncmec.build_report(helpers.snapshot())
    report.remove(report.find("reporter"))
    found = ncmec.problems(report)
    assert found and "reporter" in " ".join(found)
    summary = ncmec.build_report(helpers.snapshot())
    incident = summary.find("incidentSummary")
    incident.remove(incident.find("incidentType"))
    assert any("incidentType" in p for p in ncmec.problems(summary))


def test_the_xsd_refuses_unknown_codes_and_bad_values():
    report = ncmec.build_report(helpers.snapshot())
    report.find("incidentSummary/incidentType").text = "Child Pornography"
    assert ncmec.problems(report)
    report = ncmec.build_report(
        helpers.snapshot(assessment=helpers.assessment(category="sextortion"))
    )
    SubElement(report.find("incidentSummary/reportAnnotations"), "catfishing")
    assert ncmec.problems(report)
    export = helpers.snapshot()
    details = ncmec.build_file_details(export, export.items[1], report_id="1", file_id="f")
    details.find("originalFileHash").text = helpers.MD5[:-1]
    assert any("assertion" in p for p in ncmec.problems(details))
    details = ncmec.build_file_details(export, export.items[1], report_id="x1", file_id="f")
    assert any("reportId" in p for p in ncmec.problems(details))


def test_the_xsd_caps_lengths():
    report = ncmec.build_report(helpers.snapshot())
    report.find(".//webPageIncident/url").text = "https://e.example/" + "a" * 2083
    assert any("url" in p for p in ncmec.problems(report))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"assessment": helpers.assessment(legal_basis="not_illegal")}, "legal_basis"),
        ({"assessment": helpers.assessment(category="cyberbullying")}, "category"),
        ({"assessment": helpers.assessment(category="no_such_code")}, "category"),
        ({"assessment": helpers.assessment(flags=frozenset({"weird"}))}, "flags"),
        ({"sender": dataclasses.replace(helpers.SENDER, first_name="")}, "sender"),
        ({"sender": dataclasses.replace(helpers.SENDER, email="nobody")}, "sender.email"),
        ({"items": ()}, "items"),
        ({"narrative": "bad \x00 byte"}, "narrative"),
    ],
)
def test_what_must_not_or_cannot_be_reported_is_refused(change, field):
    with pytest.raises(ApplicationError) as caught:
        ncmec.build_report(helpers.snapshot(**change))
    assert caught.value.code == "not_reportable"
    assert field in caught.value.fields


def test_a_narrative_too_long_for_the_report_is_refused_not_cut():
    with pytest.raises(ApplicationError) as caught:
        ncmec.build_report(helpers.snapshot(narrative="x" * ncmec.MAX_INFO))
    assert caught.value.code == "narrative_too_long"


def test_an_item_with_a_bad_hash_is_refused():
    export = helpers.snapshot()
    bad = dataclasses.replace(export.items[1], hashes=Hashes(md5="XYZ"))
    with pytest.raises(ApplicationError) as caught:
        ncmec.build_report(dataclasses.replace(export, items=(export.items[0], bad)))
    assert "items.2" in caught.value.fields


def test_the_bundle_check_refuses_strangers_and_duplicates():
    bundle = ncmec.build_bundle(helpers.snapshot())
    bundle.append(bundle[1])
    assert any("used twice" in p for p in ncmec.problems(bundle))
    SubElement(bundle, "victim")
    assert any("only fileDetails" in p for p in ncmec.problems(bundle))
    root = documents.parse_xml(b"<something/>")
    assert ncmec.problems(root)
