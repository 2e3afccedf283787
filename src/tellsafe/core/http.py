"""The one outbound HTTP client. Everything the platform sends to another server goes
through here, so tests can inject a transport (no network in tests) and timeouts and
headers are the same everywhere. Request and response bodies are never logged."""

from __future__ import annotations

from typing import Any

import httpx

_transport: httpx.BaseTransport | None = None
USER_AGENT = "tellsafe/0.1"


def set_transport(transport: httpx.BaseTransport | None) -> None:
    """Route every request through ``transport`` (tests, simulators); None restores the
    real network."""
    global _transport
    _transport = transport


def client(timeout: float = 10.0) -> httpx.Client:
    return httpx.Client(
        transport=_transport,
        timeout=timeout,
        headers={"User-Agent": USER_AGENT},
        follow_redirects=False,
    )


class ProviderError(Exception):
    """A provider answered with an error; ``code`` is safe to store and show."""

    def __init__(self, code: str, *, retryable: bool = True) -> None:
        super().__init__(code)
        self.code = code[:200]
        self.retryable = retryable


def check(response: httpx.Response) -> Any:
    """The JSON body of a successful answer, or ProviderError with the status code."""
    if response.status_code >= 400:
        retryable = response.status_code >= 500 or response.status_code == 429
        raise ProviderError(f"http_{response.status_code}", retryable=retryable)
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {}
