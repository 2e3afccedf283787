"""The offline IP database as shipped: country and network of long-stable addresses.

These addresses have belonged to the same networks for many years (the RIPE NCC's own
block, Cloudflare's and Google's public resolvers), so a data update should not move
them; if one ever does, check the data before changing the test."""

from __future__ import annotations

import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.routing import ipdb
from tellsafe.routing.ipdb import IpInfo, PlevinDatabase


@pytest.fixture(scope="module")
def database():
    return ipdb.default_database()


@pytest.mark.parametrize(
    "ip,country,asn,org_word,mailbox_domain",
    [
        ("193.0.6.139", "NL", 3333, "RIPE", ""),
        ("1.1.1.1", "AU", 13335, "Cloudflare", "cloudflare.com"),
        ("8.8.8.8", "US", 15169, "Google", "google.com"),
        ("2606:4700:4700::1111", "US", 13335, "Cloudflare", "cloudflare.com"),
        ("2001:4860:4860::8888", "US", 15169, "Google", "google.com"),
    ],
)
def test_stable_addresses(database, ip, country, asn, org_word, mailbox_domain):
    found = database.lookup(ip)
    assert found.country == country
    assert found.country_source == "geo"
    assert found.asn == asn
    assert org_word in found.org
    assert found.network and "/" in found.network
    if mailbox_domain:
        assert found.abuse_email.endswith("@" + mailbox_domain)


@pytest.mark.parametrize("ip", ["10.0.0.1", "127.0.0.1", "192.0.2.1", "::1", "fd00::1"])
def test_internal_addresses_are_unknown(database, ip):
    assert database.lookup(ip) == IpInfo()


def test_loaded_once_per_process_and_named(database):
    assert ipdb.default_database() is database
    assert database.version.startswith("plevin network ")


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ApplicationError) as caught:
        PlevinDatabase(network_path=str(tmp_path / "missing.plv"))
    assert caught.value.code == "ipdb_unavailable"
    assert caught.value.status == 503


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.plv"
    bogus.write_bytes(b"not a plevin file at all" * 10)
    with pytest.raises(ApplicationError) as caught:
        PlevinDatabase(country_path=str(bogus))
    assert caught.value.code == "ipdb_unavailable"


def test_settings_can_point_at_other_files(settings, tmp_path):
    settings.TRACE_IPDB_NETWORK_FILE = str(tmp_path / "newer.plv")
    ipdb.default_database.cache_clear()
    try:
        with pytest.raises(ApplicationError):
            ipdb.default_database()
    finally:
        ipdb.default_database.cache_clear()


@pytest.mark.parametrize(
    "value,expected",
    [("nl", "NL"), ("NLD", ""), ("", ""), (None, ""), ("1A", "")],
)
def test_country_codes_are_checked(value, expected):
    assert ipdb._country(value) == expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("Abuse@Example.NET", "abuse@example.net"),
        ("abuse@localhost", ""),
        ("no mailbox", ""),
        ("a b@example.net", ""),
        (None, ""),
    ],
)
def test_mailboxes_are_checked(value, expected):
    assert ipdb._mailbox(value) == expected


def test_raw_rows_read_as_plevins_own_models():
    # PlevinDatabase reads plevin's raw rows; they must say what plevin's models say on a
    # fresh instance, for addresses all over the space, even after our caches churned
    # (a guard for data format changes and for the shared-row flaw of ipdb._row).
    import random

    import plevin
    import plevin_db_country
    import plevin_db_network

    from tellsafe.routing.addresses import is_public_address

    ours = PlevinDatabase()
    network = plevin.Plevin(plevin_db_network.PATH)
    country = plevin.Plevin(plevin_db_country.PATH)
    rng = random.Random(7)
    sample: list[str] = []
    while len(sample) < 300:
        ip = ".".join(str(rng.randint(0, 255)) for _ in range(4))
        if is_public_address(ip):
            sample.append(ip)
    sample += ["104.16.1.1", "2606:4700::1111", "104.16.2.1", "1.1.1.1", "2a01:4f8::1"]
    for ip in sample + sample[::-1]:  # the second round reads cached answers
        ours.lookup(ip)
    for ip in sample:
        found = ours.lookup(ip)
        net = network.lookup(ip).network
        place = country.lookup(ip).place
        located = place.country.code if place and place.country else None
        assert found.asn == (net.asn if net else None), ip
        assert found.network == ((net.cidr or "") if net and net.prefix else ""), ip
        assert found.registry_country == ((net.country or "") if net else ""), ip
        if net and net.operator:
            assert found.org == (net.operator.company or net.handle or "")[:255], ip
            assert found.abuse_email == (net.operator.abuse_email or "").lower(), ip
        assert found.country == (located or (net.country if net else None) or ""), ip


def test_the_prefix_is_the_addresses_own(database):
    for _round in range(2):
        assert database.lookup("2606:4700::1111").network == "2606:4700::/44"
        assert database.lookup("104.16.1.1").network == "104.16.0.0/20"
        assert database.lookup("1.1.1.1").network == "1.1.1.0/24"


def test_without_geolocation_the_registry_country_is_used():
    registry_only = PlevinDatabase(geolocation=False)
    assert registry_only.version.endswith("no geolocation")
    found = registry_only.lookup("1.1.1.1")
    assert (found.country, found.country_source, found.asn) == ("AU", "registry", 13335)
    # Cloudflare's 104.16/13 is registered in the US; located there too.
    assert registry_only.lookup("104.16.1.1").country == "US"


def test_the_setting_turns_geolocation_off(settings):
    settings.TRACE_GEOLOCATION = False
    ipdb.default_database.cache_clear()
    try:
        assert ipdb.default_database().version.endswith("no geolocation")
    finally:
        ipdb.default_database.cache_clear()
