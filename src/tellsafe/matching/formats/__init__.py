"""Bank file formats: hash lists as files, converted to and from plain records.

Used by ``tellsafe bank import/export`` and the bank API. Nothing here touches the
database: a format turns a stream into ``HashRecord`` values and back.

    from tellsafe.matching import formats

    with transaction.atomic():                   # all or nothing: see below
        for record in formats.read("csv", upload):
            ...                                  # save it
    formats.write("pytx", records, response)     # text stream

Formats, by stable name (each module's docstring says exactly what it carries and what is
lost each way):

* ``csv`` (``csvfile.py``): our own file; every field, changes included.
* ``pytx`` (``threatexchange.py``): python-threatexchange's local file exchange file,
  ``<signal type> <hash>`` a line, which is also what ``threatexchange hash`` prints.
* ``pytx_dataset`` (``threatexchange.py``): the CSV of ``threatexchange dataset -P --csv``.

Reading takes a binary or a text stream. It is a generator: records come as they are
read, until the first problem; the reader then only collects problems (at most 100,
with line numbers) and raises ``FormatError`` at the end, or at once when the 100th is
found or when the rest of the file cannot be understood. Saving records as they come is
therefore safe only inside one transaction that ``FormatError`` rolls back.

Writing takes a text stream (open files with ``newline=""``), validates every record and
raises ``ValueError`` for one that is invalid or that the format cannot carry truthfully.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.core.exceptions import ImproperlyConfigured

from tellsafe.matching.formats.base import (
    MAX_LINE_BYTES,
    MAX_PROBLEMS,
    MAX_ROWS,
    BankFormat,
    FormatError,
    HashRecord,
)
from tellsafe.matching.formats.csvfile import CsvFormat
from tellsafe.matching.formats.fields import validate_record
from tellsafe.matching.formats.threatexchange import PytxDatasetFormat, PytxFormat

__all__ = [
    "FORMATS",
    "MAX_LINE_BYTES",
    "MAX_PROBLEMS",
    "MAX_ROWS",
    "BankFormat",
    "FormatError",
    "HashRecord",
    "get",
    "names",
    "read",
    "validate_record",
    "write",
]

PLUGINS: tuple[type[BankFormat], ...] = (CsvFormat, PytxFormat, PytxDatasetFormat)


def _build(plugins: Iterable[type[BankFormat]]) -> dict[str, BankFormat]:
    by_name: dict[str, BankFormat] = {}
    for plugin in plugins:
        if plugin.name in by_name:
            raise ImproperlyConfigured(f"Two bank formats are named {plugin.name!r}.")
        by_name[plugin.name] = plugin()
    return by_name


FORMATS: dict[str, BankFormat] = _build(PLUGINS)


def names() -> tuple[str, ...]:
    """The format names, sorted."""
    return tuple(sorted(FORMATS))


def get(name: str) -> BankFormat:
    """The format called ``name``; ``ValueError`` listing the known names if none."""
    try:
        return FORMATS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"Unknown bank file format {name!r}; known formats: {', '.join(names())}."
        ) from None


def read(name: str, stream: IO[Any], **options: Any) -> Iterator[HashRecord]:
    """The records of a bank file in format ``name``; see the module for the contract."""
    return get(name).read(stream, **options)


def write(name: str, records: Iterable[HashRecord], stream: IO[str], **options: Any) -> int:
    """Write ``records`` to a text stream in format ``name``; return how many."""
    return get(name).write(records, stream, **options)
