"""ICCAM-compatible JSON and CSV: ICCAM's fields and codes, valid under our schema."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io

import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import iccam
from tellsafe.routing.exchange.model import Hashes
from tellsafe.routing.tests.exchange import helpers


def test_the_report_carries_iccam_codes_and_hosting():
    export = helpers.snapshot(
        assessment=helpers.assessment(
            legal_basis="national",
            age_band="pubescent",
            gender="female",
            site_type="image_host",
            commerciality="commercial",
            flags=frozenset({"self_generated", "ai_generated"}),
            analyst="Analyst 4",
        )
    )
    document = iccam.build(export)
    assert iccam.problems(document) == []
    assert document["hotlineReference"] == "TSIN-CASE-41"
    assert document["sourceUrlSiteType"] == 20
    assert document["sourceUrlCommerciality"] == 2
    assert document["reportingAnalystName"] == "Analyst 4"
    (url,) = document["urls"]
    assert url["urlString"] == helpers.URL
    assert url["hostingCountryCode"] == "DE"
    assert url["hostingOrganization"] == {
        "isContentDeliveryNetwork": False,
        "organizationName": "Hetzner Online GmbH",
        "autonomousSystemNumber": 24940,
    }
    assert url["assessment"] == {
        "classification": 2,
        "ageCategorization": 4,
        "genderCategorization": 2,
        "virtualContentCategorization": 1,
        "userGeneratedContentCategorization": 1,
        "childModelingCategorization": 0,
        "assessingAnalystName": "Analyst 4",
    }
    assert helpers.NARRATIVE not in document["memo"]


@pytest.mark.parametrize(
    ("legal_basis", "code"), [("baseline", 1), ("national", 2), ("not_illegal", 4)]
)
def test_classification_codes(legal_basis, code):
    document = iccam.build(helpers.snapshot(assessment=helpers.assessment(legal_basis=legal_basis)))
    assert document["urls"][0]["assessment"]["classification"] == code


def test_csv_has_one_row_per_url_and_reads_back_to_the_same_report():
    export = helpers.snapshot()
    second = dataclasses.replace(
        export.items[0], id=3, url=helpers.URL_2, hosting=None, hashes=Hashes(sha256=helpers.SHA256)
    )
    export = dataclasses.replace(export, items=(export.items[0], second))
    document = iccam.build(export)
    text = iccam.to_csv(document)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["urlString"] for r in rows] == [helpers.URL, helpers.URL_2]
    assert rows[1]["sha256"] == helpers.SHA256 and rows[1]["contentType"] == "1"
    assert iccam.csv_document(text.encode()) == document


def test_csv_cells_that_would_be_formulas_are_quoted_and_read_back():
    export = helpers.snapshot(sender=dataclasses.replace(helpers.SENDER, name="=HYPERLINK(1)"))
    document = iccam.build(export)
    text = iccam.to_csv(document)
    assert ",'=HYPERLINK(1) case" in text
    assert iccam.csv_document(text.encode())["memo"] == document["memo"]


def test_not_exchangeable_cases_are_refused():
    with pytest.raises(ApplicationError) as caught:
        iccam.build(helpers.snapshot(assessment=helpers.assessment(category="cyberbullying")))
    assert caught.value.code == "not_exchangeable"
    with pytest.raises(ApplicationError):
        iccam.build(helpers.snapshot(items=helpers.snapshot().items[1:]))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.pop("hotlineReference"), "'hotlineReference' is a required property"),
        (lambda d: d["urls"][0].pop("assessment"), "'assessment' is a required property"),
        (lambda d: d["urls"][0]["assessment"].update(classification=5), "classification"),
        (lambda d: d["urls"][0]["assessment"].update(ageCategorization=0), "ageCategorization"),
        (lambda d: d.update(sourceUrlSiteType=12), "sourceUrlSiteType"),
        (lambda d: d["urls"][0].update(hostingCountryCode="deu"), "hostingCountryCode"),
        (lambda d: d.update(urls=[]), "urls"),
        (lambda d: d.update(reporterEmail="child@example.org"), "reporterEmail"),
    ],
)
def test_the_schema_refuses_broken_reports(mutate, expected):
    document = iccam.build(helpers.snapshot())
    broken = copy.deepcopy(document)
    mutate(broken)
    found = iccam.problems(broken)
    assert found
    assert any(expected in p for p in found)


def test_malformed_csv_is_refused_with_its_rows():
    document = iccam.build(helpers.snapshot())
    text = iccam.to_csv(document)
    header, row = text.splitlines()
    bad_row = row.replace(",true,2,", ",yes,two,")
    with pytest.raises(ApplicationError) as caught:
        iccam.csv_document(f"{header}\n{bad_row}\n".encode())
    problems = caught.value.fields["row 2"]
    assert any("isSourceUrl" in p for p in problems)
    assert any("contentType" in p for p in problems)
    with pytest.raises(ApplicationError) as caught:
        iccam.csv_document(f"{header},extra\n{row},1\n".encode())
    assert "header" in caught.value.fields
    with pytest.raises(ApplicationError):
        iccam.csv_document(b"\xff\xfe not utf-8")
