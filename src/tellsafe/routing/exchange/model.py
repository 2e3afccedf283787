"""What an exchange document is made from, and what one read back becomes.

An export is built from a ``CaseExport``: a snapshot of one case taken by ``collect``
(its reports' codes, its content items with their hashes and hosting, the analyst's
assessment and who we are), so the format builders are pure functions of plain data.
Nothing in a snapshot names or reaches the reporter: no contact, no reference or
passphrase, and the narrative only when an analyst chose to include it.

An import reads a document into a ``Forward`` (what a foreign hotline sent, in our words,
not yet checked against our rules), which ``importer`` turns into a report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tellsafe.core.errors import ApplicationError

LEGAL_BASES = ("baseline", "national", "not_illegal")

#: What the analyst saw in the material, beyond its category.
FLAGS = frozenset(
    {
        "ai_generated",  # wholly or partly made by generative AI
        "virtual",  # drawn, animated or otherwise not a photograph
        "self_generated",  # made by the child (voluntarily or under coercion)
        "child_modelling",  # sexualised "child modelling", often not illegal
        "live_streaming",  # a capture of live-streamed abuse
    }
)

#: The apparent age of the child in the material, as hotlines assess it, and the age
#: bands of our intake (a report's age_band), which an assessment may use instead.
VISUAL_AGES = ("infant", "prepubescent", "pubescent", "not_determined")
INTAKE_AGES = ("under_9", "9_12", "13_15", "16_17", "adult", "unknown")
AGE_BANDS = VISUAL_AGES + INTAKE_AGES

GENDERS = ("not_determined", "female", "male", "both")
SITE_TYPES = (
    "not_determined",
    "website",
    "file_host",
    "image_store",
    "image_board",
    "forum",
    "banner_site",
    "link_site",
    "social_networking",
    "redirector",
    "web_archive",
    "search_provider",
    "image_host",
    "blog",
    "not_applicable",
)
COMMERCIALITIES = ("not_determined", "commercial", "non_commercial")
INDUSTRY_CLASSIFICATIONS = ("", "A1", "A2", "B1", "B2")

HASH_DIGITS = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}
_HEX = re.compile(r"[0-9a-f]+")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# A URL as the exchange schemas accept it: a scheme, then no white space.
URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^ \t\n\r]+")
MAX_URL = 2083
# Characters XML 1.0 cannot carry at all (C0 controls but tab and newlines, surrogates,
# U+FFFE and U+FFFF).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What a one-line field (a name, an organisation) may not hold: any control character.
NOT_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
IP = re.compile(r"[0-9A-Fa-f.:]{2,45}")


def hash_ok(name: str, value: str) -> bool:
    """True for a canonical (lower-case hex, right length) hash of type ``name``."""
    return len(value) == HASH_DIGITS.get(name, -1) and bool(_HEX.fullmatch(value))


#: Categories whose harm is an image or video of a child: a csam notice, not csem.
IMAGERY_CATEGORIES = frozenset(
    {
        "csam",
        "csam_generated",
        "self_generated",
        "sexualised_images",
        "livestreaming",
        "image_sharing",
    }
)


@dataclass(frozen=True)
class Assessment:
    """The analyst's assessment of a case's material, the basis of every export.

    ``category`` is a harm taxonomy code; ``legal_basis`` is ``baseline`` (illegal
    everywhere, INTERPOL baseline), ``national`` (illegal under our law) or
    ``not_illegal``; ``age_band`` is an apparent age (``VISUAL_AGES``) or an intake age
    band; ``flags`` come from ``FLAGS``. The other fields are optional refinements that
    some formats carry (ICCAM's gender and site type, the industry classification)."""

    category: str
    legal_basis: str
    age_band: str = "not_determined"
    flags: frozenset[str] | set[str] = frozenset()
    gender: str = "not_determined"
    site_type: str = "not_determined"
    commerciality: str = "not_determined"
    industry_classification: str = ""
    analyst: str = ""

    def problems(self, known_categories: Iterable[str]) -> dict[str, list[str]]:
        """Every problem of this assessment, keyed by field; empty when it is sound."""
        found: dict[str, list[str]] = {}

        def fail(name: str, message: str) -> None:
            found.setdefault(name, []).append(message)

        if self.category not in set(known_categories):
            fail("category", f"Unknown harm category: {str(self.category)[:48]!r}.")
        choices = (
            ("legal_basis", self.legal_basis, LEGAL_BASES),
            ("age_band", self.age_band, AGE_BANDS),
            ("gender", self.gender, GENDERS),
            ("site_type", self.site_type, SITE_TYPES),
            ("commerciality", self.commerciality, COMMERCIALITIES),
            ("industry_classification", self.industry_classification, INDUSTRY_CLASSIFICATIONS),
        )
        for name, value, allowed in choices:
            if value not in allowed:
                fail(name, f"Choose one of: {', '.join(v for v in allowed if v)}.")
        unknown = sorted(str(flag)[:32] for flag in self.flags if flag not in FLAGS)
        if unknown:
            fail(
                "flags", f"Unknown flags: {', '.join(unknown)}; known: {', '.join(sorted(FLAGS))}."
            )
        if self.industry_classification:
            letter = self.industry_classification[0]
            if letter == "A" and self.age_band == "pubescent":
                fail("industry_classification", "A means prepubescent; the age says pubescent.")
            if letter == "B" and self.age_band in ("infant", "prepubescent"):
                fail("industry_classification", "B means pubescent; the age says younger.")
        if (
            not isinstance(self.analyst, str)
            or len(self.analyst) > 120
            or NOT_LINE.search(self.analyst)
        ):
            fail("analyst", "One line of at most 120 readable characters.")
        return found

    def check(self, known_categories: Iterable[str]) -> None:
        problems = self.problems(known_categories)
        if problems:
            raise ApplicationError("invalid_assessment", "The assessment needs a look.", problems)

    @property
    def visual_age(self) -> str:
        """The apparent age, from a visual category or, failing one, an intake band.
        An intake band says little of how a child looks: only the clear cases map."""
        if self.age_band in VISUAL_AGES:
            return self.age_band
        return {"under_9": "prepubescent", "13_15": "pubescent", "16_17": "pubescent"}.get(
            self.age_band, "not_determined"
        )


@dataclass(frozen=True)
class CategoryInfo:
    """A harm category's mappings, as the taxonomy holds them."""

    code: str
    csea: bool
    ncmec: str = ""
    iccam: str = ""
    xarf: str = ""
    position: int = 0

    def ncmec_terms(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.ncmec.split(";") if t.strip())


@dataclass(frozen=True)
class Hashes:
    """Hashes of one file, canonical lower-case hex; empty when not known."""

    md5: str = ""
    sha1: str = ""
    sha256: str = ""
    pdq: str = ""

    def present(self) -> dict[str, str]:
        return {name: value for name, value in self.as_dict().items() if value}

    def as_dict(self) -> dict[str, str]:
        return {"md5": self.md5, "sha1": self.sha1, "sha256": self.sha256, "pdq": self.pdq}

    def __bool__(self) -> bool:
        return bool(self.md5 or self.sha1 or self.sha256 or self.pdq)


@dataclass(frozen=True)
class Hosting:
    """Where an item was hosted when last traced."""

    country: str = ""  # ISO 3166-1 alpha-2, "" when unknown or split
    asn: int | None = None
    org: str = ""
    behind_cdn: bool = False
    traced_at: datetime | None = None
    ip: str = ""


@dataclass(frozen=True)
class Item:
    """A content item: a URL (perhaps with the hashes of what it serves), or a media
    item known only by its hashes."""

    id: int
    kind: str  # "url" or "media"
    url: str = ""
    host: str = ""
    media_type: str = ""  # image, video, audio, document or ""
    hashes: Hashes = field(default_factory=Hashes)
    hosting: Hosting | None = None
    matched: bool = False  # a bank match that may be acted on


@dataclass(frozen=True)
class ReportSummary:
    """What an export may say about one report: codes and times, never the reporter."""

    id: int
    channel: str
    age_band: str
    language: str
    categories: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class Organisation:
    """Who sends: our hotline, and the person named as reporter in CyberTipline reports.
    This is never the child or whoever reported to us."""

    name: str
    email: str
    domain: str
    country: str = ""
    first_name: str = ""
    last_name: str = ""
    reference_prefix: str = "TS"


@dataclass(frozen=True)
class CaseExport:
    """One case, ready to be written in an exchange format."""

    case_id: int
    created_at: datetime
    exported_at: datetime
    imminent_danger: bool
    assessment: Assessment
    sender: Organisation
    reports: tuple[ReportSummary, ...]
    items: tuple[Item, ...]
    categories: Mapping[str, CategoryInfo]
    # The reports' narratives, only when an analyst chose to include them; else "".
    narrative: str = ""

    @property
    def reference(self) -> str:
        """Our reference for the case in other systems (never a reporter's reference)."""
        return f"{self.sender.reference_prefix}-CASE-{self.case_id}"

    @property
    def url_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.kind == "url" and i.url)

    @property
    def hashed_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.hashes)

    @property
    def category_codes(self) -> tuple[str, ...]:
        """The assessed category first, then the reports' categories, each once."""
        codes = [self.assessment.category]
        for report in self.reports:
            codes.extend(c for c in report.categories if c not in codes)
        return tuple(codes)

    @property
    def first_reported_at(self) -> datetime:
        return min((r.created_at for r in self.reports), default=self.created_at)

    def problems(self) -> dict[str, list[str]]:
        """What no format can carry, keyed by field: the assessment's problems, and text,
        URLs or hashes that are malformed. Empty when the snapshot is sound."""
        found = self.assessment.problems(self.categories)
        for name in ("created_at", "exported_at"):
            if getattr(self, name).tzinfo is None:
                found.setdefault(name, []).append("An aware date and time.")
        for report in self.reports:
            if report.created_at.tzinfo is None:
                found.setdefault(f"reports.{report.id}", []).append("An aware date and time.")

        def fail(name: str, message: str) -> None:
            found.setdefault(name, []).append(message)

        def line(name: str, value: str, limit: int, *, required: bool = False) -> None:
            if required and not value.strip():
                fail(name, "This is required.")
            elif len(value) > limit or NOT_LINE.search(value):
                fail(name, f"One line of at most {limit} readable characters.")

        sender = self.sender
        line("sender.name", sender.name, 200, required=True)
        line("sender.domain", sender.domain, 253)
        line("sender.first_name", sender.first_name, 256)
        line("sender.last_name", sender.last_name, 256)
        line("sender.reference_prefix", sender.reference_prefix, 16, required=True)
        if not (len(sender.email) <= 254 and EMAIL.fullmatch(sender.email)):
            fail("sender.email", "Set a valid email address for the sender.")
        if sender.country and not re.fullmatch(r"[A-Z]{2}", sender.country):
            fail("sender.country", "A two-letter country code, in capitals.")
        if NOT_XML.search(self.narrative):
            fail("narrative", "The narrative has characters that cannot be exchanged.")
        for item in self.items:
            where = f"items.{item.id}"
            if item.kind not in ("url", "media"):
                fail(where, "An item is a url or a media item.")
            if item.kind == "url" and not (
                len(item.url) <= MAX_URL
                and URL.fullmatch(item.url)
                and not NOT_LINE.search(item.url)
            ):
                fail(where, f"The URL is not exchangeable (at most {MAX_URL} characters).")
            if item.kind == "url":
                line(f"{where}.host", item.host, 255)
            for name, value in item.hashes.present().items():
                if not hash_ok(name, value):
                    fail(where, f"The {name} hash is not canonical hex of the right length.")
            if item.hosting is not None:
                hosting = item.hosting
                line(f"{where}.hosting.org", hosting.org, 255)
                if hosting.ip and not IP.fullmatch(hosting.ip):
                    fail(f"{where}.hosting.ip", "An IPv4 or IPv6 address.")
                if hosting.country and not re.fullmatch(r"[A-Z]{2}", hosting.country):
                    fail(f"{where}.hosting.country", "A two-letter country code.")
                if hosting.asn is not None and not 0 <= hosting.asn <= 4294967295:
                    fail(f"{where}.hosting.asn", "An ASN is a 32-bit number.")
                if hosting.traced_at is not None and hosting.traced_at.tzinfo is None:
                    fail(f"{where}.hosting.traced_at", "An aware date and time.")
        return found

    def check(self) -> None:
        """Raise ``ApplicationError`` listing ``problems()``, if any."""
        found = self.problems()
        if found:
            raise ApplicationError("invalid_export", "This case cannot be exported so.", found)


# --- imports ---------------------------------------------------------------------------


@dataclass
class ForwardItem:
    """One URL, or one file known by its hashes, in a received forward (unchecked)."""

    url: str = ""
    hashes: dict[str, str] = field(default_factory=dict)  # hash type (lower) -> value
    media_type: str = ""
    where: str = ""  # where it was in the document, for error messages


@dataclass
class Forward:
    """A forward as read from a document: structurally valid, not yet checked against
    our rules (taxonomy, URL form, hash form), which ``importer`` does."""

    format: str
    reference: str = ""  # the sender's own reference, if it gave one
    sender_org: str = ""  # the organisation the document names as sender, if any
    categories: list[str] = field(default_factory=list)  # taxonomy codes
    age_band: str = "unknown"  # an intake age band
    language: str = ""
    notes: list[str] = field(default_factory=list)  # the sender's free text
    items: list[ForwardItem] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)  # codes worth keeping as said
