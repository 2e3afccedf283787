"""XARF v4 content notices: one per URL, valid under our JSON Schema, never a payload."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import xarf
from tellsafe.routing.exchange.model import Hashes
from tellsafe.routing.tests.exchange import helpers


def test_one_csam_notice_per_url_valid_under_the_schema():
    export = helpers.snapshot()
    reports = xarf.build(export)
    assert xarf.problems(reports) == []
    (report,) = reports  # the media item has no URL: no notice for it
    assert report["category"] == "content" and report["type"] == "csam"
    assert report["url"] == helpers.URL
    assert report["classification"] == "baseline"
    assert report["detection_method"] == "human_review"
    assert (report["asn"], report["country_code"]) == (24940, "DE")
    assert report["hosting_provider"] == "Hetzner Online GmbH"
    assert report["source_identifier"] == "5.9.0.1"
    assert report["reporter"] == {
        "org": "Tellsafe National Hotline",
        "contact": "exchange@hotline.example.org",
        "domain": "hotline.example.org",
    }
    assert "evidence" not in report and "description" not in report
    assert xarf.build(export)[0]["report_id"] == report["report_id"]  # stable


def test_hashes_of_what_a_url_serves_travel_with_it():
    export = helpers.snapshot()
    item = dataclasses.replace(export.items[0], hashes=Hashes(md5=helpers.MD5), matched=True)
    (report,) = xarf.build(dataclasses.replace(export, items=(item,)))
    assert report["hash_values"] == {"md5": helpers.MD5}
    assert report["detection_method"] == "hash_match"
    assert xarf.problems(report) == []


def test_csem_for_grooming_with_its_exploitation_type():
    export = helpers.snapshot(
        assessment=helpers.assessment(category="grooming", legal_basis="national", age_band="13_15")
    )
    (report,) = xarf.build(export)
    assert report["type"] == "csem"
    assert report["exploitation_type"] == "grooming"
    assert report["victim_age_range"] == "13-15"
    assert "classification" not in report
    assert xarf.problems(report) == []


def test_national_csam_needs_an_industry_classification():
    export = helpers.snapshot(assessment=helpers.assessment(legal_basis="national"))
    with pytest.raises(ApplicationError) as caught:
        xarf.build(export)
    assert "industry_classification" in caught.value.fields
    export = helpers.snapshot(
        assessment=helpers.assessment(legal_basis="national", industry_classification="A2")
    )
    assert xarf.build(export)[0]["classification"] == "A2"


@pytest.mark.parametrize(
    "change",
    [
        {"assessment": helpers.assessment(legal_basis="not_illegal")},
        {"assessment": helpers.assessment(category="other")},
        {"items": helpers.snapshot().items[1:]},
    ],
)
def test_no_notice_for_legal_material_out_of_remit_or_without_url(change):
    with pytest.raises(ApplicationError) as caught:
        xarf.build(helpers.snapshot(**change))
    assert caught.value.code == "not_sendable"


def test_the_narrative_is_the_description_only_when_included():
    (report,) = xarf.build(helpers.snapshot(narrative=helpers.NARRATIVE))
    assert report["description"] == helpers.NARRATIVE


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r.pop("url"), "'url' is a required property"),
        (lambda r: r.pop("classification"), "'classification' is a required property"),
        (lambda r: r.update(evidence=[{"payload": "aGk="}]), "evidence"),
        (lambda r: r.update(type="spam"), "type"),
        (lambda r: r.update(classification="C"), "classification"),
        (lambda r: r.update(asn=-1), "asn"),
        (lambda r: r.update(hash_values={"md5": "abc"}), "hash_values"),
        (lambda r: r.update(exploitation_type="grooming"), "exploitation_type"),
    ],
)
def test_the_schema_refuses_broken_reports(mutate, expected):
    (report,) = xarf.build(helpers.snapshot())
    broken = copy.deepcopy(report)
    mutate(broken)
    found = xarf.problems(broken)
    assert found, f"accepted: {broken}"
    assert expected in " ".join(found) or any(expected in p for p in found)
