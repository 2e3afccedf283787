"""What an installation starts with: the default rules and the hotline directory, seeded
by the migration, and the start-up checks of routing's plugins and settings."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from django.core.checks import run_checks

from tellsafe.partners.countries import is_country_code
from tellsafe.routing.rules import config, seed
from tellsafe.routing.rules.destinations import check_names, registry
from tellsafe.routing.rules.destinations.law_enforcement import LawEnforcement
from tellsafe.routing.rules.models import Hotline, RoutingRule
from tellsafe.routing.rules.services import rule_save
from tellsafe.routing.tests.rules import factories as f


def test_the_directory_file_is_sound_and_says_it_must_be_checked():
    document = json.loads(seed.DATA.read_text(encoding="utf-8"))
    assert "starting point" in document["about"] and "check" in document["about"]
    rows = seed.hotline_data()
    assert len(rows) >= 40
    assert len({(r["country"], r["name"]) for r in rows}) == len(rows)
    for row in rows:
        assert is_country_code(row["country"]), row
        assert urlsplit(row["website"]).scheme == "https", row
        assert row["name"].strip() == row["name"] and row["name"]
    assert "IN" not in {r["country"] for r in rows}  # no INHOPE hotline at home (2024)


@pytest.mark.django_db
def test_the_migration_seeded_the_rules_and_the_directory():
    assert Hotline.objects.count() == len(seed.hotline_data())
    assert not Hotline.objects.filter(checked_at__isnull=False).exists()
    names = list(RoutingRule.objects.values_list("name", flat=True))
    assert names == [rule["name"] for rule in seed.DEFAULT_RULES]
    assert {r.destination for r in RoutingRule.objects.all()} <= set(registry())


@pytest.mark.django_db
def test_seeding_again_changes_nothing():
    assert seed.seed_rules(RoutingRule) == 0
    assert seed.seed_hotlines(Hotline) == 0


@pytest.mark.django_db(transaction=True)
def test_seed_defaults_restores_what_a_flush_removed():
    RoutingRule.objects.all().delete()
    Hotline.objects.all().delete()
    seed.seed_defaults()
    assert RoutingRule.objects.count() == len(seed.DEFAULT_RULES)
    assert Hotline.objects.count() == len(seed.hotline_data())


@pytest.mark.django_db
def test_every_default_rule_passes_the_rule_service():
    user = f.analyst()
    for rule in seed.DEFAULT_RULES:
        made = rule_save(actor=user, **rule)
        assert made.pk


def test_destination_names_are_unique_and_checked():
    assert set(registry()) == {
        "takedown_notice",
        "hotline_forward",
        "ncmec_forward",
        "interpol_forward",
        "law_enforcement",
    }
    with pytest.raises(RuntimeError):
        check_names((LawEnforcement(), LawEnforcement()))


def test_settings_defaults_and_checks(settings):
    settings.HOME_COUNTRY = ""
    settings.PHONE_REGION = "KE"
    assert config.home_country() == "KE"
    settings.PHONE_REGION = None
    assert config.home_country() == "IN"
    del settings.ROUTING_NO_HOTLINE_DESTINATIONS
    assert config.no_hotline_destinations() == ("ncmec",)
    settings.ROUTING_NO_HOTLINE_DESTINATIONS = "interpol, ncmec"
    assert config.no_hotline_destinations() == ("ncmec", "interpol")
    assert config.partner_name("ncmec") == "NCMEC"
    settings.ROUTING_INTERPOL_PARTNER = "  NCB   New Delhi "
    assert config.partner_name("interpol") == "NCB New Delhi"
    assert not [e for e in run_checks() if e.id in ("tellsafe.E111", "tellsafe.E112")]
    settings.HOME_COUNTRY = "India"
    settings.ROUTING_NO_HOTLINE_DESTINATIONS = ["ncmec", "fbi"]
    errors = [e for e in run_checks() if e.id == "tellsafe.E112"]
    assert len(errors) == 2
    assert config.home_country() == ""
