"""The partners' abuse-contact lookup (partners.lookup): a trace's host, CNAME chain and
networks matched to active hosting partners, without the network."""

from __future__ import annotations

import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.partners.lookup import (
    clean_asns,
    clean_domains,
    partner_abuse_contact,
    partner_networks_set,
)
from tellsafe.partners.models import Partner
from tellsafe.partners.tests import factories as partner_factories
from tellsafe.routing.contacts import AbuseQuery
from tellsafe.routing.tests.rules import factories as f

pytestmark = pytest.mark.django_db


def query(host="files.example.net", chain=(), asns=()):
    return AbuseQuery(host=host, cname_chain=tuple(chain), asns=tuple(asns), countries=(), cdn="")


def networks(partner, asns=(), domains=(), email=""):
    return partner_networks_set(
        partner=partner, asns=list(asns), domains=list(domains), abuse_email=email, actor=f.SYSTEM
    )


def test_a_network_finds_its_partner_with_its_mailbox():
    isp = partner_factories.partner(name="Hetzner")
    networks(isp, asns=[24940], email="abuse@hetzner.example")
    found = partner_abuse_contact(query(asns=[64500, 24940]))
    assert found is not None
    assert (found.source, found.partner_id, found.asn, found.email, found.name) == (
        "partner",
        isp.pk,
        24940,
        "abuse@hetzner.example",
        "Hetzner",
    )
    assert partner_abuse_contact(query(asns=[64500])) is None


def test_a_domain_beats_a_network_and_the_most_specific_domain_wins():
    host = partner_factories.partner(name="Cloud host")
    networks(host, asns=[16509])
    platform = partner_factories.partner(name="Photo site", kind=Partner.Kind.PLATFORM)
    networks(platform, domains=["example.net"])
    cdn_part = partner_factories.partner(name="Site CDN", kind=Partner.Kind.PLATFORM)
    networks(cdn_part, domains=["cdn.example.net"])
    assert partner_abuse_contact(query("img.example.net", asns=[16509])).partner_id == platform.pk
    assert partner_abuse_contact(query("a.cdn.example.net", asns=[16509])).partner_id == (
        cdn_part.pk
    )
    # on a label boundary only: "badexample.net" is not "example.net"
    assert partner_abuse_contact(query("badexample.net", asns=[16509])).partner_id == host.pk
    # the CNAME chain counts too
    via_chain = partner_abuse_contact(query("x.other.org", chain=["edge.example.net"]))
    assert via_chain.partner_id == platform.pk and via_chain.asn is None


def test_inactive_partners_and_those_that_cannot_take_content_down_are_never_found():
    gone = partner_factories.partner(name="Old ISP")
    networks(gone, asns=[1])
    Partner.objects.filter(pk=gone.pk).update(active=False)
    hotline = partner_factories.partner(name="A hotline", kind=Partner.Kind.HOTLINE)
    networks(hotline, asns=[2], domains=["hotline.example"])
    assert partner_abuse_contact(query("www.hotline.example", asns=[1, 2])) is None


def test_the_networks_are_cleaned_checked_and_audited():
    isp = partner_factories.partner(name="Airtel")
    networks(isp, asns=["AS9498", 9498, " 45609 "], domains=["*.Airtel.IN.", "नमूना.भारत"])
    isp.refresh_from_db()
    assert isp.asns == [9498, 45609]
    assert isp.domains == ["airtel.in", "xn--l2bar9dsa.xn--h2brj9c"]
    event = AuditEvent.objects.get(action="partner.networks")
    assert event.data == {
        "asns": [9498, 45609],
        "domains": isp.domains,
        "abuse_email": False,
    }
    with pytest.raises(ApplicationError) as caught:
        partner_networks_set(
            partner=isp,
            asns=[0, True, "AS-1", 2**32],
            domains=["localhost", "1.2.3.4", "a..b", 7],
            abuse_email="not an address",
            actor=f.SYSTEM,
        )
    assert caught.value.code == "invalid_partner_networks"
    assert set(caught.value.fields) == {"asns", "domains", "abuse_email"}
    isp.refresh_from_db()
    assert isp.asns == [9498, 45609]  # nothing half-saved


@pytest.mark.parametrize("value", ["13335", None, 13335, {"a": 1}])
def test_lists_are_required(value):
    with pytest.raises(ApplicationError):
        clean_asns(value)
    with pytest.raises(ApplicationError):
        clean_domains(value)


def test_a_real_trace_finds_the_partner_through_the_lookup():
    isp = f.receiver(asns=(55836,))
    item = f.item("isp.example.in")
    trace = f.trace(item)
    assert trace.data["abuse_contact"]["partner_id"] == isp.pk
    assert trace.data["abuse_contact"]["source"] == "partner"
