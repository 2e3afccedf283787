"""Telegram Bot API. Settings: ``api_base`` (default https://api.telegram.org),
``webhook_url`` (our public hook URL, for setWebhook). Secrets: ``bot_token``,
``secret_token`` (sent by Telegram in X-Telegram-Bot-Api-Secret-Token).

Media: a message names a ``file_id``; ``getFile`` answers its ``file_path``, downloaded
from ``/file/bot<token>/<file_path>``. The Bot API serves bots files of up to 20 MB."""

from __future__ import annotations

import hmac
import json
import re
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest

from tellsafe.core.http import ProviderError, check
from tellsafe.intake.channels import (
    Channel,
    InboundEvent,
    Outgoing,
    PayloadError,
    SignatureError,
    call,
    download,
    media_limit,
    provider_json,
)

FILE_ID = re.compile(r"[0-9A-Za-z_-]{1,256}")
FILE_PATH = re.compile(r"[0-9A-Za-z_-][0-9A-Za-z_./-]{0,255}")


class TelegramChannel(Channel):
    name = "telegram"
    max_buttons = 8

    def verify(self, request: HttpRequest, config: Any) -> None:
        header = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        secret = config.secret("secret_token")
        if not secret or not hmac.compare_digest(header.encode(), secret.encode()):
            raise SignatureError

    def parse(self, request: HttpRequest, config: Any) -> list[Any]:
        try:
            update = json.loads(request.body)
            update_id = update["update_id"]
        except (ValueError, TypeError, KeyError) as exc:
            raise PayloadError("not a Telegram update") from exc
        if "callback_query" in update:
            query = update["callback_query"]
            chat = (query.get("message") or {}).get("chat", {}).get("id") or query["from"]["id"]
            return [
                InboundEvent(
                    provider_id=str(update_id),
                    contact=str(chat),
                    choice=str(query.get("data", "")),
                    session=str(query.get("id", "")),  # answered in the webhook's reply
                    language_hint=query.get("from", {}).get("language_code", ""),
                )
            ]
        message = update.get("message")  # an edited old message is not a new answer
        if not isinstance(message, dict) or "chat" not in message:
            return []  # updates we do not handle (channel posts, reactions...)
        media = []
        for kind in ("photo", "document", "video", "voice", "audio", "sticker"):
            item = message.get(kind)
            if item:
                item = item[-1] if isinstance(item, list) else item
                media.append(
                    {
                        "provider_media_id": item.get("file_unique_id", ""),
                        "mime": item.get("mime_type", kind),
                        "sha256": "",
                        "file_id": str(item.get("file_id", ""))[:256],  # for getFile
                        "size": item.get("file_size") or 0,
                    }
                )
        return [
            InboundEvent(
                provider_id=str(update_id),
                contact=str(message["chat"]["id"]),
                text=message.get("text") or message.get("caption") or "",
                media=media,
                language_hint=message.get("from", {}).get("language_code", ""),
            )
        ]

    def acknowledge(self, events: list[Any], replies: list[Any], finished: bool = False) -> Any:
        """A tapped button is answered in the webhook's reply, so its spinner stops."""
        from django.http import HttpResponse, JsonResponse

        tapped = [e.session for e in events if getattr(e, "choice", "") and e.session]
        if tapped:
            return JsonResponse({"method": "answerCallbackQuery", "callback_query_id": tapped[0]})
        return HttpResponse(status=200)

    def _api(self, config: Any) -> str:
        base = config.settings.get("api_base", "https://api.telegram.org").rstrip("/")
        return f"{base}/bot{config.secret('bot_token')}"

    def send(self, config: Any, message: Outgoing, http: Any) -> str:
        payload: dict[str, Any] = {"chat_id": message.to, "text": message.body[:4096]}
        if message.options:
            payload["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": label[:60], "callback_data": value[:64]}]
                    for value, label in message.options
                ]
            }
        answer = check(http.post(f"{self._api(config)}/sendMessage", json=payload))
        try:
            return str(answer["result"]["message_id"])
        except (KeyError, TypeError) as exc:
            raise ProviderError("no_message_id") from exc

    def set_webhook(self, config: Any, http: Any) -> None:
        """Point the bot at our hook, with the secret Telegram must send back."""
        check(
            http.post(
                f"{self._api(config)}/setWebhook",
                json={
                    "url": config.settings["webhook_url"],
                    "secret_token": config.secret("secret_token"),
                    "allowed_updates": ["message", "edited_message", "callback_query"],
                },
            )
        )

    def fetch_media(self, config: Any, item: dict[str, Any], http: Any) -> bytes:
        file_id = str(item.get("file_id", ""))
        if not FILE_ID.fullmatch(file_id):
            raise ProviderError("bad_media_reference", retryable=False)
        size = item.get("size")
        if isinstance(size, int) and size > media_limit():
            raise ProviderError("too_large", retryable=False)
        response = call(http, "POST", f"{self._api(config)}/getFile", json={"file_id": file_id})
        if response.status_code == 400 and b"too big" in response.content:
            raise ProviderError("too_large", retryable=False)  # over the Bot API's 20 MB
        result = provider_json(response).get("result")
        path = result.get("file_path") if isinstance(result, dict) else None
        if not isinstance(path, str) or not FILE_PATH.fullmatch(path) or ".." in path:
            raise ProviderError("no_media_url", retryable=False)
        base = config.settings.get("api_base", "https://api.telegram.org").rstrip("/")
        token = quote(config.secret("bot_token"), safe=":")
        return download(http, f"{base}/file/bot{token}/{path}", api_base=base)

    def contact_kind(self, config: Any = None) -> str:
        return "telegram"
