"""A stand-in for NCMEC's CyberTipline Reporting API, installed as the transport of the
one outbound HTTP client. It checks Basic auth, validates what it is sent against our
XSDs, keeps each report's state (open, finished, retracted), records every call, answers
``reportResponse`` documents like the API, and fails on demand: a response code for a
step, or no answer at all."""

from __future__ import annotations

import base64
import hashlib
import itertools
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

import defusedxml.ElementTree as safe_et
import httpx

from tellsafe.core import http as outbound_http
from tellsafe.routing.exchange import documents
from tellsafe.routing.exchange.ncmec_transport import TEST_URL

USERNAME = "hotline-user"
PASSWORD = "hotline-secret"
_ids = itertools.count(7000001)


@dataclass
class Call:
    step: str
    method: str
    authorised: bool
    content_type: str
    form: dict[str, str] = field(default_factory=dict)
    xml: Any = None  # the parsed document sent, for /submit and /fileinfo
    file_name: str = ""
    file_type: str = ""
    file_bytes: bytes = b""


def _status(code: int) -> int:
    if code == 0:
        return 200
    if code == 2000:
        return 401
    if 3000 <= code < 4000:
        return 403
    if code < 2000:
        return 500
    return 400


class FakeNcmec:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.fail: dict[str, int] = {}  # step -> responseCode to answer with
        self.silent: set[str] = set()  # steps that get no answer (connection error)
        self.silent_after: set[str] = set()  # steps done, but the answer is lost
        self.raw: dict[str, httpx.Response] = {}  # step -> a canned answer
        self.reports: dict[str, dict[str, Any]] = {}

    # --- helpers for the tests ---------------------------------------------------------

    def install(self) -> FakeNcmec:
        outbound_http.set_transport(httpx.MockTransport(self.handler))
        return self

    def steps(self) -> list[str]:
        return [call.step for call in self.calls]

    # --- the API -------------------------------------------------------------------------

    def _answer(self, code: int, root: str = "reportResponse", **values: Any) -> httpx.Response:
        parts = [f"<responseCode>{code}</responseCode>"]
        parts.append(
            f"<responseDescription>{'Success' if code == 0 else 'Error'}</responseDescription>"
        )
        for name, value in values.items():
            if name == "files":
                parts.append(
                    "<files>" + "".join(f"<fileId>{f}</fileId>" for f in value) + "</files>"
                )
            else:
                parts.append(f"<{name}>{value}</{name}>")
        body = f"<{root}>{''.join(parts)}</{root}>".encode()
        headers = {"Content-Type": "application/xml", "Request-ID": f"req-{next(_ids)}"}
        return httpx.Response(_status(code), content=body, headers=headers)

    def handler(self, request: httpx.Request) -> httpx.Response:
        step = request.url.path.rsplit("/", 1)[-1]
        assert str(request.url).startswith(TEST_URL + "/"), request.url
        call = Call(
            step=step,
            method=request.method,
            authorised=self._authorised(request),
            content_type=request.headers.get("content-type", ""),
        )
        self._read(request, call)
        self.calls.append(call)
        if step in self.silent:
            raise httpx.ConnectError("no route", request=request)
        if step in self.raw:
            return self.raw[step]
        if not call.authorised:
            return self._answer(2000)
        if step in self.fail:
            return self._answer(self.fail[step])
        answer = getattr(self, f"_{step}")(call)
        if step in self.silent_after:
            raise httpx.ReadTimeout("answer lost", request=request)
        return answer

    @staticmethod
    def _authorised(request: httpx.Request) -> bool:
        expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
        return request.headers.get("authorization", "") == f"Basic {expected}"

    @staticmethod
    def _read(request: httpx.Request, call: Call) -> None:
        body = request.read()
        if call.content_type.startswith("text/xml"):
            call.xml = safe_et.fromstring(body, forbid_dtd=True)
        elif call.content_type.startswith("application/x-www-form-urlencoded"):
            call.form = dict(parse_qsl(body.decode()))
        elif call.content_type.startswith("multipart/form-data"):
            head = f"Content-Type: {call.content_type}\r\n\r\n".encode()
            message = BytesParser(policy=HTTP).parsebytes(head + body)
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                if part.get_filename():
                    call.file_name = part.get_filename() or ""
                    call.file_type = part.get_content_type()
                    call.file_bytes = payload
                else:
                    call.form[str(name)] = payload.decode()

    def _status(self, call: Call) -> httpx.Response:
        return self._answer(0)

    def _submit(self, call: Call) -> httpx.Response:
        if call.xml is None or call.xml.tag != "report":
            return self._answer(4110)
        if documents.xml_problems("ncmec_report", call.xml):
            return self._answer(4100)
        report_id = str(next(_ids))
        self.reports[report_id] = {"state": "open", "files": {}, "details": {}}
        return self._answer(0, reportId=report_id)

    def _open(self, report_id: str) -> tuple[dict[str, Any] | None, int]:
        report = self.reports.get(report_id)
        if report is None:
            return None, 5001
        if report["state"] == "finished":
            return None, 5102
        if report["state"] == "retracted":
            return None, 5101
        return report, 0

    def _upload(self, call: Call) -> httpx.Response:
        report, code = self._open(call.form.get("id", ""))
        if report is None:
            return self._answer(code)
        if not call.file_bytes:
            return self._answer(4200)
        file_id = f"f{next(_ids)}"
        report["files"][file_id] = call.file_bytes
        md5 = hashlib.md5(call.file_bytes, usedforsecurity=False).hexdigest()
        return self._answer(0, reportId=call.form["id"], fileId=file_id, hash=md5)

    def _fileinfo(self, call: Call) -> httpx.Response:
        if call.xml is None or call.xml.tag != "fileDetails":
            return self._answer(4110)
        report, code = self._open(call.xml.findtext("reportId") or "")
        if report is None:
            return self._answer(code)
        file_id = call.xml.findtext("fileId") or ""
        if file_id not in report["files"]:
            return self._answer(5002)
        if documents.xml_problems("ncmec_filedetails", call.xml):
            return self._answer(4100)
        report["details"][file_id] = call.xml
        return self._answer(0)

    def _finish(self, call: Call) -> httpx.Response:
        report_id = call.form.get("id", "")
        report, code = self._open(report_id)
        if report is None:
            return self._answer(code)
        for details in report["details"].values():  # §1.4, checked at /finish
            if details.findtext("fileRelevance") == "Supplemental Reported" and (
                details.find("industryClassification") is not None
                or details.find("fileAnnotations/potentialMeme") is not None
            ):
                return self._answer(4100)
        report["state"] = "finished"
        return self._answer(
            0, root="reportDoneResponse", reportId=report_id, files=list(report["files"])
        )

    def _retract(self, call: Call) -> httpx.Response:
        report, code = self._open(call.form.get("id", ""))
        if report is None:
            return self._answer(code)
        report["state"] = "retracted"
        return self._answer(0)
