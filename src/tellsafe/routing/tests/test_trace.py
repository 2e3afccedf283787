"""``trace_url``: outcomes, hosting country, CDN, refusals and the abuse contact, with a
recorded resolver and a fake IP database."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tellsafe.routing.contacts import AbuseContact, AbuseQuery
from tellsafe.routing.ipdb import IpInfo
from tellsafe.routing.tests.factories import (
    AMAZON_V4,
    CLOUDFLARE_V4,
    FASTLY_V4,
    HETZNER_V4,
    HETZNER_V6,
    OVH_V4,
    FakeIpDatabase,
    resolver,
)
from tellsafe.routing.trace import OUTCOMES, trace_url

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def trace(url, **kwargs):
    kwargs.setdefault("resolver", resolver())
    kwargs.setdefault("ip_database", FakeIpDatabase())
    return trace_url(url, now=NOW, **kwargs)


def test_a_host_with_one_network():
    result = trace("https://user:secret@www.example.net/album/7.jpg#x")
    assert result.outcome == "ok"
    assert result.url == "https://www.example.net/album/7.jpg"
    assert result.host == "www.example.net"
    assert result.cname_chain == ("files.example.net",)
    assert [a.ip for a in result.addresses] == [HETZNER_V4, HETZNER_V6]
    assert [a.version for a in result.addresses] == [4, 6]
    assert result.hosting_country == "DE"
    assert (result.asn, result.org, result.asns) == (24940, "Hetzner Online GmbH", (24940,))
    assert not result.behind_cdn and result.cdn == ""
    assert result.abuse_contact == AbuseContact(
        source="ip_registry", email="abuse@hetzner.example", name="Hetzner Online GmbH", asn=24940
    )
    assert result.traced_at == NOW
    assert result.ipdb_version == "fake-ipdb 1"


def test_addresses_in_two_countries_give_a_list():
    result = trace("http://split.example.net/")
    assert result.hosting_country == ("DE", "FR")
    assert result.asn is None and result.org == ""
    assert result.asns == (24940, 16276)
    assert result.to_dict()["hosting_country"] == ["DE", "FR"]


def test_behind_a_cdn_by_cname():
    result = trace("https://media.example.org/v.mp4")
    assert result.outcome == "ok"
    assert result.cname_chain == ("d111111abcdef8.cloudfront.net",)
    assert result.behind_cdn and result.cdn == "amazon_cloudfront"
    assert result.cdn_name == "Amazon CloudFront"
    assert result.addresses[0].asn == 16509 and result.addresses[0].cdn == ""


def test_behind_a_cdn_by_asn():
    result = trace("https://proxied.example.org/")
    assert result.behind_cdn and result.cdn == "cloudflare"
    assert result.addresses[0].cdn == "cloudflare"


def test_a_cdn_hostname_reported_directly():
    records = {"d2.cloudfront.net": {"A": [AMAZON_V4]}}
    result = trace("https://d2.cloudfront.net/x", resolver=resolver(records))
    assert result.cdn == "amazon_cloudfront"


def test_an_address_literal_needs_no_dns():
    recorded = resolver()
    result = trace(f"http://[{HETZNER_V6}]:8080/x", resolver=recorded)
    assert result.outcome == "ok" and result.hosting_country == "DE"
    assert recorded.queries == []
    hex_form = trace("http://0x33.9.1/", resolver=recorded)  # 51.9.0.1, as browsers read it
    assert hex_form.host == "51.9.0.1" and hex_form.outcome == "ok"


@pytest.mark.parametrize(
    "url,outcome",
    [
        ("http://gone.example.org/", "nxdomain"),
        ("http://dangling.example.org/", "nxdomain"),
        ("http://empty.example.org/", "no_answer"),
        ("http://slow.example.org/", "timeout"),
        ("http://broken.example.org/", "dns_error"),
    ],
)
def test_dns_failures_are_outcomes_without_addresses(url, outcome):
    database = FakeIpDatabase()
    result = trace(url, ip_database=database)
    assert result.outcome == outcome
    assert result.addresses == () and result.hosting_country is None
    assert result.abuse_contact is None and database.asked == []


def test_loops_and_long_chains_are_outcomes():
    records = {
        "a.example.org": {"CNAME": "b.example.org"},
        "b.example.org": {"CNAME": "a.example.org"},
    }
    looped = trace("http://a.example.org/", resolver=resolver(records))
    assert looped.outcome == "cname_loop"
    assert looped.cname_chain == ("b.example.org", "a.example.org")
    chain = {f"c{i}.example.org": {"CNAME": f"c{i + 1}.example.org"} for i in range(30)}
    assert trace("http://c0.example.org/", resolver=resolver(chain)).outcome == "cname_too_long"


def test_a_host_resolving_only_to_internal_addresses_is_refused():
    database = FakeIpDatabase()
    result = trace("http://internal.example.org/", ip_database=database)
    assert result.outcome == "refused_private"
    assert result.addresses == () and result.refused_addresses == ("10.1.2.3", "fd00::1")
    assert result.abuse_contact is None
    assert database.asked == []  # internal addresses are never used further


def test_internal_addresses_among_public_ones_are_dropped():
    database = FakeIpDatabase()
    result = trace("http://half.example.org/", ip_database=database)
    assert result.outcome == "ok"
    assert [a.ip for a in result.addresses] == [HETZNER_V4]
    assert result.refused_addresses == ("127.0.0.1",)
    assert database.asked == [HETZNER_V4]


@pytest.mark.parametrize(
    "url,outcome,error",
    [
        ("http://127.0.0.1/", "refused_private", "private_address"),
        ("http://0x7f.1/", "refused_private", "private_address"),
        ("http://localhost:8000/", "refused_private", "private_address"),
        ("http://[::ffff:10.0.0.1]/", "refused_private", "private_address"),
        ("ftp://files.example.net/", "invalid", "unsupported_scheme"),
        ("http://exa mple.com/", "invalid", "invalid_url"),
        ("http://intranet/", "invalid", "invalid_url"),
        ("", "invalid", "invalid_url"),
    ],
)
def test_urls_that_are_not_traced(url, outcome, error):
    recorded = resolver()
    result = trace(url, resolver=recorded)
    assert (result.outcome, result.error) == (outcome, error)
    assert result.message
    assert recorded.queries == []
    assert result.to_dict()["error"] == error


def test_a_partner_record_comes_before_the_registry_mailbox():
    asked: list[AbuseQuery] = []
    partner = AbuseContact(source="partner", email="csam@host.example", name="Host", partner_id=7)

    def lookup(query: AbuseQuery) -> AbuseContact | None:
        asked.append(query)
        return partner if 24940 in query.asns else None

    result = trace("https://www.example.net/", abuse_contact_lookup=lookup)
    assert result.abuse_contact == partner
    assert asked[0].host == "www.example.net"
    assert asked[0].cname_chain == ("files.example.net",)
    assert asked[0].countries == ("DE",)
    assert asked[0].registry_mailboxes == ((24940, "Hetzner Online GmbH", "abuse@hetzner.example"),)
    # No partner for this network: the registry's mailbox.
    other = trace("http://moved.example.net/", abuse_contact_lookup=lookup)
    assert other.abuse_contact == AbuseContact(
        source="ip_registry", email="abuse@ovh.example", name="OVH SAS", asn=16276
    )


def test_no_contact_when_neither_knows_one():
    result = trace("http://fastly.example.org/", abuse_contact_lookup=lambda query: None)
    assert result.addresses[0].ip == FASTLY_V4
    assert result.abuse_contact is None


def test_the_most_common_network_gives_the_registry_contact():
    records = {"many.example.org": {"A": [OVH_V4, HETZNER_V4, "5.9.0.2"]}}
    table = {
        OVH_V4: IpInfo(country="FR", asn=16276, org="OVH SAS", abuse_email="abuse@ovh.example"),
        HETZNER_V4: IpInfo(country="DE", asn=24940, org="Hetzner", abuse_email=""),
        "5.9.0.2": IpInfo(country="DE", asn=24940, org="Hetzner", abuse_email="abuse@hz.example"),
    }
    result = trace(
        "http://many.example.org/", resolver=resolver(records), ip_database=FakeIpDatabase(table)
    )
    assert result.asns == (24940, 16276)
    assert result.abuse_contact.email == "abuse@hz.example"


def test_a_lookup_must_return_a_contact():
    with pytest.raises(TypeError):
        trace("https://www.example.net/", abuse_contact_lookup=lambda query: "abuse@x.example")


def test_unknown_addresses_have_no_country():
    records = {"new.example.org": {"A": ["45.1.1.1"]}}
    result = trace("http://new.example.org/", resolver=resolver(records))
    assert result.outcome == "ok"
    assert result.hosting_country is None and result.asns == ()


def test_the_result_is_frozen_and_serialisable():
    result = trace("https://shop.example.org/item?id=1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = "nxdomain"  # type: ignore[misc]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["url"] == "https://shop.example.org/item?id=1"
    assert data["behind_cdn"] is True and data["cdn"] == "cloudflare"
    assert data["addresses"][0]["ip"] == CLOUDFLARE_V4
    assert data["traced_at"] == "2026-11-29T12:00:00+00:00"
    assert data["outcome"] in OUTCOMES
    stored = result.to_dict(include_url=False)
    assert "url" not in stored and "item" not in json.dumps(stored)


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        trace_url("http://files.example.net/", resolver=resolver(), now=datetime(2026, 1, 1))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_any_text_gets_an_outcome_never_an_exception(raw):
    result = trace_url(raw, resolver=resolver({}), ip_database=FakeIpDatabase(), now=NOW)
    assert result.outcome in OUTCOMES
    if result.url:
        assert "@" not in result.url.split("/")[2]
    json.dumps(result.to_dict())
