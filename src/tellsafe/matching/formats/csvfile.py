"""``csv``: our own bank file, the one format that carries every field of a record.

Layout::

    hash,type,quality,reference,added_at,removed_at
    f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,pdq,92,IWF-20391,2024-05-01T12:00:00Z,
    d41d8cd98f00b204e9800998ecf8427e,md5,,,2024-05-01T12:00:00Z,2024-06-01T08:30:00Z

Reading:

* UTF-8, with or without a byte order mark; lines end with LF or CRLF; ``,`` between
  values; values may be quoted as RFC 4180 says (``"a ""quoted"" value"``), but a quoted
  value cannot run over a line break (no valid value holds one).
* The first line that is not blank or a comment is the header. It must start with
  ``hash,type``; any of ``quality``, ``reference``, ``added_at``, ``removed_at`` may
  follow, in any order. Column names ignore case and surrounding spaces. An unknown or
  repeated column is an error that names it: a column we would silently drop could be
  one the sender meant us to honour.
* Blank lines, and lines whose first non-space character is ``#``, are skipped.
* Every row has exactly as many values as the header. ``hash`` is checked and made
  canonical by its hash type's ``normalise``; ``type`` accepts the aliases listed in
  ``formats.fields``; ``quality`` is 0-100 and only for ``pdq``; ``reference`` is
  printable, at most 128 characters, and does not start with ``= + - @`` (spreadsheets
  would run it); ``added_at``/``removed_at`` are ISO 8601 with an offset or ``Z`` (a
  time without one is an error, never guessed) and ``removed_at`` is not before
  ``added_at``. An empty optional value, or a missing optional column, means unknown.
* At most 10,000,000 rows, and 4096 bytes a line. A file with a header and no row is an
  error, as is an empty file.
* Records are yielded as read; see ``formats.base`` for the all-or-nothing contract.

Writing: the header ``hash,type,quality,reference,added_at,removed_at``, then one row per
record in the order given, CRLF line endings (RFC 4180), values quoted only when they
must be, timestamps in UTC as ``2024-05-01T12:00:00Z`` (with microseconds only when there
are some). The same records always give the same bytes. Open the stream with
``newline=""`` so Python does not translate the line endings.

What is lost: nothing, either way. Reading drops only what is not data: comments, blank
lines, the column order, quoting, the case of type names and aliases, and the original
UTC offsets (instants are kept, in UTC). Digits of a second beyond the microsecond are
dropped.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import IO, Any

from tellsafe.matching.formats import fields
from tellsafe.matching.formats.base import (
    MAX_ROWS,
    BankFormat,
    FormatError,
    HashRecord,
    Problems,
)
from tellsafe.matching.formats.lines import check_stream, is_blank_or_comment, iter_lines

COLUMNS = ("hash", "type", "quality", "reference", "added_at", "removed_at")
OPTIONAL_COLUMNS = COLUMNS[2:]


def split_cells(text: str) -> list[str]:
    """The values of one CSV line; ``ValueError`` if its quoting is broken."""
    if '"' not in text:
        # Without quotes, RFC 4180 is a plain split; this is the common, fast case.
        return text.split(",")
    try:
        return next(csv.reader((text,), strict=True))
    except csv.Error as error:
        reason = str(error)
        if "unexpected end of data" in reason:
            reason = "a quoted value is not closed on this line"
        raise ValueError(f"The quoting of this line is broken: {reason}.") from None


def csv_rows(stream: IO[Any], problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """``(line number, values)`` of every line that is not blank or a comment."""
    for number, text in iter_lines(stream, problems):
        if is_blank_or_comment(text):
            continue
        try:
            cells = split_cells(text)
        except ValueError as error:
            problems.add(number, str(error))
            continue
        yield number, cells


def read_header(rows: Iterator[tuple[int, list[str]]], problems: Problems) -> tuple[int, list[str]]:
    """The header row, names stripped and lower-cased. If a line before it had a problem,
    or there is none, there is nothing more to read: raise."""
    for number, cells in rows:
        if problems:
            raise FormatError(problems.items)
        return number, [cell.strip().lower() for cell in cells]
    if problems:
        raise FormatError(problems.items)
    raise problems.fatal(1, "The file is empty; it needs a header row and at least one hash.")


def join_names(names: Iterable[str]) -> str:
    return ", ".join(
        repr(name) if name else "'' (an empty name: a trailing comma?)" for name in names
    )


class CsvFormat(BankFormat):
    """Our CSV bank file; see the module docstring."""

    name = "csv"
    label = "CSV"
    extension = "csv"
    media_type = "text/csv"
    carries = frozenset(HashRecord.__slots__)

    def read(self, stream: IO[Any], **options: Any) -> Iterator[HashRecord]:
        if options:
            raise TypeError(f"The csv format takes no options, not {', '.join(options)}.")
        check_stream(stream)
        return self._read(stream, now=datetime.now(UTC))

    def _read(self, stream: IO[Any], *, now: datetime) -> Iterator[HashRecord]:
        problems = Problems()
        rows = csv_rows(stream, problems)
        header_line, names = read_header(rows, problems)
        self._check_header(header_line, names, problems)
        index = {name: position for position, name in enumerate(names)}
        width = len(names)
        count = 0
        for number, cells in rows:
            count += 1
            if count > MAX_ROWS:
                raise problems.fatal(
                    number, f"The file has more than {MAX_ROWS:,} rows; split it into parts."
                )
            if len(cells) != width:
                problems.add(
                    number,
                    f"Expected {width} values ({','.join(names)}), found {len(cells)}.",
                )
                continue
            record = self._record(cells, index, number, problems, now)
            if record is not None and not problems:
                yield record
        if count == 0 and not problems:
            problems.add(header_line, "The file has a header but no hashes.")
        problems.raise_if_any()

    @staticmethod
    def _check_header(number: int, names: list[str], problems: Problems) -> None:
        allowed = ", ".join(OPTIONAL_COLUMNS)
        if names[:2] != ["hash", "type"]:
            if _looks_like_data(names):
                raise problems.fatal(
                    number,
                    f"There is no header row; line {number} must be hash,type followed by "
                    f"any of {allowed}.",
                )
            shown = ",".join(names[:2])
            raise problems.fatal(
                number, f"The header must start with hash,type, not {fields.shorten(shown)}."
            )
        repeated = sorted(name for name, seen in Counter(names).items() if seen > 1)
        unknown = [name for name in names[2:] if name not in OPTIONAL_COLUMNS]
        if unknown:
            problems.add(
                number,
                f"Unknown column{'s' if len(unknown) > 1 else ''} {join_names(unknown)}; "
                f"after hash,type the columns can be {allowed}, in any order.",
            )
        if repeated:
            problems.add(number, f"The header repeats {join_names(repeated)}.")
        if problems:
            raise FormatError(problems.items)

    @staticmethod
    def _record(
        cells: list[str],
        index: dict[str, int],
        number: int,
        problems: Problems,
        now: datetime,
    ) -> HashRecord | None:
        errors: list[str] = []

        def cell(name: str) -> str:
            position = index.get(name)
            return "" if position is None else cells[position]

        value = None
        quality = None
        try:
            hash_type: str | None = fields.parse_hash_type(cells[1])
        except ValueError as error:
            errors.append(f"type: {error}")
            hash_type = None
        if hash_type is not None:
            try:
                value = fields.parse_hash(hash_type, cells[0])
            except ValueError as error:
                errors.append(f"hash: {error}")
            try:
                quality = fields.parse_quality(hash_type, cell("quality"))
            except ValueError as error:
                errors.append(f"quality: {error}")
        reference = ""
        try:
            reference = fields.parse_reference(cell("reference"))
        except ValueError as error:
            errors.append(f"reference: {error}")
        times: dict[str, datetime | None] = {}
        for name in ("added_at", "removed_at"):
            try:
                times[name] = fields.parse_timestamp(cell(name), now=now)
            except ValueError as error:
                errors.append(f"{name}: {error}")
        if "added_at" in times and "removed_at" in times:
            try:
                fields.check_removal_order(times["added_at"], times["removed_at"])
            except ValueError as error:
                errors.append(str(error))
        for message in errors:
            problems.add(number, message)
        if errors or hash_type is None or value is None:
            return None
        return HashRecord(
            hash_type=hash_type,
            value=value,
            quality=quality,
            reference=reference,
            added_at=times["added_at"],
            removed_at=times["removed_at"],
        )

    def write(self, records: Iterable[HashRecord], stream: IO[str], **options: Any) -> int:
        if options:
            raise TypeError(f"The csv format takes no options, not {', '.join(options)}.")
        now = datetime.now(UTC)
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        count = 0
        for count, record in enumerate(records, start=1):
            try:
                fields.validate_record(record, now=now)
            except ValueError as error:
                raise ValueError(f"Record {count}: {error}") from None
            writer.writerow(
                (
                    record.value,
                    record.hash_type,
                    "" if record.quality is None else str(record.quality),
                    record.reference,
                    _timestamp(record.added_at),
                    _timestamp(record.removed_at),
                )
            )
        return count


def _timestamp(value: datetime | None) -> str:
    return "" if value is None else fields.format_timestamp(value)


def _looks_like_data(names: list[str]) -> bool:
    """Whether a first row is a record rather than a header: its type value is known."""
    if len(names) < 2:
        return False
    try:
        fields.parse_hash_type(names[1])
    except ValueError:
        return False
    return True
