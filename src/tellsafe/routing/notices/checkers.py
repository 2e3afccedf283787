"""Re-checking whether noticed content is still there. Checkers are plugins by stable
name, checked at start-up (``notices.checks``); the ``recheck_notices`` task runs the
configured ones over open notices (``delivery.recheck_open_notices``).

- ``partner_confirmation`` (always on): does nothing but wait for the partner's answer.
- ``http_head`` (only with the setting ``NOTICE_HTTP_HEAD_CHECKS = True``): one HEAD
  request to the reported URL through ``core.http``, never GET, so no content is ever
  downloaded. The host must resolve to public addresses only, and the request goes to
  the checked address (``outbound``). 404, 410 or a domain that no longer exists mean
  gone; a 2xx means present; anything else says nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import httpx
from django.conf import settings

from tellsafe.cases.models import ContentItem
from tellsafe.routing.notices import outbound
from tellsafe.routing.notices.models import Notice

GONE_STATUSES = {404, 410}


@dataclass(frozen=True)
class CheckResult:
    """``code``: waiting, skipped, present, gone, unknown or refused_private; ``detail``
    is a short code (``http_404``, ``nxdomain``...)."""

    code: str
    detail: str = ""

    @property
    def gone(self) -> bool:
        return self.code == "gone"


class Checker:
    """Base class of checker plugins. ``check`` must not raise for what the network
    answers: every answer is a result."""

    name = ""

    def check(self, notice: Notice) -> CheckResult:
        raise NotImplementedError


class PartnerConfirmation(Checker):
    """The default: only the partner's answer moves the notice."""

    name = "partner_confirmation"

    def check(self, notice: Notice) -> CheckResult:
        return CheckResult("waiting")


def head_checks_enabled() -> bool:
    return getattr(settings, "NOTICE_HTTP_HEAD_CHECKS", False) is True


class HttpHead(Checker):
    """One HEAD request to the reported URL; see the module docstring."""

    name = "http_head"

    def check(self, notice: Notice) -> CheckResult:
        if not head_checks_enabled():
            return CheckResult("skipped", "disabled")
        item = notice.content_item
        if item.kind != ContentItem.Kind.URL or not item.url:
            return CheckResult("skipped", "no_url")
        try:
            response = outbound.request("HEAD", item.url, timeout=10.0)
        except outbound.TargetRefused as exc:
            if exc.code == "nxdomain":
                return CheckResult("gone", "nxdomain")
            if exc.code == "private_address":
                return CheckResult("refused_private", exc.code)
            return CheckResult("unknown", f"target_{exc.code}")
        except httpx.TimeoutException:
            return CheckResult("unknown", "timeout")
        except httpx.HTTPError:
            return CheckResult("unknown", "network_error")
        status = response.status_code
        if status in GONE_STATUSES:
            return CheckResult("gone", f"http_{status}")
        if 200 <= status < 300:
            return CheckResult("present", f"http_{status}")
        return CheckResult("unknown", f"http_{status}")


@functools.cache
def registry() -> dict[str, Checker]:
    plugins: tuple[Checker, ...] = (PartnerConfirmation(), HttpHead())
    names = [plugin.name for plugin in plugins]
    if len(set(names)) != len(names) or not all(names):
        raise RuntimeError(f"notice checker names must be unique and non-empty: {names}")
    return {plugin.name: plugin for plugin in plugins}


def configured() -> list[Checker]:
    """The checkers to run now: partner_confirmation, and http_head when enabled."""
    plugins = registry()
    chosen = [plugins["partner_confirmation"]]
    if head_checks_enabled():
        chosen.append(plugins["http_head"])
    return chosen
