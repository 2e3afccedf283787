"""Doubles and helpers for the chat-media tests: provider media APIs behind the outbound
HTTP client's transport, generated pictures, and chat reports with media."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

import httpx
from PIL import Image

from tellsafe.cases.models import ContentItem
from tellsafe.core import http as outbound_http
from tellsafe.intake import media
from tellsafe.intake.demo_channels import DEMO_CHANNELS
from tellsafe.intake.models import ChannelConfig, Report
from tellsafe.intake.tests import channel_helpers as h
from tellsafe.intake.tests.factories import make_report
from tellsafe.matching import hashing
from tellsafe.matching.tests.images import photo_like

TWILIO_SID = DEMO_CHANNELS["twilio"][0]["account_sid"]
TG_TOKEN = DEMO_CHANNELS["telegram"][0]["bot_token"]
WA_TOKEN = DEMO_CHANNELS["whatsapp"][0]["access_token"]
LOOKASIDE = "https://lookaside.fbsbx.com/whatsapp_business/attachments/"
TWILIO_CDN = "https://mms.twiliocdn.com/"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SEQ = itertools.count(1)


def jpeg(seed: int, *, rotate: bool = False, size: tuple[int, int] = (160, 120)) -> bytes:
    picture = photo_like(*size, seed=seed)
    if rotate:
        picture = picture.transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=92)
    return buffer.getvalue()


def pdq_of(data: bytes) -> str:
    return hashing.get("pdq").hash_bytes(data).value


class MediaApis:
    """The providers' media APIs (and, through channel_helpers.Provider, their messaging
    APIs): serves files, fails on demand, and keeps every request."""

    def __init__(self) -> None:
        self.messaging = h.Provider()
        self.requests: list[httpx.Request] = []
        self.files: dict[str, bytes] = {}  # WhatsApp media id, Twilio ME sid or Telegram path
        self.failures: list[int] = []  # statuses answered to media requests, first to last
        self.chunk = 0  # > 0: stream the file in chunks this big, without a length
        self.chunks_sent = 0
        self.declared_size: int | None = None  # what WhatsApp's media endpoint claims
        self.unreachable = False  # True: every media request fails to connect

    def handler(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        path = request.url.path
        is_media = (
            url.startswith((LOOKASIDE, TWILIO_CDN))
            or "/Media/" in path
            or path.endswith("/getFile")
            or path.startswith("/file/bot")
            or (path.startswith("/v21.0/") and not path.endswith("/messages"))
        )
        if not is_media:
            return self.messaging.handler(request)
        self.requests.append(request)
        if self.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        if self.failures:
            status = self.failures.pop(0)
            if status == 400 and path.endswith("/getFile"):  # what the Bot API says
                return httpx.Response(
                    400,
                    json={
                        "ok": False,
                        "error_code": 400,
                        "description": "Bad Request: file is too big",
                    },
                )
            return httpx.Response(status, json={"error": "temporarily down"})
        if path.startswith("/v21.0/"):  # WhatsApp: the media's URL, for our number only
            media_id = path.rsplit("/", 1)[1]
            if media_id not in self.files:
                return httpx.Response(404, json={"error": {"code": 100}})
            size = self.declared_size or len(self.files[media_id])
            return httpx.Response(
                200,
                json={
                    "messaging_product": "whatsapp",
                    "url": f"{LOOKASIDE}?mid={media_id}&ext=1&hash=ATtz",
                    "mime_type": "image/jpeg",
                    "sha256": "c2hhMjU2",
                    "file_size": size,
                    "id": media_id,
                },
            )
        if url.startswith(LOOKASIDE):
            return self._file(request.url.params["mid"])
        if "/Media/" in path:  # Twilio: a redirect to its media store
            return httpx.Response(307, headers={"Location": f"{TWILIO_CDN}{path.rsplit('/')[-1]}"})
        if url.startswith(TWILIO_CDN):
            return self._file(path.lstrip("/"))
        if path.endswith("/getFile"):
            file_id = json.loads(request.content)["file_id"]
            file_path = f"photos/file_{file_id[-4:]}.jpg"
            return httpx.Response(
                200,
                json={
                    "ok": True,
                    "result": {
                        "file_id": file_id,
                        "file_unique_id": "AQADbig",
                        "file_size": len(self.files.get(file_path, b"")),
                        "file_path": file_path,
                    },
                },
            )
        return self._file(path.split("/", 3)[3])  # /file/bot<token>/<file_path>

    def _file(self, key: str) -> httpx.Response:
        data = self.files.get(key)
        if data is None:
            return httpx.Response(404)
        if not self.chunk:
            return httpx.Response(200, content=data, headers={"Content-Type": "image/jpeg"})

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(data), self.chunk):
                self.chunks_sent += 1
                yield data[start : start + self.chunk]

        return httpx.Response(200, content=chunks())

    def install(self) -> None:
        outbound_http.set_transport(httpx.MockTransport(self.handler))


def demo(plugin: str) -> ChannelConfig:
    return ChannelConfig.objects.get(plugin=plugin, slug="demo")


def wa_item(media_id: str, mime: str = "image/jpeg") -> dict[str, Any]:
    return {"provider_media_id": media_id, "mime": mime, "sha256": "c2hhMjU2"}


def chat_report(items: list[dict[str, Any]], plugin: str = "whatsapp") -> Report:
    report = make_report(channel=plugin).report
    media.media_received(report=report, channel_id=demo(plugin).pk, items=items)
    return report


def media_items(report: Report) -> list[ContentItem]:
    return list(report.content_items.filter(kind="media").order_by("pk"))
