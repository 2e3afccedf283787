"""Sending a case to NCMEC's CyberTipline Reporting API: the routing destination ``ncmec``.

The API's lifecycle, in order, with HTTP Basic auth on every call:

1. ``POST /submit`` the ``<report>`` (text/xml): NCMEC opens a report, answers its id.
2. For each file known by its hashes, ``POST /upload`` (multipart ``id`` and ``file``)
   its hash record, a short text listing the hashes (never imagery: none is held), then
   ``POST /fileinfo`` its ``<fileDetails>``, of relevance "Supplemental Reported", whose
   ``originalFileHash`` values are the reported file's hashes.
3. ``POST /finish`` (form ``id``): the report is filed, irreversibly.

If any step fails before the report is finished, the unfinished report is retracted
(``POST /retract``), so NCMEC never keeps half a report; and if ``/finish`` itself got no
answer, the retract tells whether it had been filed ("already finished", code 5102).
Every answer is a ``reportResponse`` (``reportDoneResponse`` for /finish) whose
``responseCode`` 0 means success; any other code becomes a ``NcmecError`` that names the
step, the code and whether to try again. Answers are parsed as safely as imports.

The documents are checked against our XSDs before the first call, so a case that cannot
be reported opens nothing at NCMEC. Logs carry the step, the code and NCMEC's Request-ID
(for NCMEC's support), never a document.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et
import httpx
from defusedxml import DefusedXmlException

from tellsafe.core import http as outbound_http
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import documents, ncmec
from tellsafe.routing.exchange.collect import setting
from tellsafe.routing.exchange.model import CaseExport

log = logging.getLogger(__name__)

PRODUCTION_URL = "https://report.cybertip.org/ispws"
TEST_URL = "https://exttest.cybertip.org/ispws"
MAX_ANSWER_BYTES = 1024 * 1024
XML = {"Content-Type": "text/xml; charset=utf-8"}

# responseCode -> (our code, what it means, whether trying again may work)
RESPONSE_CODES: dict[int, tuple[str, str, bool]] = {
    1000: ("server_error", "NCMEC's server failed", True),
    1100: ("save_failed", "NCMEC could not save the report", True),
    1110: ("upload_failed", "the upload failed", True),
    1111: ("file_upload_failed", "the file upload failed", True),
    1210: ("resource_not_found", "the resource was not found", False),
    1300: ("update_failed", "NCMEC could not update the report", True),
    2000: ("authentication_required", "the credentials were missing or wrong", False),
    3000: ("not_authorized", "these credentials are not authorised", False),
    3100: ("not_authorized_submit", "these credentials may not submit reports", False),
    3300: ("not_authorized_update", "these credentials may not update reports", False),
    4000: ("invalid_request", "the request was invalid", False),
    4100: ("validation_failed", "the document failed NCMEC's validation", False),
    4110: ("malformed_xml", "the XML was malformed", False),
    4200: ("malformed_file", "the file was malformed", False),
    5001: ("report_not_found", "the report does not exist", False),
    5002: ("file_not_found", "the file does not exist", False),
    5101: ("already_retracted", "the report was already retracted", False),
    5102: ("already_finished", "the report was already finished", False),
}
_REPORT_ID = re.compile(r"[0-9]{1,20}")
_FILE_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class NcmecError(ApplicationError):
    """NCMEC refused a step, or could not be reached. ``response_code`` is NCMEC's code
    (None when there was no readable answer); ``retryable`` says whether the same report
    may be tried again later; ``retracted`` whether the unfinished report was retracted."""

    def __init__(
        self,
        step: str,
        response_code: int | None,
        description: str,
        *,
        retryable: bool = False,
        request_id: str = "",
    ) -> None:
        slug = RESPONSE_CODES.get(response_code or -1, ("", "", False))[0]
        if not slug:
            slug = f"error_{response_code}" if response_code is not None else "unreachable"
        shown = f" (code {response_code})" if response_code is not None else ""
        message = f"NCMEC refused the {step} step: {description}{shown}."
        super().__init__(f"ncmec_{slug}", message, {"ncmec": [message]}, status=502)
        self.step = step
        self.response_code = response_code
        self.retryable = retryable
        self.request_id = request_id
        self.retracted: bool | None = None


@dataclass(frozen=True)
class NcmecConfig:
    base_url: str
    username: str
    password: str
    timeout: float = 30.0

    @classmethod
    def from_settings(cls) -> NcmecConfig:
        """From ``NCMEC_ENVIRONMENT`` (``test``, the default, or ``production``) or
        ``NCMEC_BASE_URL``, and ``NCMEC_USERNAME`` / ``NCMEC_PASSWORD`` (or ``_FILE``)."""
        environment = setting("NCMEC_ENVIRONMENT", "test").lower()
        base = setting("NCMEC_BASE_URL") or {"production": PRODUCTION_URL, "test": TEST_URL}.get(
            environment, ""
        )
        problems: dict[str, list[str]] = {}
        if not base.startswith("https://"):
            problems["NCMEC_BASE_URL"] = ["An https:// URL, or NCMEC_ENVIRONMENT test|production."]
        for name in ("NCMEC_USERNAME", "NCMEC_PASSWORD"):
            if not setting(name):
                problems[name] = ["Required: NCMEC issues it when the hotline registers."]
        if problems:
            raise ApplicationError("ncmec_not_configured", "NCMEC is not configured.", problems)
        return cls(
            base_url=base.rstrip("/"),
            username=setting("NCMEC_USERNAME"),
            password=setting("NCMEC_PASSWORD"),
        )


@dataclass
class Submission:
    """A filed CyberTipline report: its id, the ids of its files, NCMEC's Request-IDs."""

    report_id: str
    file_ids: list[str] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)


class NcmecDestination:
    """The routing destination ``ncmec``: files a case as a CyberTipline report."""

    name = "ncmec"

    def __init__(self, config: NcmecConfig | None = None) -> None:
        self.config = config or NcmecConfig.from_settings()
        self.request_ids: list[str] = []

    # --- one call ----------------------------------------------------------------------

    def _answer(self, step: str, response: httpx.Response) -> Element:
        request_id = response.headers.get("Request-ID", "")[:100]
        if request_id:
            self.request_ids.append(request_id)
        retryable_status = response.status_code >= 500 or response.status_code == 429
        try:
            if len(response.content) > MAX_ANSWER_BYTES:
                raise ValueError("answer too large")
            root = safe_et.fromstring(
                response.content, forbid_dtd=True, forbid_entities=True, forbid_external=True
            )
        except (DefusedXmlException, safe_et.ParseError, ValueError):
            described = f"HTTP {response.status_code}, no readable answer"
            raise NcmecError(
                step, None, described, retryable=retryable_status, request_id=request_id
            ) from None
        code_text = (root.findtext("responseCode") or "").strip()
        if root.tag not in ("reportResponse", "reportDoneResponse") or not code_text.isdigit():
            described = f"HTTP {response.status_code}, an answer of an unknown form"
            raise NcmecError(
                step, None, described, retryable=retryable_status, request_id=request_id
            )
        code = int(code_text)
        log.info("ncmec answered", extra={"code": f"{step}:{code}", "request_id": request_id})
        if code != 0:
            _slug, meaning, retryable = RESPONSE_CODES.get(code, ("", "", False))
            description = meaning or (root.findtext("responseDescription") or "unknown")[:200]
            raise NcmecError(step, code, description, retryable=retryable, request_id=request_id)
        if response.status_code >= 400:
            described = f"HTTP {response.status_code} with a success code"
            raise NcmecError(
                step, None, described, retryable=retryable_status, request_id=request_id
            )
        return root

    def _call(self, http: httpx.Client, step: str, method: str, **kwargs: Any) -> Element:
        url = f"{self.config.base_url}/{step}"
        auth = (self.config.username, self.config.password)
        try:
            response = http.request(method, url, auth=auth, **kwargs)
        except httpx.TimeoutException:
            raise NcmecError(step, None, "no answer in time", retryable=True) from None
        except httpx.HTTPError:
            raise NcmecError(step, None, "NCMEC could not be reached", retryable=True) from None
        return self._answer(step, response)

    # --- the lifecycle -----------------------------------------------------------------

    def check_status(self) -> None:
        """``GET /status``: the credentials work and NCMEC answers; raise otherwise."""
        with outbound_http.client(timeout=self.config.timeout) as http:
            self._call(http, "status", "GET")

    def _retract(self, http: httpx.Client, report_id: str) -> str:
        """``retracted``, ``finished`` (it had been filed after all) or ``failed``."""
        try:
            self._call(http, "retract", "POST", data={"id": report_id})
        except NcmecError as exc:
            if exc.response_code == 5102:
                return "finished"
            if exc.response_code == 5101:
                return "retracted"
            log.error("ncmec retract failed", extra={"code": exc.code})
            return "failed"
        return "retracted"

    @staticmethod
    def _checked(export: CaseExport) -> tuple[bytes, list[Any]]:
        """The report's XML and the hashed items, after every document was checked
        against our XSDs with placeholder ids: nothing is opened at NCMEC for a case
        that cannot be reported."""
        report = ncmec.build_report(export)
        found = ncmec.problems(report)
        for item in export.hashed_items:
            details = ncmec.build_file_details(export, item, report_id="0", file_id="check")
            found += ncmec.problems(details)
        if found:
            raise documents.invalid(
                "export_invalid",
                "The document failed its own schema; nothing was sent.",
                {"document": found},
            )
        return ncmec.to_bytes(report), list(export.hashed_items)

    def _files(
        self, http: httpx.Client, export: CaseExport, report_id: str, items: list[Any]
    ) -> list[str]:
        file_ids = []
        for item in items:
            record = ncmec.hash_record(export, item)
            name = f"hash-record-{item.id}.txt"
            answer = self._call(
                http,
                "upload",
                "POST",
                data={"id": report_id},
                files={"file": (name, record, "text/plain")},
            )
            file_id = (answer.findtext("fileId") or "").strip()
            if not _FILE_ID.fullmatch(file_id):
                raise NcmecError("upload", None, "the answer had no usable fileId")
            echoed = (answer.findtext("hash") or "").strip().lower()
            if echoed and echoed != hashlib.md5(record, usedforsecurity=False).hexdigest():
                raise NcmecError("upload", None, "the file arrived changed (MD5 differs)")
            details = ncmec.build_file_details(export, item, report_id=report_id, file_id=file_id)
            found = ncmec.problems(details)
            if found:
                raise documents.invalid(
                    "export_invalid", "A file details failed our schema.", {"document": found}
                )
            self._call(http, "fileinfo", "POST", content=ncmec.to_bytes(details), headers=XML)
            file_ids.append(file_id)
        return file_ids

    def submit(self, export: CaseExport) -> Submission:
        """File ``export`` as a CyberTipline report (see the module docstring). Raises
        ``NcmecError`` naming the failed step, after retracting the unfinished report."""
        body, items = self._checked(export)
        self.request_ids = []
        with outbound_http.client(timeout=self.config.timeout) as http:
            opened = self._call(http, "submit", "POST", content=body, headers=XML)
            report_id = (opened.findtext("reportId") or "").strip()
            if not _REPORT_ID.fullmatch(report_id):
                raise NcmecError("submit", None, "the answer had no usable reportId")
            file_ids: list[str] = []
            try:
                file_ids = self._files(http, export, report_id, items)
                done = self._call(http, "finish", "POST", data={"id": report_id})
            except ApplicationError as exc:
                outcome = self._retract(http, report_id)
                if outcome == "finished" and isinstance(exc, NcmecError) and exc.step == "finish":
                    log.info("ncmec report finished", extra={"code": "finish:retract_5102"})
                    return Submission(report_id, file_ids, list(self.request_ids))
                if isinstance(exc, NcmecError):
                    exc.retracted = outcome == "retracted"
                exc.fields["retract"] = [
                    {
                        "retracted": f"The unfinished report {report_id} was retracted.",
                        "finished": f"Report {report_id} had been filed; check it at NCMEC.",
                        "failed": f"Report {report_id} could not be retracted; NCMEC deletes "
                        "unfinished reports after 24 hours.",
                    }[outcome]
                ]
                raise
        finished = [(e.text or "").strip() for e in done.iterfind("files/fileId")]
        log.info("ncmec report filed", extra={"code": "finish:0", "count": len(file_ids)})
        return Submission(report_id, [f for f in finished if f] or file_ids, list(self.request_ids))
