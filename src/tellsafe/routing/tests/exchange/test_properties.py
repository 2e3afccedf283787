"""Properties: whatever case a builder accepts, the document it makes is valid under our
schema, also once written out and read back; a refused case is refused with
``ApplicationError``, never another exception. The cases are generated freely,
hostile text included, so a gap between a builder's checks and its schema shows."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tellsafe.core.errors import ApplicationError
from tellsafe.routing.exchange import documents, iccam, ncmec, xarf
from tellsafe.routing.exchange.model import (
    AGE_BANDS,
    COMMERCIALITIES,
    FLAGS,
    GENDERS,
    HASH_DIGITS,
    INDUSTRY_CLASSIFICATIONS,
    LEGAL_BASES,
    SITE_TYPES,
    Assessment,
    CaseExport,
    Hashes,
    Hosting,
    Item,
    Organisation,
    ReportSummary,
)
from tellsafe.routing.tests.exchange import helpers

CATEGORIES = helpers.fixture_categories()
# Mostly readable text, sometimes anything at all (controls, surrogates excluded by
# Python's str only where they cannot exist).
text = st.one_of(
    st.text(string.ascii_letters + string.digits + " .,'-()&é中", max_size=40),
    st.text(max_size=40),
)


def mostly(valid, wild=text):
    """``valid`` 19 times in 20: refusals stay the exception, so most examples test a
    document; ``wild`` otherwise, so the builders' checks are tested too."""
    # Not 0 or 19: Hypothesis draws the bounds of a range far more often than the rest.
    return st.integers(min_value=0, max_value=19).flatmap(lambda n: wild if n == 7 else valid)


moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)


def hex_of(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789abcdef", min_size=n, max_size=n)


hash_value = {
    name: mostly(st.one_of(st.just(""), hex_of(digits)), st.one_of(hex_of(digits - 1), text))
    for name, digits in HASH_DIGITS.items()
}
hashes = st.builds(Hashes, **hash_value)
hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)
paths = st.text(string.ascii_letters + string.digits + "/._-~%?=&#+!$'()*,;:@", max_size=60)
urls = mostly(
    st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https"]), hosts, paths)
)
hosting = st.builds(
    Hosting,
    country=mostly(st.sampled_from(["", "DE", "US", "IN"])),
    asn=st.one_of(st.none(), st.integers(min_value=-5, max_value=2**32 + 5)),
    org=mostly(st.sampled_from(["", "Hetzner Online GmbH", "OVH SAS"])),
    behind_cdn=st.booleans(),
    traced_at=st.one_of(st.none(), moments),
    ip=mostly(st.sampled_from(["", "5.9.0.1", "2a01:4f8::1"])),
)


@st.composite
def items(draw) -> tuple[Item, ...]:
    found = []
    for n in range(draw(st.integers(min_value=0, max_value=5))):
        kind = draw(st.sampled_from(["url", "media"]))
        url = draw(urls) if kind == "url" else ""
        found.append(
            Item(
                id=n + 1,
                kind=kind,
                url=url,
                host=draw(st.one_of(hosts, st.just(""))) if kind == "url" else "",
                media_type=draw(st.sampled_from(["", "image", "video", "document"])),
                hashes=draw(hashes),
                hosting=draw(st.one_of(st.none(), hosting)),
                matched=draw(st.booleans()),
            )
        )
    return tuple(found)


assessments = st.builds(
    Assessment,
    category=mostly(st.sampled_from(sorted(CATEGORIES)), st.just("unknown_code")),
    legal_basis=st.sampled_from(LEGAL_BASES),
    age_band=st.sampled_from(AGE_BANDS),
    flags=st.frozensets(st.sampled_from(sorted(FLAGS))),
    gender=st.sampled_from(GENDERS),
    site_type=st.sampled_from(SITE_TYPES),
    commerciality=st.sampled_from(COMMERCIALITIES),
    industry_classification=mostly(st.just(""), st.sampled_from(INDUSTRY_CLASSIFICATIONS)),
    analyst=mostly(st.sampled_from(["", "Analyst 4"])),
)
senders = st.builds(
    Organisation,
    name=mostly(st.just("Tellsafe National Hotline")),
    email=mostly(st.just("exchange@hotline.example.org")),
    domain=mostly(st.sampled_from(["hotline.example.org", ""])),
    country=mostly(st.sampled_from(["", "IN"]), st.sampled_from(["in", "XYZ"])),
    first_name=mostly(st.just("Asha")),
    last_name=mostly(st.just("Rao")),
    reference_prefix=mostly(st.just("TS")),
)
reports = st.lists(
    st.builds(
        ReportSummary,
        id=st.integers(min_value=1, max_value=10**6),
        channel=st.sampled_from(["web", "whatsapp", "hotline"]),
        age_band=st.sampled_from(["under_9", "13_15", "unknown"]),
        language=st.just("en"),
        categories=st.lists(st.sampled_from(sorted(CATEGORIES)), max_size=3).map(tuple),
        created_at=moments,
    ),
    max_size=3,
).map(tuple)
exports = st.builds(
    CaseExport,
    case_id=st.integers(min_value=1, max_value=10**9),
    created_at=moments,
    exported_at=moments,
    imminent_danger=st.booleans(),
    assessment=assessments,
    sender=senders,
    reports=reports,
    items=items(),
    categories=st.just(CATEGORIES),
    narrative=mostly(st.sampled_from(["", helpers.NARRATIVE]), st.text(max_size=300)),
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def accepted(build, export):
    try:
        made = build(export)
    except ApplicationError as exc:
        event(f"refused: {exc.code} ({', '.join(sorted(exc.fields))[:60]})")
        return None
    event("accepted")
    return made


@SETTINGS
@given(exports)
def test_an_accepted_cybertipline_bundle_is_valid_written_and_read_back(export):
    bundle = accepted(ncmec.build_bundle, export)
    if bundle is None:
        return
    assert ncmec.problems(bundle) == []
    again = documents.parse_xml(ncmec.to_bytes(bundle))
    assert ncmec.problems(again) == []
    assert len(again) == 1 + len(export.hashed_items)
    info = again[0].findtext("additionalInfo")
    assert ("included by the analyst" in info) == bool(export.narrative.strip())


@SETTINGS
@given(exports)
def test_accepted_xarf_notices_are_valid_written_and_read_back(export):
    reports = accepted(xarf.build, export)
    if reports is None:
        return
    assert xarf.problems(reports) == []
    again = json.loads(json.dumps(reports))
    assert xarf.problems(again) == []
    assert [r["url"] for r in again] == [i.url for i in export.url_items]
    assert all("evidence" not in r for r in again)
    assert all(("description" in r) == bool(export.narrative.strip()) for r in again)


@SETTINGS
@given(exports)
def test_an_accepted_iccam_report_is_valid_in_json_and_csv(export):
    document = accepted(iccam.build, export)
    if document is None:
        return
    assert iccam.problems(document) == []
    assert iccam.problems(json.loads(json.dumps(document))) == []
    assert iccam.csv_document(iccam.to_csv(document).encode("utf-8")) == document


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["csam", "grooming", "sextortion", "trafficking"]), st.booleans())
def test_the_usual_case_is_accepted_by_every_format(category, imminent):
    """A sound case is not refused: the properties above are not won by refusing all."""
    export = helpers.snapshot(
        assessment=helpers.assessment(category=category), imminent_danger=imminent
    )
    assert ncmec.problems(ncmec.build_bundle(export)) == []
    assert xarf.problems(xarf.build(export)) == []
    assert iccam.problems(iccam.build(export)) == []
