"""Reads of the hosting trace: an item's latest trace, and whether its hosting moved."""

from __future__ import annotations

from dataclasses import dataclass

from tellsafe.cases.models import ContentItem
from tellsafe.routing.models import HostingTrace


def latest_trace(*, item: ContentItem) -> HostingTrace | None:
    """The newest trace of ``item``, whatever its outcome (index trace_item_latest_idx)."""
    return HostingTrace.objects.filter(content_item=item).order_by("-traced_at", "-id").first()


def traces_of(*, item: ContentItem, limit: int = 50) -> list[HostingTrace]:
    """The traces of ``item``, newest first."""
    limit = max(1, min(int(limit), 500))
    return list(
        HostingTrace.objects.filter(content_item=item).order_by("-traced_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class HostingChange:
    """How the hosting differs between two traces that found it."""

    before: HostingTrace
    after: HostingTrace
    asns_before: frozenset[int]
    asns_after: frozenset[int]
    countries_before: frozenset[str]
    countries_after: frozenset[str]

    @property
    def country_changed(self) -> bool:
        return self.countries_before != self.countries_after

    @property
    def network_changed(self) -> bool:
        return self.asns_before != self.asns_after


def hosting_change(*, item: ContentItem) -> HostingChange | None:
    """The change between the two latest traces of ``item`` that found hosting (outcome
    ``ok``), if their networks (origin ASNs) or countries differ; None otherwise.

    Addresses alone are not compared: CDNs and load balancers rotate them all the time.
    Content that is gone (NXDOMAIN and the like) has not moved, so those traces are
    skipped."""
    found = list(
        HostingTrace.objects.filter(content_item=item, outcome=HostingTrace.Outcome.OK).order_by(
            "-traced_at", "-id"
        )[:2]
    )
    if len(found) < 2:
        return None
    after, before = found
    change = HostingChange(
        before=before,
        after=after,
        asns_before=frozenset(before.asns),
        asns_after=frozenset(after.asns),
        countries_before=frozenset(before.countries),
        countries_after=frozenset(after.countries),
    )
    return change if change.country_changed or change.network_changed else None


def hosting_moved(*, item: ContentItem) -> bool:
    """True when ``item``'s hosting moved between its two latest located traces."""
    return hosting_change(item=item) is not None


__all__ = ["HostingChange", "hosting_change", "hosting_moved", "latest_trace", "traces_of"]
