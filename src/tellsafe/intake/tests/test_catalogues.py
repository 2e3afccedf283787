"""Every shipped language is complete for the child-facing text: no missing or fuzzy
entry, placeholders kept, compiled catalogues in step with their sources."""

import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils.translation import override

from tellsafe.intake import wording

LOCALE = Path(settings.LOCALE_PATHS[0])
LANGUAGES = [code for code, _ in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\{ *\w+ *\}\}")


def catalogue(code):
    return polib.pofile(str(LOCALE / code / "LC_MESSAGES" / "django.po"))


def test_at_least_two_languages_besides_english_one_right_to_left():
    from django.utils.translation import get_language_info

    assert len(LANGUAGES) >= 2
    assert any(get_language_info(code)["bidi"] for code in LANGUAGES)


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_missing_or_fuzzy_entries(code):
    po = catalogue(code)
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"{code}: {len(missing)} untranslated, e.g. {missing[:3]}"
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_placeholders_are_kept(code):
    for entry in catalogue(code).translated_entries():
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        targets = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for target in targets:
            if entry.msgid_plural:  # a plural form may leave out the number itself
                assert set(PLACEHOLDER.findall(target)) <= set(
                    PLACEHOLDER.findall(entry.msgid + entry.msgid_plural)
                ), entry.msgid
            else:
                assert sorted(PLACEHOLDER.findall(target)) == wanted, entry.msgid


@pytest.mark.parametrize("code", LANGUAGES)
def test_compiled_catalogue_matches_its_source(code):
    po = catalogue(code)
    path = LOCALE / code / "LC_MESSAGES" / "django.mo"
    assert path.is_file(), f"{code}: no compiled catalogue (run make messages)"
    mo = polib.mofile(str(path))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, dict(e.msgstr_plural)) for e in mo}
    for entry in po.translated_entries():
        got = compiled.get((entry.msgctxt, entry.msgid))
        assert got is not None, f"{code}: not compiled: {entry.msgid!r} (run make messages)"
        expected = (entry.msgstr, {int(k): v for k, v in entry.msgstr_plural.items()})
        assert (got[0], {int(k): v for k, v in got[1].items()}) == expected, entry.msgid


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_wording_variant_is_translated_at_run_time(code):
    with override(code):
        for key, variants in wording.TEXTS.items():
            for audience, text in variants.items():
                english = text._args[0]
                assert str(text) != english, f"{code}: {key}/{audience} untranslated"


def test_catalogues_hold_every_string_of_the_code(tmp_path, monkeypatch):
    """Re-extract the strings into a copy and compare: a string added to a template or
    module but not to the catalogues fails here."""
    if not shutil.which("xgettext"):
        if os.environ.get("CI"):
            pytest.fail("xgettext (GNU gettext) is needed in CI to check the catalogues")
        pytest.skip("GNU gettext is not installed")
    from django.core.management import call_command
    from django.test import override_settings

    copy = tmp_path / "tellsafe"
    shutil.copytree(
        settings.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo")
    )
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command(
            "makemessages",
            locale=[LANGUAGES[0]],
            no_obsolete=True,
            no_location=True,
            ignore_patterns=["tests/*", "conftest.py"],
            verbosity=0,
        )
    fresh_po = polib.pofile(str(copy / "locale" / LANGUAGES[0] / "LC_MESSAGES" / "django.po"))
    fresh = {(e.msgctxt, e.msgid) for e in fresh_po}
    shipped = {(e.msgctxt, e.msgid) for e in catalogue(LANGUAGES[0])}
    assert not fresh - shipped, f"not in the catalogue: {sorted(fresh - shipped)[:5]}"
