"""The CyberTipline lifecycle against the double: /submit, /upload, /fileinfo, /finish,
with Basic auth; each response code of each step becomes a clear error; a failure after
/submit retracts the unfinished report; imagery is never uploaded."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import destinations, ncmec
from tellsafe.routing.exchange.model import Hashes
from tellsafe.routing.exchange.ncmec_transport import (
    RESPONSE_CODES,
    TEST_URL,
    NcmecConfig,
    NcmecDestination,
    NcmecError,
)
from tellsafe.routing.tests.exchange import helpers
from tellsafe.routing.tests.exchange.ncmec_double import PASSWORD, USERNAME, FakeNcmec

CONFIG = NcmecConfig(base_url=TEST_URL, username=USERNAME, password=PASSWORD)


@pytest.fixture
def api() -> FakeNcmec:
    return FakeNcmec().install()


def two_hashed():
    """A URL whose file's hashes a hotline gave us, and a chat media item."""
    export = helpers.snapshot()
    url_item = dataclasses.replace(export.items[0], hashes=Hashes(sha256=helpers.SHA256))
    return dataclasses.replace(export, items=(url_item, export.items[1]))


def test_the_plugin_is_named_ncmec():
    assert destinations()["ncmec"] is NcmecDestination
    assert NcmecDestination.name == "ncmec"


def test_submit_upload_fileinfo_finish_in_order_with_basic_auth(api):
    export = two_hashed()
    result = NcmecDestination(CONFIG).submit(export)

    assert api.steps() == ["submit", "upload", "fileinfo", "upload", "fileinfo", "finish"]
    assert all(call.authorised for call in api.calls)
    assert all(call.method == "POST" for call in api.calls)
    report = api.reports[result.report_id]
    assert report["state"] == "finished"
    assert result.file_ids == list(report["files"])
    assert len(result.request_ids) == 6

    submitted = api.calls[0].xml
    assert submitted.findtext("incidentSummary/incidentType") == ncmec.CHILD_PORNOGRAPHY
    assert [u.text for u in submitted.iterfind(".//webPageIncident/url")] == [helpers.URL]
    assert submitted.findtext("reporter/reportingPerson/lastName") == "Rao"

    for upload, info in ((api.calls[1], api.calls[2]), (api.calls[3], api.calls[4])):
        assert upload.form == {"id": result.report_id}
        # A text hash record, never imagery.
        assert upload.file_type == "text/plain"
        text = upload.file_bytes.decode("utf-8")
        assert "holds no imagery" in text
        assert not upload.file_bytes.startswith((b"\xff\xd8", b"\x89PNG", b"GIF8"))
        details = info.xml
        assert details.findtext("reportId") == result.report_id
        assert details.findtext("fileId") in report["files"]
        assert details.findtext("fileRelevance") == "Supplemental Reported"
        assert details.find("industryClassification") is None
        hashes = {h.get("hashType"): h.text for h in details.iterfind("originalFileHash")}
        for value in hashes.values():
            assert value in text
    first = {h.get("hashType"): h.text for h in api.calls[2].xml.iterfind("originalFileHash")}
    assert first == {"SHA256": helpers.SHA256}
    assert api.calls[2].xml.findtext("locationOfFile") == helpers.URL
    second = {h.get("hashType"): h.text for h in api.calls[4].xml.iterfind("originalFileHash")}
    assert second == {"MD5": helpers.MD5, "SHA256": helpers.SHA256, "PDQ": helpers.PDQ}
    assert api.calls[5].form == {"id": result.report_id}


def test_a_case_without_hashes_is_submitted_and_finished(api):
    export = helpers.snapshot(items=helpers.snapshot().items[:1])
    result = NcmecDestination(CONFIG).submit(export)
    assert api.steps() == ["submit", "finish"]
    assert api.reports[result.report_id]["state"] == "finished"
    assert result.file_ids == []


@pytest.mark.parametrize("step", ["submit", "upload", "fileinfo", "finish"])
@pytest.mark.parametrize("code", sorted(RESPONSE_CODES))
def test_each_failure_code_is_a_clear_error_and_retracts(api, step, code):
    api.fail[step] = code
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    error = caught.value
    slug, _meaning, retryable = RESPONSE_CODES[code]
    assert error.code == f"ncmec_{slug}"
    assert error.response_code == code
    assert error.step == step
    assert error.retryable is retryable
    assert f"code {code}" in error.message and step in error.message
    assert error.request_id.startswith("req-")
    if step == "submit":
        assert api.steps() == ["submit"]  # nothing was opened: nothing to retract
        assert api.reports == {}
        assert error.retracted is None
    else:
        assert api.steps()[-1] == "retract"
        (report_id,) = api.reports
        assert api.calls[-1].form == {"id": report_id}
        assert api.reports[report_id]["state"] == "retracted"
        assert error.retracted is True
        assert "retracted" in error.fields["retract"][0]


def test_wrong_credentials_are_refused_at_submit(api):
    config = dataclasses.replace(CONFIG, password="wrong")
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(config).submit(two_hashed())
    assert caught.value.code == "ncmec_authentication_required"
    assert caught.value.retryable is False
    assert api.reports == {}


def test_no_answer_to_an_upload_retracts(api):
    api.silent.add("upload")
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert caught.value.code == "ncmec_unreachable"
    assert caught.value.retryable is True
    assert api.steps() == ["submit", "upload", "retract"]
    assert [r["state"] for r in api.reports.values()] == ["retracted"]


def test_a_lost_finish_answer_that_was_filed_is_success(api):
    api.silent_after.add("finish")  # NCMEC filed it, but the answer never came
    result = NcmecDestination(CONFIG).submit(two_hashed())
    assert api.steps()[-2:] == ["finish", "retract"]
    assert api.reports[result.report_id]["state"] == "finished"
    assert len(result.file_ids) == 2


def test_no_answer_to_finish_retracts_the_unfinished_report(api):
    api.silent.add("finish")  # never reached NCMEC
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert caught.value.retracted is True
    assert [r["state"] for r in api.reports.values()] == ["retracted"]


def test_a_retract_that_fails_says_so(api):
    api.fail["fileinfo"] = 1300
    api.fail["retract"] = 1000
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert caught.value.code == "ncmec_update_failed"
    assert caught.value.retracted is False
    assert "could not be retracted" in caught.value.fields["retract"][0]
    assert [r["state"] for r in api.reports.values()] == ["open"]


def test_an_unreadable_answer_is_an_error_not_a_crash(api):
    api.raw["submit"] = httpx.Response(502, content=b"<html>Bad gateway</html>")
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert caught.value.code == "ncmec_unreachable"
    assert caught.value.retryable is True


def test_a_hostile_answer_is_refused(api):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<reportResponse><responseCode>0</responseCode><reportId>&b;</reportId></reportResponse>"
    )
    api.raw["submit"] = httpx.Response(200, content=bomb)
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert caught.value.code == "ncmec_unreachable"
    assert "no readable answer" in caught.value.message


def test_an_upload_that_arrives_changed_is_retracted(api):
    original = api._upload

    def tampered(call):
        answer = original(call)
        return httpx.Response(
            200, content=answer.content.replace(b"<hash>", b"<hash>0"), headers=answer.headers
        )

    api._upload = tampered
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert "arrived changed" in caught.value.message
    assert api.steps() == ["submit", "upload", "retract"]


def test_a_supplemental_file_with_a_classification_never_reaches_ncmec(api, monkeypatch):
    """§1.4: should a bug add an industry classification to a supplemental file, our
    XSD refuses it in the check made before anything is opened at NCMEC."""
    build = ncmec.build_file_details

    def with_classification(export, item, **kwargs):
        details = build(export, item, **kwargs)
        element = details.makeelement("industryClassification", {})
        element.text = "A1"
        details.insert(list(details).index(details.find("fileRelevance")) + 1, element)
        return details

    monkeypatch.setattr(ncmec, "build_file_details", with_classification)
    with pytest.raises(ApplicationError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert caught.value.code == "export_invalid"
    assert "fileinfo" not in api.steps()
    assert api.steps() == []  # the pre-check refused before /submit


def test_the_double_refuses_the_supplemental_rule_at_finish(api):
    """The double behaves as NCMEC: §1.4 is checked at /finish."""
    destination = NcmecDestination(CONFIG)
    export = two_hashed()
    result = destination.submit(export)
    report = api.reports[result.report_id]
    report["state"] = "open"
    details = next(iter(report["details"].values()))
    element = details.makeelement("industryClassification", {})
    element.text = "B1"
    details.append(element)
    with httpx.Client(transport=httpx.MockTransport(api.handler)) as http:
        answer = http.post(
            f"{TEST_URL}/finish", data={"id": result.report_id}, auth=(USERNAME, PASSWORD)
        )
    assert b"<responseCode>4100</responseCode>" in answer.content


def test_a_case_that_cannot_be_reported_opens_nothing(api):
    export = helpers.snapshot(assessment=helpers.assessment(legal_basis="not_illegal"))
    with pytest.raises(ApplicationError) as caught:
        NcmecDestination(CONFIG).submit(export)
    assert caught.value.code == "not_reportable"
    assert api.calls == []


def test_status_checks_the_credentials(api):
    NcmecDestination(CONFIG).check_status()
    assert api.calls[0].method == "GET" and api.calls[0].step == "status"
    with pytest.raises(NcmecError) as caught:
        NcmecDestination(dataclasses.replace(CONFIG, username="x")).check_status()
    assert caught.value.code == "ncmec_authentication_required"


def test_configuration_comes_from_the_settings(settings):
    config = NcmecConfig.from_settings()
    assert config.base_url == TEST_URL
    assert (config.username, config.password) == (USERNAME, PASSWORD)
    settings.NCMEC_ENVIRONMENT = "production"
    assert NcmecConfig.from_settings().base_url == "https://report.cybertip.org/ispws"
    settings.NCMEC_PASSWORD = ""
    with pytest.raises(ApplicationError) as caught:
        NcmecConfig.from_settings()
    assert caught.value.code == "ncmec_not_configured"
    assert "NCMEC_PASSWORD" in caught.value.fields


def test_a_document_problem_after_submit_retracts(api, monkeypatch):
    """A file details that goes wrong only with NCMEC's ids is caught by our XSD before
    /fileinfo; the unfinished report is retracted."""
    build = ncmec.build_file_details

    def broken_with_real_ids(export, item, **kwargs):
        details = build(export, item, **kwargs)
        if kwargs["report_id"] != "0":
            details.find("fileRelevance").text = "Mostly Reported"
        return details

    monkeypatch.setattr(ncmec, "build_file_details", broken_with_real_ids)
    with pytest.raises(ApplicationError) as caught:
        NcmecDestination(CONFIG).submit(two_hashed())
    assert caught.value.code == "export_invalid"
    assert api.steps() == ["submit", "upload", "retract"]
    assert [r["state"] for r in api.reports.values()] == ["retracted"]
    assert "retracted" in caught.value.fields["retract"][0]
