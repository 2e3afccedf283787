"""CDN detection from the data file: by CNAME suffix and by ASN; the file is validated."""

from __future__ import annotations

import copy
import json

import pytest

from tellsafe.routing import cdn

BY_ASN = {
    13335: "cloudflare",
    209242: "cloudflare",
    54113: "fastly",
    20940: "akamai",
    32787: "akamai",
    19551: "imperva",
    30148: "sucuri",
    57724: "ddos_guard",
    200325: "bunnycdn",
    15169: "google",
}

BY_NAME = {
    "d111111abcdef8.cloudfront.net": "amazon_cloudfront",
    "www.example.com.edgekey.net": "akamai",
    "e1234.a.akamaiedge.net": "akamai",
    "example.map.fastly.net": "fastly",
    "shop.example.org.cdn.cloudflare.net.": "cloudflare",
    "example.azurefd.net": "azure_front_door",
    "example.azureedge.net": "azure_front_door",
    "x.incapdns.net": "imperva",
    "example.b-cdn.net": "bunnycdn",
    "A1B2.STACKPATHDNS.COM": "stackpath",
    "cloudproxy10001.sucuri.net": "sucuri",
}


@pytest.mark.parametrize("asn,slug", BY_ASN.items())
def test_known_cdn_asns(asn, slug):
    assert cdn.catalogue().for_asn(asn) == slug


@pytest.mark.parametrize("name,slug", BY_NAME.items())
def test_known_cname_suffixes(name, slug):
    assert cdn.catalogue().for_name(name) == slug


@pytest.mark.parametrize(
    "asn", [16509, 8075, 24940, 16276, 63949, 396982, None]
)  # AWS, Microsoft, Hetzner, OVH, Linode, Google Cloud VMs: real hosting
def test_hosting_networks_are_not_cdns(asn):
    assert cdn.catalogue().for_asn(asn) == ""


@pytest.mark.parametrize(
    "name", ["cloudfront.net.example.org", "notcloudfront.net", "fastly.net", "example.org"]
)
def test_suffixes_match_whole_labels_only(name):
    assert cdn.catalogue().for_name(name) == ""


def test_detect_prefers_the_cname_chain_then_the_asn():
    catalogue = cdn.catalogue()
    chain = ["media.example.org", "d1.cloudfront.net"]
    assert catalogue.detect(cname_chain=chain, asns=[13335]) == "amazon_cloudfront"
    assert catalogue.detect(cname_chain=["media.example.org"], asns=[24940, 54113]) == "fastly"
    assert catalogue.detect(cname_chain=["media.example.org"], asns=[24940, None]) == ""
    assert catalogue.name("amazon_cloudfront") == "Amazon CloudFront"
    assert catalogue.name("nope") == ""


def test_every_provider_of_the_brief_is_there():
    wanted = {
        "cloudflare",
        "akamai",
        "fastly",
        "amazon_cloudfront",
        "google",
        "azure_front_door",
        "imperva",
        "stackpath",
        "sucuri",
        "ddos_guard",
        "bunnycdn",
    }
    assert wanted <= set(cdn.catalogue().providers)


def _data() -> dict:
    return copy.deepcopy(json.loads(cdn.DATA_FILE.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    "change,problem",
    [
        (lambda d: d.update(providers={}), "non-empty"),
        (lambda d: d["providers"].update(Bad={"name": "x", "asns": [1]}), "lower-case"),
        (lambda d: d["providers"]["fastly"].pop("name"), "needs a 'name'"),
        (lambda d: d["providers"]["fastly"].update(asns=[], cname_suffixes=[]), "needs 'asns'"),
        (lambda d: d["providers"]["fastly"]["asns"].append(13335), "listed twice"),
        (lambda d: d["providers"]["fastly"]["asns"].append(2**32), "not valid"),
        (lambda d: d["providers"]["fastly"]["asns"].append("54113"), "not valid"),
        (lambda d: d["providers"]["fastly"]["cname_suffixes"].append("fastly.com"), "must look"),
        (lambda d: d["providers"]["fastly"]["cname_suffixes"].append(".net"), "must look"),
        (lambda d: d["providers"]["fastly"]["cname_suffixes"].append(".Fastly.com"), "lower"),
        (lambda d: d["providers"]["sucuri"]["cname_suffixes"].append(".fastly.net"), "unique"),
    ],
)
def test_a_broken_data_file_is_refused_with_the_reason(change, problem):
    data = _data()
    change(data)
    with pytest.raises(ValueError, match=problem):
        cdn.parse(data)


def test_the_shipped_file_parses():
    parsed = cdn.parse(_data())
    assert parsed.by_asn[13335] == "cloudflare"
    suffix_lengths = [len(suffix) for suffix, _slug in parsed.suffixes]
    assert suffix_lengths == sorted(suffix_lengths, reverse=True)
