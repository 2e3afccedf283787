"""Resolution: CNAME chains, loops, long chains and every DNS outcome, with recorded
answers (never the network); and dnspython's answers mapped to ours."""

from __future__ import annotations

import dns.exception
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import pytest

from tellsafe.core.errors import ApplicationError
from tellsafe.routing import resolve
from tellsafe.routing.resolve import (
    MAX_CNAME_CHAIN,
    DnsAnswer,
    DnsResolver,
    RecordedResolver,
    Resolution,
    resolve_host,
)
from tellsafe.routing.tests.factories import HETZNER_V4, HETZNER_V6, OVH_V4, resolver


@pytest.mark.parametrize("follow", [True, False])
def test_a_and_aaaa_through_a_cname(follow):
    recorded = resolver(follow_cnames=follow)
    result = resolve_host("www.example.net", recorded)
    assert result == Resolution("ok", ("files.example.net",), (HETZNER_V4, HETZNER_V6))
    # A resolver that follows chains is asked once per type; else the chain is ours.
    assert len(recorded.queries) == (2 if follow else 4)


def _chain(length: int, *, end: dict | None = None) -> dict:
    records: dict = {f"n{i}.example.org": {"CNAME": f"n{i + 1}.example.org"} for i in range(length)}
    records[f"n{length}.example.org"] = end if end is not None else {"A": [OVH_V4]}
    return records


@pytest.mark.parametrize("follow", [True, False])
def test_a_chain_of_the_maximum_length_resolves(follow):
    result = resolve_host("n0.example.org", RecordedResolver(_chain(MAX_CNAME_CHAIN), follow))
    assert result.outcome == "ok"
    assert result.cname_chain == tuple(f"n{i}.example.org" for i in range(1, 11))
    assert result.addresses == (OVH_V4,)


@pytest.mark.parametrize("follow", [True, False])
def test_a_longer_chain_stops(follow):
    recorded = RecordedResolver(_chain(MAX_CNAME_CHAIN + 5), follow)
    result = resolve_host("n0.example.org", recorded)
    assert result.outcome == "cname_too_long"
    assert len(result.cname_chain) == MAX_CNAME_CHAIN + 1
    assert result.addresses == ()
    assert len(recorded.queries) <= 2 * (MAX_CNAME_CHAIN + 1)


@pytest.mark.parametrize("follow", [True, False])
def test_a_loop_stops_with_its_own_outcome(follow):
    records = {
        "a.example.org": {"CNAME": "b.example.org"},
        "b.example.org": {"CNAME": "c.example.org"},
        "c.example.org": {"CNAME": "a.example.org"},
    }
    recorded = RecordedResolver(records, follow)
    result = resolve_host("a.example.org", recorded)
    assert result == Resolution("cname_loop", ("b.example.org", "c.example.org", "a.example.org"))
    assert len(recorded.queries) <= 6


def test_a_name_pointing_at_itself_is_a_loop():
    result = resolve_host(
        "self.example.org", RecordedResolver({"self.example.org": {"CNAME": "SELF.example.org."}})
    )
    assert result == Resolution("cname_loop", ("self.example.org",))


@pytest.mark.parametrize(
    "host,outcome,chain",
    [
        ("gone.example.org", "nxdomain", ()),
        ("dangling.example.org", "nxdomain", ("nowhere.example.org",)),
        ("empty.example.org", "no_answer", ()),
        ("slow.example.org", "timeout", ()),
        ("broken.example.org", "dns_error", ()),
    ],
)
def test_dns_failures_are_outcomes(host, outcome, chain):
    assert resolve_host(host, resolver()) == Resolution(outcome, chain)


class _PerType:
    """Different answers for A and AAAA, as real servers sometimes give."""

    def __init__(self, a: DnsAnswer, aaaa: DnsAnswer):
        self.answers = {"A": a, "AAAA": aaaa}

    def query(self, name, rdtype):
        return self.answers[rdtype]


def test_addresses_of_one_type_are_enough():
    mixed = _PerType(DnsAnswer("ok", addresses=(OVH_V4,)), DnsAnswer("timeout"))
    assert resolve_host("x.example.org", mixed) == Resolution("ok", (), (OVH_V4,))


@pytest.mark.parametrize(
    "a,aaaa,outcome",
    [
        ("no_answer", "timeout", "timeout"),
        ("no_answer", "error", "dns_error"),
        ("nxdomain", "timeout", "nxdomain"),
        ("chain_too_long", "ok", "cname_too_long"),
        ("no_answer", "no_answer", "no_answer"),
    ],
)
def test_the_worse_status_wins_when_nothing_was_found(a, aaaa, outcome):
    result = resolve_host("x.example.org", _PerType(DnsAnswer(a), DnsAnswer(aaaa)))
    assert result.outcome == outcome


def test_junk_and_wrong_family_answers_are_dropped():
    answers = _PerType(
        DnsAnswer("ok", addresses=("not-an-ip", HETZNER_V6, OVH_V4, OVH_V4)),
        DnsAnswer("ok", addresses=(OVH_V4, "2A01:04F8:0::1")),
    )
    assert resolve_host("x.example.org", answers).addresses == (OVH_V4, HETZNER_V6)


def test_addresses_are_capped():
    many = tuple(f"51.68.0.{i}" for i in range(1, 100))
    result = resolve_host(
        "x.example.org", _PerType(DnsAnswer("ok", addresses=many), DnsAnswer("no_answer"))
    )
    assert len(result.addresses) == resolve.MAX_ADDRESSES


# -- dnspython ---------------------------------------------------------------------------


def _response(qname: str, rdtype: str, *rrsets: tuple[str, str, str], rcode: str = "NOERROR"):
    """A recursive server's response, as dnspython would have parsed it off the wire."""
    lines = [
        "id 1",
        "opcode QUERY",
        f"rcode {rcode}",
        "flags QR RD RA",
        ";QUESTION",
        f"{qname} IN {rdtype}",
        ";ANSWER",
        *(f"{owner} 300 IN {kind} {value}" for owner, kind, value in rrsets),
    ]
    return dns.message.from_text("\n".join(lines) + "\n")


def _dns_resolver(monkeypatch, behaviour) -> DnsResolver:
    made = DnsResolver(nameservers=["192.0.2.53"], timeout=2)
    monkeypatch.setattr(made._resolver, "resolve", behaviour)
    return made


def test_dnspython_answer_with_a_cname_chain(monkeypatch):
    def answer(qname, rdtype, **kwargs):
        assert kwargs == {"raise_on_no_answer": False, "search": False}
        response = _response(
            "www.example.org.",
            "A",
            ("www.example.org.", "CNAME", "Shop.Example.org.cdn.cloudflare.net."),
            ("shop.example.org.cdn.cloudflare.net.", "A", "104.16.1.1"),
        )
        return dns.resolver.Answer(qname, dns.rdatatype.A, dns.rdataclass.IN, response)

    result = _dns_resolver(monkeypatch, answer).query("www.example.org", "A")
    assert result == DnsAnswer(
        "ok",
        (("www.example.org", "shop.example.org.cdn.cloudflare.net"),),
        ("104.16.1.1",),
    )


def test_dnspython_empty_answer(monkeypatch):
    def answer(qname, rdtype, **kwargs):
        response = _response("x.example.org.", "AAAA")
        return dns.resolver.Answer(qname, dns.rdatatype.AAAA, dns.rdataclass.IN, response)

    assert _dns_resolver(monkeypatch, answer).query("x.example.org", "AAAA") == DnsAnswer(
        "no_answer"
    )


def test_dnspython_nxdomain_keeps_the_dangling_chain(monkeypatch):
    qname = dns.name.from_text("old.example.org.")

    def answer(name, rdtype, **kwargs):
        response = _response(
            "old.example.org.",
            "A",
            ("old.example.org.", "CNAME", "gone.example.net."),
            rcode="NXDOMAIN",
        )
        raise dns.resolver.NXDOMAIN(qnames=[qname], responses={qname: response})

    result = _dns_resolver(monkeypatch, answer).query("old.example.org", "A")
    assert result == DnsAnswer("nxdomain", (("old.example.org", "gone.example.net"),))


@pytest.mark.parametrize(
    "error,status",
    [
        (dns.resolver.LifetimeTimeout(timeout=2.0, errors=[]), "timeout"),
        (dns.exception.Timeout(), "timeout"),
        (dns.resolver.NoNameservers(), "error"),
        (dns.resolver.YXDOMAIN(), "error"),
        (dns.message.ChainTooLong(), "chain_too_long"),
        (OSError("network is unreachable"), "error"),
        (dns.resolver.NXDOMAIN(), "nxdomain"),
    ],
)
def test_dnspython_errors_become_statuses(monkeypatch, error, status):
    def fail(*args, **kwargs):
        raise error

    assert _dns_resolver(monkeypatch, fail).query("x.example.org", "A").status == status


def test_a_name_dnspython_cannot_read_is_an_error(monkeypatch):
    made = _dns_resolver(monkeypatch, lambda *a, **k: pytest.fail("must not be asked"))
    assert made.query("a" * 70 + ".example.org", "A").status == "error"


def test_default_resolver_reads_the_settings(settings):
    settings.TRACE_NAMESERVERS = "192.0.2.53, 2001:db8::53"
    settings.TRACE_TIMEOUT_SECONDS = "1.5"
    made = resolve.default_resolver()
    assert made._resolver.nameservers == ["192.0.2.53", "2001:db8::53"]
    assert made._resolver.lifetime == 1.5
    explicit = resolve.default_resolver(nameservers=["198.51.100.1"], timeout=4)
    assert explicit._resolver.nameservers == ["198.51.100.1"]
    assert explicit._resolver.lifetime == 4.0


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"nameservers": ["dns.example.org"]}, "nameservers"),
        ({"nameservers": ["192.0.2.53"], "timeout": 0}, "timeout"),
        ({"nameservers": ["192.0.2.53"], "timeout": 61}, "timeout"),
        ({"nameservers": ["192.0.2.53"], "timeout": "soon"}, "timeout"),
    ],
)
def test_bad_resolver_settings_are_clear_errors(kwargs, field):
    with pytest.raises(ApplicationError) as caught:
        DnsResolver(**kwargs)
    assert caught.value.code == "invalid_setting"
    assert field in caught.value.fields


def test_recorded_answers_file_comes_first_then_dns(tmp_path, settings):
    from tellsafe.routing import resolve

    answers = tmp_path / "dns.json"
    answers.write_text('{"isp-hosted.example": {"A": ["49.44.1.1"]}}')
    settings.TRACE_RECORDED_ANSWERS_FILE = str(answers)
    layered = resolve.default_resolver()
    assert isinstance(layered, resolve.LayeredResolver)
    assert layered.query("isp-hosted.example", "A").addresses == ("49.44.1.1",)

    class Fallback:
        def __init__(self):
            self.asked = []

        def query(self, name, rdtype):
            self.asked.append(name)
            return resolve.DnsAnswer("nxdomain", ())

    layered.fallback = Fallback()
    assert layered.query("other.example", "A").status == "nxdomain"
    assert layered.fallback.asked == ["other.example"]
    answers.write_text("not json")
    assert isinstance(resolve.default_resolver(), resolve.DnsResolver)
