"""URL normalisation: the forms browsers accept, one canonical result, clear refusals."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.urls_normalise import (
    MAX_URL_LENGTH,
    NormalisedUrl,
    is_internal_name,
    normalise_url,
    parse_url,
)

NORMALISED = {
    "example.com/x": "http://example.com/x",
    "Example.COM": "http://example.com/",
    "//example.com/a": "http://example.com/a",
    "HTTPS://EXAMPLE.com:443/Path": "https://example.com/Path",
    "http://example.com:80/": "http://example.com/",
    "http://example.com:0080/": "http://example.com/",
    "https://example.com:80/": "https://example.com:80/",
    "http://example.com:8080": "http://example.com:8080/",
    "example.com:8080/x": "http://example.com:8080/x",
    "http://user:secret@example.com/": "http://example.com/",
    "http://user@example.com@files.example.net/": "http://files.example.net/",
    "https://example.com/a#fragment": "https://example.com/a",
    "https://example.com/a?b=1#c?d": "https://example.com/a?b=1",
    "https://example.com/?": "https://example.com/",
    "http://example.com./": "http://example.com/",
    "http:///example.com/": "http://example.com/",
    "http:example.com/a": "http://example.com/a",
    "http:\\\\example.com\\a\\b": "http://example.com/a/b",
    "http://example.com/a/./b/../c": "http://example.com/a/c",
    "http://example.com/a/%2e%2E/b": "http://example.com/b",
    "http://example.com/..": "http://example.com/",
    "http://example.com/a b?q=x y": "http://example.com/a%20b?q=x%20y",
    "http://ex%61mple.com/%7e": "http://example.com/%7e",
    "https://bücher.de/ä": "https://xn--bcher-kva.de/%C3%A4",
    "https://XN--BCHER-KVA.de/": "https://xn--bcher-kva.de/",
    "https://ＥＸＡＭＰＬＥ。ｃｏｍ/": "https://example.com/",
    "http://i❤.ws/": "http://xn--i-7iq.ws/",
    "https://пример.рф/": "https://xn--e1afmkfd.xn--p1ai/",
    "  http://example.com/ \n": "http://example.com/",
    "http://exa\tmple.com/": "http://example.com/",
    "http://my_host.example.com/": "http://my_host.example.com/",
    # IPv4 literals in every form a browser reads as an address.
    "http://1.1.1.1/": "http://1.1.1.1/",
    "http://16843009/": "http://1.1.1.1/",
    "http://0x1.0x1.0x1.0x1/": "http://1.1.1.1/",
    "http://01.01.01.01/": "http://1.1.1.1/",
    "http://1.65793/": "http://1.1.1.1/",
    "http://1.1.257/": "http://1.1.1.1/",
    "http://0x08080808/": "http://8.8.8.8/",
    "http://8.8.8.8./": "http://8.8.8.8/",
    "https://[2606:4700:0:0::1111]:443/x": "https://[2606:4700::1111]/x",
    "https://[2606:4700::1111]:8443/x": "https://[2606:4700::1111]:8443/x",
}


@pytest.mark.parametrize("raw,expected", NORMALISED.items())
def test_normalised_form(raw, expected):
    result = normalise_url(raw)
    assert result.url == expected
    assert normalise_url(result.url) == result


def test_parts_and_kind():
    result = normalise_url("https://[2606:4700::1111]:8443/a?b=c")
    assert result == NormalisedUrl(
        url="https://[2606:4700::1111]:8443/a?b=c",
        scheme="https",
        host="2606:4700::1111",
        port=8443,
        path="/a",
        query="b=c",
        kind="ipv6",
    )
    assert str(result.ip) == "2606:4700::1111"
    assert normalise_url("http://16843009/").kind == "ipv4"
    assert normalise_url("example.com").ip is None


UNSUPPORTED = [
    "ftp://example.com/file",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "mailto:someone@example.com",
    "data:text/html,hello",
    "tel:+15555550123",
    "ws://example.com/",
    "c:/windows/system32",
    "gopher://example.com/",
]


@pytest.mark.parametrize("raw", UNSUPPORTED)
def test_other_schemes_are_refused(raw):
    with pytest.raises(ApplicationError) as caught:
        normalise_url(raw)
    assert caught.value.code == "unsupported_scheme"
    assert caught.value.fields == {"url": [caught.value.message]}


INVALID = [
    "",
    "   ",
    "http://",
    "http:///",
    "http://:80/",
    "http://example.com:65536/",
    "http://example.com:8o/",
    "http://example.com:１２/",
    "http://exa mple.com/",
    "http://exa<mple.com/",
    "http://example..com/",
    "http://example.com../",
    "http://a%2fb.com/",
    "http://%zz.com/",
    "http://xn--.com/",
    "http://xn--abc-.com/",
    "http://,\u00a1/",
    "http://" + "a" * 64 + ".com/",
    "http://" + ("a" * 60 + ".") * 5 + "com/",
    "http://1.2.3.4.5/",
    "http://256.1.1.1/",
    "http://1.2.3.256/",
    "http://08.1.1.1/",
    "http://0x1g.1.1.1/",
    "http://4294967296/",
    "http://[::1/",
    "http://[::1]x/",
    "http://[fe80::1%25eth0]/",
    "http://[not-an-address]/",
    "http://intranet/",
    "http://example.com/a\x00b",
    "http://exam\u0085ple.com/",
    "http://example.com/" + "a" * MAX_URL_LENGTH,
]


@pytest.mark.parametrize("raw", INVALID)
def test_invalid_urls_are_refused(raw):
    with pytest.raises(ApplicationError) as caught:
        normalise_url(raw)
    assert caught.value.code == "invalid_url"
    assert caught.value.message


@pytest.mark.parametrize("value", [None, 42, b"http://example.com/", ["http://example.com"]])
def test_non_text_is_invalid(value):
    with pytest.raises(ApplicationError) as caught:
        normalise_url(value)
    assert caught.value.code == "invalid_url"


PRIVATE = [
    "http://127.0.0.1/",
    "http://0x7f.1/",
    "http://2130706433/",
    "http://017700000001/",
    "http://127.1/",
    "http://0/",
    "http://10.0.0.1:8080/admin",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://localhost/",
    "localhost:8080/x",
    "http://LOCALHOST./",
    "http://app.localhost/",
    "http://printer.local/",
    "http://db.internal/",
    "http://nas.home.arpa/",
    "http://1.0.0.127.in-addr.arpa/",
    "http://１２７.０.０.１/",
]


@pytest.mark.parametrize("raw", PRIVATE)
def test_internal_targets_are_refused(raw):
    with pytest.raises(ApplicationError) as caught:
        normalise_url(raw)
    assert caught.value.code == "private_address"
    # parse_url alone reads them, so a trace can still say which host was refused.
    assert parse_url(raw).url.startswith("http://")


def test_internal_names():
    assert is_internal_name("localhost")
    assert is_internal_name("a.b.localhost.")
    assert not is_internal_name("localhost.example.com")
    assert not is_internal_name("notlocal")


# -- properties ---------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9]([a-z0-9\-]{0,10}[a-z0-9])?", fullmatch=True)
_unicode_label = st.text(
    alphabet=st.characters(categories=["Ll", "Lu", "Lo", "Nd"]), min_size=1, max_size=8
)
_ipv4_forms = st.integers(0, 2**32 - 1).flatmap(
    lambda n: st.sampled_from([str(n), hex(n), ".".join(str(b) for b in n.to_bytes(4, "big"))])
)
_hosts = st.one_of(
    st.lists(st.one_of(_label, _unicode_label), min_size=1, max_size=4).map(".".join),
    _ipv4_forms,
    st.ip_addresses(v=6).map(lambda a: f"[{a}]"),
)
_free = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="#"), max_size=30
)
_userinfo = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="@/\\?#"),
    min_size=1,
    max_size=12,
)


@st.composite
def urls(draw) -> tuple[str, bool]:
    """A URL assembled from parts, and whether it carries userinfo."""
    scheme = draw(st.sampled_from(["http://", "https://", "HTTP://", "hTtPs:", "//", ""]))
    userinfo = draw(st.one_of(st.none(), _userinfo))
    host = draw(_hosts)
    port = draw(st.one_of(st.none(), st.integers(0, 70_000).map(str), st.just("")))
    path = draw(st.one_of(st.just(""), _free.map(lambda p: "/" + p.replace("?", ""))))
    query = draw(st.one_of(st.just(""), _free.map(lambda q: "?" + q)))
    fragment = draw(st.one_of(st.just(""), st.text(max_size=10).map(lambda f: "#" + f)))
    at = f"{userinfo}@" if userinfo is not None else ""
    colon = f":{port}" if port is not None else ""
    return f"{scheme}{at}{host}{colon}{path}{query}{fragment}", userinfo is not None


def _parse_or_refuse(raw):
    try:
        return parse_url(raw)
    except ApplicationError as exc:
        assert exc.code in {"invalid_url", "unsupported_scheme"}
        assert exc.message and exc.fields["url"]
        return None


_settings = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_settings
@given(st.text(max_size=200))
@example("http://[::")
@example("http://a@")
@example("::")
@example("http://0x/")
@example("http://,\u00a1")
def test_never_crashes_on_any_text(raw):
    _parse_or_refuse(raw)
    try:
        normalise_url(raw)
    except ApplicationError as exc:
        assert exc.code in {"invalid_url", "unsupported_scheme", "private_address"}


@_settings
@given(urls())
def test_idempotent_and_well_formed(case):
    raw, _has_userinfo = case
    result = _parse_or_refuse(raw)
    if result is None:
        return
    assert parse_url(result.url) == result
    assert result.url.startswith(("http://", "https://"))
    assert result.url.isascii() and len(result.url) <= MAX_URL_LENGTH
    assert result.host == result.host.lower() and "#" not in result.url


@_settings
@given(st.text(max_size=80).map(lambda tail: "http://example.com/" + tail))
def test_idempotent_for_any_path_and_query(raw):
    result = _parse_or_refuse(raw)
    if result is not None:
        assert parse_url(result.url) == result


@_settings
@given(urls())
def test_never_keeps_userinfo(case):
    raw, has_userinfo = case
    result = _parse_or_refuse(raw)
    if result is None or not has_userinfo:
        return
    parts = urlsplit(result.url)
    assert parts.username is None and parts.password is None
    assert "@" not in parts.netloc
