"""Hash type plugins by stable name: the registry, hash strings at the edge
(normalisation and validation) and the exact hashes' golden vectors."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellsafe.matching import hashing
from tellsafe.matching.hashing import HashTypeRegistry
from tellsafe.matching.hashing.md5 import Md5HashType

FAST_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --- registry ------------------------------------------------------------------------


def test_registry_has_the_three_stable_names():
    assert hashing.names() == ("md5", "pdq", "sha256")
    assert [plugin.name for plugin in hashing.registry] == ["md5", "pdq", "sha256"]
    assert all(hashing.get(name).name == name for name in hashing.names())


def test_registry_refuses_two_plugins_with_one_name():
    class OtherMd5(Md5HashType):
        pass

    with pytest.raises(ImproperlyConfigured, match="Two hash types are named 'md5'"):
        HashTypeRegistry([Md5HashType, OtherMd5])


@pytest.mark.parametrize("bad", ["", "PDQ", "p d q", "1pdq", None])
def test_registry_refuses_malformed_names(bad):
    plugin = type("Bad", (Md5HashType,), {"name": bad})
    with pytest.raises(ImproperlyConfigured, match="needs a name"):
        HashTypeRegistry([plugin])


def test_unknown_hash_type_names_the_known_ones():
    with pytest.raises(ValueError, match="Unknown hash type 'sha1'; known types: md5, pdq, sha256"):
        hashing.get("sha1")


# --- hash strings at the edge --------------------------------------------------------

PLUGIN_NAMES = st.sampled_from(["pdq", "md5", "sha256"])


@FAST_SETTINGS
@given(
    name=PLUGIN_NAMES,
    data=st.data(),
    prefix=st.sampled_from(["", "0x", "0X"]),
    before=st.sampled_from(["", " ", "\t", "\n  "]),
    after=st.sampled_from(["", " ", "\r\n", "\t "]),
)
def test_normalise_accepts_case_whitespace_and_0x(name, data, prefix, before, after):
    plugin = hashing.get(name)
    canonical = data.draw(st.binary(min_size=plugin.digits // 2, max_size=plugin.digits // 2)).hex()
    shown = "".join(
        c.upper() if flip else c
        for c, flip in zip(
            canonical,
            data.draw(st.lists(st.booleans(), min_size=len(canonical), max_size=len(canonical))),
            strict=True,
        )
    )
    assert plugin.normalise(before + prefix + shown + after) == canonical
    assert plugin.normalise(canonical) == canonical  # idempotent
    plugin.validate(canonical)


@FAST_SETTINGS
@given(name=PLUGIN_NAMES, length=st.integers(min_value=0, max_value=100))
def test_wrong_length_is_refused_with_the_expected_length(name, length):
    plugin = hashing.get(name)
    if length == plugin.digits:
        length += 1
    with pytest.raises(
        ValueError, match=f"hashes are {plugin.digits} hexadecimal digits"
    ) as caught:
        plugin.normalise("a" * length)
    assert (str(length) in str(caught.value)) or length == 0


@FAST_SETTINGS
@given(name=PLUGIN_NAMES, data=st.data())
def test_a_non_hex_character_is_refused_with_its_position(name, data):
    plugin = hashing.get(name)
    position = data.draw(st.integers(min_value=0, max_value=plugin.digits - 1))
    bad = data.draw(st.characters(exclude_characters="0123456789abcdefABCDEF \t\r\n\x0b\x0c"))
    text = "0" * position + bad + "0" * (plugin.digits - position - 1)
    if text.strip() != text or text[:2].lower() == "0x":
        return  # stripped or taken as a prefix: another rule's case
    with pytest.raises(ValueError, match=f"character {position + 1} is"):
        plugin.normalise(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("A" * 32, "in lower case; character 1 is 'A'"),
        (" " + "a" * 32, "spaces around it"),
        ("0x" + "a" * 32, "without a 0x prefix"),
        ("", "the value is empty"),
        ("a" * 31, "this value has 31 characters"),
    ],
)
def test_validate_accepts_only_the_canonical_form(text, message):
    with pytest.raises(ValueError, match=message):
        hashing.get("md5").validate(text)


@pytest.mark.parametrize("value", [None, b"d41d8cd98f00b204e9800998ecf8427e", 12])
def test_non_text_is_refused(value):
    with pytest.raises(ValueError, match="must be text"):
        hashing.get("md5").normalise(value)


def test_inner_separators_are_not_guessed_away():
    with pytest.raises(ValueError, match="character 3 is ':'"):
        hashing.get("md5").normalise("d4:" + "1" * 29)


# --- exact hashes --------------------------------------------------------------------

EXACT_VECTORS = [  # RFC 1321 appendix A.5 and FIPS 180-2 appendix B.1
    ("md5", b"", "d41d8cd98f00b204e9800998ecf8427e"),
    ("md5", b"abc", "900150983cd24fb0d6963f7d28e17f72"),
    ("md5", b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
    ("sha256", b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("sha256", b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
]


@pytest.mark.parametrize(("name", "data", "expected"), EXACT_VECTORS)
def test_exact_hash_golden_vectors(name, data, expected):
    result = hashing.get(name).hash_bytes(data)
    assert (result.hash_type, result.value) == (name, expected)
    assert hashing.get(name).hash_file(io.BytesIO(data)).value == expected


@pytest.mark.parametrize("name", ["md5", "sha256"])
def test_exact_hash_of_a_file_streams_from_the_current_position(name):
    data = np.random.default_rng(3).bytes(3 * 1024 * 1024 + 7)
    stream = io.BytesIO(b"skip" + data)
    stream.seek(4)
    assert hashing.get(name).hash_file(stream).value == hashlib.new(name, data).hexdigest()
