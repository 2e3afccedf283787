"""The abuse contact order: partner lookup, then the registry's mailbox, then none; and
the lookup named in the settings."""

from __future__ import annotations

import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.routing import contacts
from tellsafe.routing.contacts import AbuseContact, AbuseQuery, find_contact

QUERY = AbuseQuery(
    host="files.example.net",
    cname_chain=(),
    asns=(24940, 16276),
    countries=("DE", "FR"),
    cdn="",
    registry_mailboxes=(
        (24940, "Hetzner", "abuse@hetzner.example"),
        (16276, "OVH", "abuse@ovh.example"),
    ),
)
PARTNER = AbuseContact(source="partner", email="csam@partner.example", partner_id=9)


def test_partner_first():
    assert find_contact(QUERY, lambda query: PARTNER) == PARTNER


def test_registry_mailbox_of_the_most_common_network_next():
    expected = AbuseContact(
        source="ip_registry", email="abuse@hetzner.example", name="Hetzner", asn=24940
    )
    assert find_contact(QUERY, lambda query: None) == expected
    assert find_contact(QUERY, None) == expected


def test_none_when_nobody_is_known():
    bare = AbuseQuery(host="x.example", cname_chain=(), asns=(), countries=(), cdn="")
    assert find_contact(bare, lambda query: None) is None


@pytest.fixture
def fresh_lookup():
    contacts.configured_lookup.cache_clear()
    yield
    contacts.configured_lookup.cache_clear()


def test_the_setting_names_the_partner_lookup(settings, fresh_lookup):
    settings.TRACE_ABUSE_CONTACT_LOOKUP = "tellsafe.routing.tests.factories.partner_lookup"
    lookup = contacts.configured_lookup()
    assert find_contact(QUERY, lookup).source == "partner"


def test_no_setting_no_lookup(settings, fresh_lookup):
    settings.TRACE_ABUSE_CONTACT_LOOKUP = ""
    assert contacts.configured_lookup() is None


@pytest.mark.parametrize(
    "path",
    [
        "tellsafe.routing.tests.factories.nothing_here",
        "no.such.module",
        "tellsafe.routing.tests.factories.NOT_CALLABLE",
    ],
)
def test_a_wrong_setting_is_a_clear_error(settings, fresh_lookup, path):
    settings.TRACE_ABUSE_CONTACT_LOOKUP = path
    with pytest.raises(ApplicationError) as caught:
        contacts.configured_lookup()
    assert caught.value.code == "invalid_setting"
