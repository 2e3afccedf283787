"""The files of python-threatexchange (``pytx``, Meta's open-source signal exchange library
and CLI, the base of HMA), as partners that use it hand them to us and expect them back.

This module reads and writes them itself: it never imports ``threatexchange``, which is a
development dependency only (the tests use it to check that both sides agree).

Signal type names. pytx names a hash type by ``SignalType.get_name()``: ``pdq``
(``PdqSignal``), ``video_md5`` (``VideoMD5Signal``) and ``video_sha256``
(``VideoSHA256Signal``). On reading, these and the aliases of ``formats.fields``
(``photo_md5``, ``md5``, ``sha256``, ``HASH_PDQ``…) are accepted; pytx's other types
(``vpdq``, ``url``, ``url_md5``, ``raw_text``, ``text_tlsh``, ``pdq_ocr``…) are refused by
name, since our banks cannot hold them. On writing, ``md5`` and ``sha256`` become
``video_md5`` and ``video_sha256``: pytx 1.2 has no other names for them, and it drops a
line whose type it does not know without a word. An MD5 or SHA-256 is of a file's bytes
either way, but pytx only computes those two for videos, so a pytx user matches an
exported photo MD5 only by looking the hash up, not with ``threatexchange match photo``.

``pytx``: one signal a line, ``<signal type> <hash>``::

    pdq f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22
    video_md5 d41d8cd98f00b204e9800998ecf8427e

  This is the file of pytx's local file exchange, ``LocalFileSignalExchangeAPI``
  (``threatexchange/exchanges/impl/file_api.py``: ``fetch_iter`` splits each stripped
  line at its first space, and ``report_opinion`` appends ``f"{type} {signal}"``). The
  same lines come out of ``threatexchange hash <content> <files>``
  (``cli/hash_cmd.py``) and of ``threatexchange dataset -P -S`` (``cli/dataset_cmd.py``),
  so what a partner's pytx produced can be imported as it is.

  Reading: UTF-8 (a BOM is allowed), LF or CRLF; blank lines and ``#`` comment lines are
  skipped (pytx itself would ignore them too, as lines of an unknown type); the two
  values may be separated by any spaces or tabs. A line of a hash alone is what pytx
  writes for a collaboration configured with one ``signal_type``: it is accepted when
  ``read(..., signal_type="pdq")`` says which type, and is an error otherwise (64
  hexadecimal digits could be a PDQ or a SHA-256; we never guess). Limits as for csv:
  4096 bytes a line, 10,000,000 hashes.

  Writing: one line per record in the order given, LF endings, nothing else: no header
  or comment, which pytx would not skip.

  Lost: quality, reference and added_at, both ways (the format has no place for them;
  records read have their defaults). A withdrawal cannot be said at all: a record with
  ``removed_at`` set is refused by the writer (``ValueError``), since a pytx reader would
  add that hash rather than remove it. Export current contents, or use csv for changes.

``pytx_dataset``: the CSV of ``threatexchange dataset --print-signals --csv``
(``DatasetCommand.execute_print_signals`` and ``_print_csv`` in ``cli/dataset_cmd.py``,
"for ease of distribution"), one row per signal and collaboration::

    signal_type,signal_str,collab,category,tags
    pdq,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,NCMEC CSAM,POSITIVE_CLASS,

  Reading: a header with exactly those five columns (any order, names ignore case) and
  the csv rules for encoding, quoting, blank and comment lines and limits. ``category``
  is pytx's aggregate opinion of the signal (``AggregateSignalOpinionCategory`` in
  ``exchanges/fetch_state.py``). ``POSITIVE_CLASS`` (confirmed) and
  ``INVESTIGATION_SEED`` rows are read: the latter is pytx's "no opinion" default
  (``SignalOpinion.get_trivial``), the category of every signal from a source that gives
  none (local files, StopNCII hashes without feedback), so refusing it would refuse most
  files; whether such a source belongs in a bank is the importer's choice of source, not
  the file's. A ``NEGATIVE_CLASS`` row (members say it matches content that does not
  belong, or it is test data) or ``DISPUTED`` row (some members say so) is an error
  naming the category, so that nobody puts a known false positive into a bank by
  accident: remove those rows first. The same hash appears once per collaboration that
  holds it; each row gives a record, and the caller merges duplicates as it does for any
  file.

  Writing: the header, then rows of the pytx type name, the hash, the ``collab`` option
  (default empty; the bank's name is the natural value), ``POSITIVE_CLASS`` and no tags,
  with CRLF endings as Python's ``csv`` writes them in pytx.

  Lost on reading: ``collab`` and ``tags`` (checked to be printable text, then dropped:
  a bank has its own name and source). Lost on writing: quality, reference, added_at;
  withdrawals are refused as for ``pytx``. pytx has no reader for this CSV (its own file
  exchange reads ``pytx`` files), so export ``pytx`` for a partner's pytx to load.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any

from tellsafe.matching.formats import fields
from tellsafe.matching.formats.base import (
    MAX_ROWS,
    BankFormat,
    FormatError,
    HashRecord,
    Problems,
)
from tellsafe.matching.formats.csvfile import csv_rows, join_names, read_header
from tellsafe.matching.formats.lines import check_stream, is_blank_or_comment, iter_lines

# Our hash type name -> the SignalType.get_name() of the pytx type for it.
PYTX_NAMES = {"pdq": "pdq", "md5": "video_md5", "sha256": "video_sha256"}

DATASET_COLUMNS = ("signal_type", "signal_str", "collab", "category", "tags")
POSITIVE = "POSITIVE_CLASS"
READABLE_CATEGORIES = (POSITIVE, "INVESTIGATION_SEED")
REFUSED_CATEGORIES = {
    "NEGATIVE_CLASS": "pytx members say it matches content that does not belong, or test data",
    "DISPUTED": "some pytx members say it matches content that does not belong",
}
# What `threatexchange hash --photo-preprocess=rotations` puts before each line.
_ROTATIONS = frozenset(
    {"ORIGINAL", "ROTATE90", "ROTATE180", "ROTATE270", "FLIPX", "FLIPY", "FLIPPLUS1", "FLIPMINUS1"}
)


class PytxFormat(BankFormat):
    """pytx's local file exchange file, ``<signal type> <hash>`` a line; see the module."""

    name = "pytx"
    label = "python-threatexchange signal file"
    extension = "txt"
    media_type = "text/plain"
    carries = frozenset({"hash_type", "value"})

    def read(
        self, stream: IO[Any], *, signal_type: str | None = None, **options: Any
    ) -> Iterator[HashRecord]:
        """``signal_type``, if given, is the type of lines that hold a hash alone."""
        if options:
            raise TypeError(f"Unknown option {', '.join(options)} of the pytx format.")
        default_type = None if signal_type is None else fields.parse_hash_type(signal_type)
        check_stream(stream)
        return self._read(stream, default_type)

    def _read(self, stream: IO[Any], default_type: str | None) -> Iterator[HashRecord]:
        problems = Problems()
        count = 0
        for number, text in iter_lines(stream, problems):
            if is_blank_or_comment(text):
                continue
            count += 1
            if count > MAX_ROWS:
                raise problems.fatal(
                    number, f"The file has more than {MAX_ROWS:,} hashes; split it into parts."
                )
            record = self._record(text.split(), default_type, number, problems)
            if record is not None and not problems:
                yield record
        if count == 0 and not problems:
            raise problems.fatal(1, "The file has no hashes.")
        problems.raise_if_any()

    @staticmethod
    def _record(
        tokens: list[str], default_type: str | None, number: int, problems: Problems
    ) -> HashRecord | None:
        if len(tokens) == 1:
            if default_type is None:
                problems.add(
                    number,
                    "This line has a hash but no signal type; write it as "
                    "'<signal type> <hash>' (pdq, video_md5, video_sha256), or say which "
                    "type the bare hashes of this file are.",
                )
                return None
            hash_type, raw = default_type, tokens[0]
        elif len(tokens) == 2:
            try:
                hash_type = fields.parse_hash_type(tokens[0])
            except ValueError as error:
                problems.add(number, f"signal type: {error}")
                return None
            raw = tokens[1]
        else:
            hint = ""
            if tokens[0].upper() in _ROTATIONS:
                hint = (
                    " It looks like the output of threatexchange hash with rotations; "
                    "import the hashes of the original images only."
                )
            problems.add(
                number,
                f"Expected '<signal type> <hash>', found {len(tokens)} values.{hint}",
            )
            return None
        try:
            value = fields.parse_hash(hash_type, raw)
        except ValueError as error:
            problems.add(number, f"hash: {error}")
            return None
        return HashRecord(hash_type=hash_type, value=value)

    def write(self, records: Iterable[HashRecord], stream: IO[str], **options: Any) -> int:
        if options:
            raise TypeError(f"Unknown option {', '.join(options)} of the pytx format.")
        count = 0
        for count, record in enumerate(records, start=1):
            stream.write(f"{_pytx_name(record, count)} {record.value}\n")
        return count


class PytxDatasetFormat(BankFormat):
    """The CSV of ``threatexchange dataset --print-signals --csv``; see the module."""

    name = "pytx_dataset"
    label = "python-threatexchange dataset CSV"
    extension = "csv"
    media_type = "text/csv"
    carries = frozenset({"hash_type", "value"})

    def read(self, stream: IO[Any], **options: Any) -> Iterator[HashRecord]:
        if options:
            raise TypeError(f"Unknown option {', '.join(options)} of the pytx_dataset format.")
        check_stream(stream)
        return self._read(stream)

    def _read(self, stream: IO[Any]) -> Iterator[HashRecord]:
        problems = Problems()
        rows = csv_rows(stream, problems)
        header_line, names = read_header(rows, problems)
        _check_dataset_header(header_line, names, problems)
        index = {name: position for position, name in enumerate(names)}
        count = 0
        for number, cells in rows:
            count += 1
            if count > MAX_ROWS:
                raise problems.fatal(
                    number, f"The file has more than {MAX_ROWS:,} rows; split it into parts."
                )
            if len(cells) != len(names):
                problems.add(
                    number, f"Expected {len(names)} values ({','.join(names)}), found {len(cells)}."
                )
                continue
            row = {name: cells[position] for name, position in index.items()}
            record = _dataset_record(row, number, problems)
            if record is not None and not problems:
                yield record
        if count == 0 and not problems:
            problems.add(header_line, "The file has a header but no hashes.")
        problems.raise_if_any()

    def write(
        self,
        records: Iterable[HashRecord],
        stream: IO[str],
        *,
        collab: str = "",
        **options: Any,
    ) -> int:
        """``collab`` names the collaboration in every row (the bank's name, say)."""
        if options:
            raise TypeError(f"Unknown option {', '.join(options)} of the pytx_dataset format.")
        if not isinstance(collab, str):
            raise ValueError("collab must be text.")
        try:
            fields.check_reference(collab)
        except ValueError as error:
            raise ValueError(f"collab: {str(error).replace('reference', 'name')}") from None
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(DATASET_COLUMNS)
        count = 0
        for count, record in enumerate(records, start=1):
            writer.writerow((_pytx_name(record, count), record.value, collab, POSITIVE, ""))
        return count


def _check_dataset_header(number: int, names: list[str], problems: Problems) -> None:
    expected = ",".join(DATASET_COLUMNS)
    if not set(names) & set(DATASET_COLUMNS):
        hint = (
            " (this looks like a csv bank file: import it as csv)"
            if names[:2]
            == [
                "hash",
                "type",
            ]
            else ""
        )
        raise problems.fatal(number, f"Line {number} must be the header {expected}{hint}.")
    unknown = [name for name in names if name not in DATASET_COLUMNS]
    missing = [name for name in DATASET_COLUMNS if name not in names]
    repeated = sorted(name for name, seen in Counter(names).items() if seen > 1)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        problems.add(
            number, f"Unknown column{plural} {join_names(unknown)}; the columns are {expected}."
        )
    if missing:
        plural = "s" if len(missing) > 1 else ""
        problems.add(
            number, f"Missing column{plural} {join_names(missing)}; the columns are {expected}."
        )
    if repeated:
        problems.add(number, f"The header repeats {join_names(repeated)}.")
    if problems:
        raise FormatError(problems.items)


def _dataset_record(row: dict[str, str], number: int, problems: Problems) -> HashRecord | None:
    errors: list[str] = []
    value = None
    try:
        hash_type: str | None = fields.parse_hash_type(row["signal_type"])
    except ValueError as error:
        errors.append(f"signal_type: {error}")
        hash_type = None
    if hash_type is not None:
        try:
            value = fields.parse_hash(hash_type, row["signal_str"])
        except ValueError as error:
            errors.append(f"signal_str: {error}")
    category = row["category"].strip()
    if category in REFUSED_CATEGORIES:
        errors.append(
            f"category: {category} ({REFUSED_CATEGORIES[category]}); a bank takes only "
            f"{' or '.join(READABLE_CATEGORIES)} rows, so remove this one."
        )
    elif category not in READABLE_CATEGORIES:
        known = ", ".join((*READABLE_CATEGORIES, *REFUSED_CATEGORIES))
        errors.append(
            f"category: unknown category {fields.shorten(category)}; pytx writes {known}."
        )
    for name in ("collab", "tags"):
        bad = next((char for char in row[name] if not char.isprintable()), None)
        if bad is not None:
            errors.append(f"{name}: a control or invisible character (U+{ord(bad):04X}).")
    for message in errors:
        problems.add(number, message)
    if errors or hash_type is None or value is None:
        return None
    return HashRecord(hash_type=hash_type, value=value)


def _pytx_name(record: HashRecord, position: int) -> str:
    """The pytx signal type name for a record that pytx files can carry."""
    try:
        fields.validate_record(record)
    except ValueError as error:
        raise ValueError(f"Record {position}: {error}") from None
    if record.removed_at is not None:
        raise ValueError(
            f"Record {position} withdraws a hash (removed_at is set), which pytx files "
            "cannot say: a pytx reader would add the hash instead. Export the current "
            "contents, or use csv for changes."
        )
    name = PYTX_NAMES.get(record.hash_type)
    if name is None:
        raise ValueError(
            f"Record {position}: pytx has no signal type for {record.hash_type} hashes."
        )
    return name
