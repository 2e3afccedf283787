"""``tellsafe trace URL...``: where is each URL hosted? For analysts and operators.

One JSON object per URL per line on stdout, in the order given: the normalised URL
(credentials removed), host, CNAME chain, each address with its country, ASN and
organisation, CDN, hosting country, abuse contact and outcome. A URL that cannot be
traced (not a web link, or an internal address) gets a line with ``error`` and
``message`` instead, the others are still traced, and the exit status is then 1::

    {"url": "https://example.org/", "host": "example.org", "outcome": "ok", ...}
    {"argument": 2, "outcome": "invalid", "error": "unsupported_scheme", "message": "…"}

Only DNS is asked; the content is never fetched. Nothing is stored.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tellsafe.core.errors import ApplicationError
from tellsafe.routing import contacts, resolve
from tellsafe.routing.trace import trace_url

MAX_URLS = 1000


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 60:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 60, not {text!r}")
    return value


class _FirstUse:
    """The resolver, made when a host name is first asked: refused URLs and address
    literals need no DNS configuration at all."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.made: resolve.Resolver | None = None

    def query(self, name: str, rdtype: str) -> resolve.DnsAnswer:
        if self.made is None:
            self.made = resolve.default_resolver(**self.options)
        return self.made.query(name, rdtype)


class Command(BaseCommand):
    """``tellsafe trace``: see the module docstring for the output."""

    help = "Trace where URLs are hosted (DNS, country, ASN, CDN): one JSON line per URL."

    requires_system_checks: list[str] = []

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("urls", nargs="+", metavar="URL", help="links to trace")
        parser.add_argument(
            "--nameserver",
            action="append",
            dest="nameservers",
            metavar="IP",
            help="ask this recursive nameserver (repeatable; default: TRACE_NAMESERVERS, "
            "else the system's)",
        )
        parser.add_argument(
            "--timeout",
            type=_seconds,
            default=None,
            help="DNS timeout in seconds (default: TRACE_TIMEOUT_SECONDS, else 3)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        urls: list[str] = options["urls"]
        if len(urls) > MAX_URLS:
            raise CommandError(f"Give at most {MAX_URLS} URLs at a time.")
        resolver = _FirstUse(nameservers=options["nameservers"], timeout=options["timeout"])
        try:
            lookup = contacts.configured_lookup()
        except ApplicationError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from exc
        failed = 0
        for index, url in enumerate(urls, start=1):
            try:
                result = trace_url(url, resolver=resolver, abuse_contact_lookup=lookup)
            except ApplicationError as exc:  # no DNS or no IP database: stop here
                raise CommandError(f"{exc.code}: {exc.message}") from exc
            if result.outcome in ("invalid", "refused_private"):
                failed += 1
                line: dict[str, Any] = {
                    "argument": index,
                    "url": result.url,
                    "outcome": result.outcome,
                    "error": result.error,
                    "message": result.message,
                }
                if not result.url:
                    del line["url"]
            else:
                line = result.to_dict()
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        if failed:
            raise CommandError(f"{failed} of {len(urls)} URLs could not be traced.")
