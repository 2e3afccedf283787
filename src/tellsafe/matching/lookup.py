"""Looking hashes up against the banks: the matcher's candidates, turned into answers.

For each query: every matching hash in an enabled bank (PDQ within the threshold, MD5 and
SHA-256 exactly), with its bank, distance, the matched hash, and which dihedral variant of
the query matched. Then the rules:

* **Negative banks.** A query that matches a hash in a negative bank (known harmless) has
  its positive matches *suppressed*: they are still listed to staff, never actionable.
* **Quality.** A PDQ hash of quality below 50, on either side, is never used for
  automatic action.
* **Review and floods.** Pending hashes (awaiting an analyst) and quarantined hashes
  (flood protection) match but are not actionable.
* **What a partner sees.** Only active hashes of banks that are shareable and shared with
  that partner; pending self-reports and other banks stay invisible.

Every lookup that matched an active hash of a positive bank counts towards that hash's
flood tally.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from tellsafe.matching import flood
from tellsafe.matching.hashing.pdq import DIHEDRAL
from tellsafe.matching.index import MAX_THRESHOLD
from tellsafe.matching.matcher import BankInfo, Matcher, get_matcher
from tellsafe.matching.models import Bank, BankHash

QUALITY_THRESHOLD = 50


@dataclass(frozen=True)
class Query:
    hash_type: str
    value: str  # canonical
    quality: int | None = None
    variants: tuple[str, ...] = ()  # PDQ of the 7 other dihedral transforms, DIHEDRAL order


@dataclass(frozen=True)
class Match:
    bank: str
    bank_kind: str
    legal_scope: str
    hash_type: str
    value: str  # the bank's hash
    distance: int
    variant: str  # "original" or the dihedral transform that matched
    status: str
    quarantined: bool
    actionable: bool
    bank_hash_id: int


@dataclass
class Answer:
    matches: list[Match] = field(default_factory=list)
    suppressed: bool = False  # a negative bank matched

    @property
    def actionable(self) -> bool:
        return any(m.actionable for m in self.matches)


@dataclass(frozen=True)
class Viewer:
    """Who asks: staff see everything; a partner sees only banks shared with it."""

    partner_id: int | None = None
    shared_bank_ids: frozenset[int] = frozenset()

    @classmethod
    def staff(cls) -> Viewer:
        return cls()

    @classmethod
    def partner(cls, partner: Any) -> Viewer:
        ids = Bank.objects.filter(shared_with=partner, shareable=True).values_list("id", flat=True)
        return cls(partner.pk, frozenset(ids))

    @property
    def is_partner(self) -> bool:
        return self.partner_id is not None


def configured_threshold(threshold: int | None) -> int:
    value = settings.MATCH_THRESHOLD if threshold is None else threshold
    return max(0, min(int(value), settings.MATCH_MAX_THRESHOLD, MAX_THRESHOLD))


def lookup(
    queries: list[Query],
    *,
    viewer: Viewer,
    threshold: int | None = None,
    count: bool = True,
    matcher: Matcher | None = None,
) -> list[Answer]:
    """Answer each query (see the module docstring); ``count`` adds to flood tallies."""
    matcher = matcher or get_matcher()
    limit = configured_threshold(threshold)
    candidates = [_candidates(matcher, q, limit) for q in queries]
    ids = {i for found in candidates for i in found}
    rows = (
        {
            r.pk: r
            for r in BankHash.objects.filter(pk__in=ids).only(
                "id",
                "bank_id",
                "hash_type",
                "value",
                "quality",
                "status",
                "quarantined_at",
            )
        }
        if ids
        else {}
    )
    answers = []
    tally: Counter[int] = Counter()
    for query, found in zip(queries, candidates, strict=True):
        answer = _answer(query, found, rows, matcher.banks, viewer)
        for m in answer.matches:
            if m.bank_kind == Bank.Kind.POSITIVE and m.status == BankHash.Status.ACTIVE:
                tally[m.bank_hash_id] += 1
        answers.append(answer)
    if count and tally:
        quarantined = set(flood.record_matches(tally))
        if quarantined:
            for answer in answers:
                answer.matches = [
                    _quarantined(m) if m.bank_hash_id in quarantined else m for m in answer.matches
                ]
    return answers


def _quarantined(m: Match) -> Match:
    return Match(**{**m.__dict__, "quarantined": True, "actionable": False})


def _candidates(matcher: Matcher, query: Query, limit: int) -> dict[int, tuple[int, str]]:
    """Bank-hash id -> (distance, variant), the nearest variant kept."""
    if query.hash_type != "pdq":
        index = matcher.exact.get(query.hash_type)
        return {i: (0, "original") for i in index.query(query.value)} if index else {}
    hashes = [query.value, *query.variants]
    found: dict[int, tuple[int, str]] = {}
    for k, matches in enumerate(matcher.pdq.query_batch(hashes, limit)):
        for i, d in matches:
            if i not in found or d < found[i][0]:
                found[i] = (d, DIHEDRAL[k] if k else "original")
    return found


def _answer(
    query: Query,
    found: dict[int, tuple[int, str]],
    rows: dict[int, BankHash],
    banks: dict[int, BankInfo],
    viewer: Viewer,
) -> Answer:
    matches: list[Match] = []
    suppressed = False
    low_quality_query = query.quality is not None and query.quality < QUALITY_THRESHOLD
    for i, (distance, variant) in found.items():
        row = rows.get(i)
        bank = banks.get(row.bank_id) if row else None
        if row is None or bank is None or not bank.enabled or not row.matchable:
            continue  # changed since the index saw it
        if bank.kind == Bank.Kind.NEGATIVE:
            suppressed = True
        if viewer.is_partner and (
            bank.id not in viewer.shared_bank_ids
            or row.status != BankHash.Status.ACTIVE
            or bank.kind == Bank.Kind.NEGATIVE
        ):
            continue
        good_quality = row.quality is None or row.quality >= QUALITY_THRESHOLD
        matches.append(
            Match(
                bank=bank.name,
                bank_kind=bank.kind,
                legal_scope=bank.legal_scope,
                hash_type=row.hash_type,
                value=row.value,
                distance=distance,
                variant=variant,
                status=row.status,
                quarantined=row.quarantined,
                actionable=(
                    bank.kind == Bank.Kind.POSITIVE
                    and row.status == BankHash.Status.ACTIVE
                    and not row.quarantined
                    and good_quality
                    and not low_quality_query
                ),
                bank_hash_id=row.pk,
            )
        )
    if suppressed:
        matches = [
            Match(**{**m.__dict__, "actionable": False}) if m.actionable else m for m in matches
        ]
    matches.sort(key=lambda m: (m.distance, m.bank, m.bank_hash_id))
    return Answer(matches=matches, suppressed=suppressed)
