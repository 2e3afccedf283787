"""The values of a record as files write them: hash type names, qualities, references and
timestamps. Each ``parse_*`` takes the text of one value and returns it checked and in
canonical form, or raises ``ValueError`` with a message a partner can act on.

Hash type names are matched without regard to case or surrounding spaces, and these
aliases are accepted, as other tools write them (ThreatExchange indicator types,
python-threatexchange signal type names, spellings seen in partner lists):

* ``pdq``: ``hash_pdq``
* ``md5``: ``photo_md5``, ``video_md5``, ``hash_md5``, ``hash_photo_md5``, ``hash_video_md5``
* ``sha256``: ``sha-256``, ``sha_256``, ``photo_sha256``, ``video_sha256``, ``hash_sha256``,
  ``hash_photo_sha256``, ``hash_video_sha256``

An MD5 or SHA-256 is of a file's bytes whatever the file holds, so the photo and video
variants are the same hash type here.

Timestamps are ISO 8601 date and time with a UTC offset: ``2024-05-01T12:00:00Z``,
``2024-05-01T14:00:00+02:00``, ``2024-05-01 12:00Z``. A time without an offset is refused
rather than guessed: the same file read on two servers must give the same instants. Digits
of a second beyond the microsecond are dropped. Instants before 1990 or more than one day
ahead of the reading server's clock are refused as mistakes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ImproperlyConfigured

from tellsafe.matching import hashing
from tellsafe.matching.formats.base import MAX_REFERENCE_CHARS, HashRecord

_ALIASES: dict[str, str] = {
    "hash_pdq": "pdq",
    "photo_md5": "md5",
    "video_md5": "md5",
    "hash_md5": "md5",
    "hash_photo_md5": "md5",
    "hash_video_md5": "md5",
    "sha-256": "sha256",
    "sha_256": "sha256",
    "photo_sha256": "sha256",
    "video_sha256": "sha256",
    "hash_sha256": "sha256",
    "hash_photo_sha256": "sha256",
    "hash_video_sha256": "sha256",
}

# Hash types other tools use that our banks do not hold; named so the error says so,
# rather than "unknown".
_UNSUPPORTED = frozenset(
    {
        "vpdq",
        "tmk",
        "tmk_pdqf",
        "pdq_ocr",
        "url",
        "url_md5",
        "raw_text",
        "trend_query",
        "text_tlsh",
        "tlsh",
        "clip",
        "sha1",
        "sha-1",
        "photodna",
        "pdna",
        "ssvh_pdna",
        "ssvh_safer_hash",
        "netclean",
        "videntifier",
    }
)

for _target in set(_ALIASES.values()):
    if _target not in hashing.names():
        raise ImproperlyConfigured(f"Hash type alias target {_target!r} is not a hash type.")

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_SKEW = timedelta(days=1)
SUPPORTED_TYPES_TEXT = ", ".join(hashing.names())
_FORMULA_STARTS = ("=", "+", "-", "@")


def shorten(text: str, limit: int = 40) -> str:
    """``repr`` of a value for a message, cut so a message stays short."""
    if len(text) > limit:
        return repr(text[:limit]) + "…"
    return repr(text)


def parse_hash_type(text: str) -> str:
    """The hash type plugin name for a type name or alias."""
    key = text.strip().lower()
    if not key:
        raise ValueError(f"The hash type is empty; use one of {SUPPORTED_TYPES_TEXT}.")
    if key in hashing.names():
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    if key in _UNSUPPORTED:
        raise ValueError(
            f"{shorten(text.strip())} hashes are not supported; "
            f"a bank holds {SUPPORTED_TYPES_TEXT} hashes."
        )
    raise ValueError(
        f"Unknown hash type {shorten(text.strip())}; use one of {SUPPORTED_TYPES_TEXT}."
    )


def parse_hash(hash_type: str, text: str) -> str:
    """The canonical value of a hash of a known type."""
    return hashing.get(hash_type).normalise(text)


def parse_quality(hash_type: str, text: str) -> int | None:
    """A PDQ quality, 0 to 100; ``None`` when the value is empty."""
    text = text.strip()
    if not text:
        return None
    if hash_type != "pdq":
        raise ValueError(f"Only PDQ hashes have a quality; this is a {hash_type} hash.")
    if not (text.isascii() and text.isdigit() and len(text) <= 3):
        raise ValueError(f"The quality must be a whole number from 0 to 100, not {shorten(text)}.")
    value = int(text)
    if value > 100:
        raise ValueError(f"The quality must be a whole number from 0 to 100, not {value}.")
    return value


def parse_reference(text: str) -> str:
    """A source's id for a hash, with the spaces around it removed."""
    text = text.strip()
    check_reference(text)
    return text


def check_reference(text: str) -> None:
    if len(text) > MAX_REFERENCE_CHARS:
        raise ValueError(
            f"The reference is {len(text)} characters long; at most "
            f"{MAX_REFERENCE_CHARS} are allowed."
        )
    if text != text.strip():
        raise ValueError("The reference has spaces around it.")
    for position, char in enumerate(text, start=1):
        if not char.isprintable():
            raise ValueError(
                f"The reference has a control or invisible character at position "
                f"{position} (U+{ord(char):04X})."
            )
    # A spreadsheet would run such a value as a formula when an analyst opens an export.
    if text.startswith(_FORMULA_STARTS):
        raise ValueError(
            f"The reference starts with {text[0]!r}, which spreadsheets run as a formula."
        )


def parse_timestamp(text: str, *, now: datetime | None = None) -> datetime | None:
    """An ISO 8601 date and time with a UTC offset, as an aware datetime in UTC;
    ``None`` when the value is empty."""
    text = text.strip()
    if not text:
        return None
    example = "such as 2024-05-01T12:00:00Z"
    if text.endswith("z"):  # RFC 3339 allows a lower-case z; fromisoformat does not
        text = text[:-1] + "Z"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{shorten(text)} is not an ISO 8601 date and time {example}.") from None
    if len(text) <= 10 and "T" not in text.upper():
        raise ValueError(f"{shorten(text)} is a date without a time; write one {example}.")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(
            f"{shorten(text)} has no UTC offset; add Z for UTC or an offset like +02:00."
        )
    try:
        value = parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range
        raise ValueError(f"{shorten(text)} is not a plausible date; check it.") from None
    check_timestamp(value, now=now)
    return value


def check_timestamp(value: datetime, *, now: datetime | None = None) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("The time has no UTC offset.")
    if value < EARLIEST:
        raise ValueError(f"{format_timestamp(value)} is before 1990; check the date.")
    latest = (now or datetime.now(UTC)) + FUTURE_SKEW
    if value > latest:
        raise ValueError(f"{format_timestamp(value)} is in the future; check the date.")


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; microseconds only when there are some."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}"
    return text + "Z"


def check_removal_order(added_at: datetime | None, removed_at: datetime | None) -> None:
    if added_at is not None and removed_at is not None and removed_at < added_at:
        raise ValueError(
            f"removed_at ({format_timestamp(removed_at)}) is before added_at "
            f"({format_timestamp(added_at)})."
        )


def validate_record(record: HashRecord, *, now: datetime | None = None) -> None:
    """Raise ``ValueError`` unless every field of ``record`` is valid and canonical.

    Writers call this on every record, so no file we produce fails to read back.
    """
    if not isinstance(record, HashRecord):
        raise ValueError(f"Expected a HashRecord, not {type(record).__name__}.")
    if record.hash_type not in hashing.names():
        raise ValueError(
            f"Unknown hash type {record.hash_type!r}; use one of {SUPPORTED_TYPES_TEXT}."
        )
    hashing.get(record.hash_type).validate(record.value)
    quality = record.quality
    if quality is not None:
        if record.hash_type != "pdq":
            raise ValueError(f"Only PDQ hashes have a quality; this is a {record.hash_type} hash.")
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise ValueError(f"The quality must be a whole number from 0 to 100, not {quality!r}.")
    if not isinstance(record.reference, str):
        raise ValueError("The reference must be text.")
    check_reference(record.reference)
    for name in ("added_at", "removed_at"):
        value = getattr(record, name)
        if value is None:
            continue
        if not isinstance(value, datetime):
            raise ValueError(f"{name} must be a datetime, not {type(value).__name__}.")
        try:
            check_timestamp(value, now=now)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    check_removal_order(record.added_at, record.removed_at)
