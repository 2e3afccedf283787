"""The record every bank file format reads and writes, the error a bad file raises, and
the base class of the format plugins.

A format converts between a file and plain ``HashRecord`` values; it never touches the
database. Readers are generators, so a file of millions of rows is never held in memory.

The reading contract, which every format keeps:

* Records are yielded as they are read, in file order, while the file is valid so far.
* At the first problem the reader stops yielding, but keeps reading to collect more
  problems (at most ``MAX_PROBLEMS``), then raises ``FormatError`` listing them with
  their line numbers. A file that is valid to the end raises nothing.
* So a caller that saves records as they come must do it inside one transaction and let
  ``FormatError`` roll it back: a bank import is all or nothing.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, ClassVar

from tellsafe.core.errors import ApplicationError

MAX_PROBLEMS = 100
MAX_ROWS = 10_000_000
MAX_LINE_BYTES = 4096  # without the line ending
MAX_REFERENCE_CHARS = 128


@dataclass(frozen=True, slots=True)
class HashRecord:
    """One hash of a bank, as a file carries it.

    ``value`` is canonical (``hashing.get(hash_type).normalise``). ``quality`` is for PDQ
    only (0-100, ``None`` when unknown). ``reference`` is the source's own id for the hash
    (printable, at most 128 characters, no spaces around it, empty when none).
    ``added_at`` and ``removed_at`` are aware datetimes in UTC; ``removed_at`` is set
    only in change exports, for a hash the source has withdrawn.
    """

    hash_type: str
    value: str
    quality: int | None = None
    reference: str = ""
    added_at: datetime | None = None
    removed_at: datetime | None = None


class FormatError(ApplicationError):
    """A bank file that cannot be read: each problem is ``(line number, message)``.

    ``fields`` carries the same problems keyed ``"line 12"`` for the API and the forms;
    ``problems`` keeps them as tuples, in the order they were found. Line numbers count
    every line of the file from 1, blank and comment lines included, so they match what
    an editor shows. When ``truncated`` is true, reading stopped after ``MAX_PROBLEMS``
    problems and the rest of the file was not checked.
    """

    def __init__(self, problems: Sequence[tuple[int, str]], *, truncated: bool = False) -> None:
        if not problems:
            raise ValueError("FormatError needs at least one problem.")
        self.problems: tuple[tuple[int, str], ...] = tuple(problems)
        self.truncated = truncated
        fields: dict[str, list[str]] = {}
        for line, message in self.problems:
            fields.setdefault(f"line {line}", []).append(message)
        count = len(self.problems)
        first_line, first_message = self.problems[0]
        summary = (
            f"The file has {count} problem{'s' if count != 1 else ''}; "
            f"the first is on line {first_line}: {first_message}"
        )
        if truncated:
            summary += f" Reading stopped at line {self.problems[-1][0]} after {count} problems."
        super().__init__("invalid_file", summary, fields, status=422)


class Problems:
    """Collects the problems of one file, and raises once there are too many."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.limit = limit
        self.items: list[tuple[int, str]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, line: int, message: str) -> None:
        """Record a problem; raise ``FormatError`` when the limit is reached."""
        self.items.append((line, message))
        if len(self.items) >= self.limit:
            raise FormatError(self.items, truncated=True)

    def fatal(self, line: int, message: str) -> FormatError:
        """A problem after which the rest of the file cannot be understood."""
        self.items.append((line, message))
        return FormatError(self.items, truncated=False)

    def raise_if_any(self) -> None:
        if self.items:
            raise FormatError(self.items)


class BankFormat(ABC):
    """Base class of the bank file formats.

    A format sets ``name`` (stable: users type it in ``tellsafe bank import --format``
    and partners in the API), ``label`` (for people), ``extension`` and ``media_type``
    (for downloads), and ``carries``: the ``HashRecord`` fields it carries. A field it
    does not carry is lost on export and left at its default on import.

    ``read`` and ``write`` may accept keyword options of their own; an unknown option is
    a ``TypeError``, as for any Python call.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str]
    carries: ClassVar[frozenset[str]]

    @abstractmethod
    def read(self, stream: IO[Any], **options: Any) -> Iterator[HashRecord]:
        """Yield the records of a binary or text stream; see the module's contract."""

    @abstractmethod
    def write(self, records: Iterable[HashRecord], stream: IO[str], **options: Any) -> int:
        """Write records to a text stream, in the order given; return how many.

        Raises ``ValueError`` for a record that is not valid, or that carries something
        this format cannot say (a withdrawal, for formats without one): writing it
        anyway would tell the reader something false. Records are checked as they are
        written, so after a ``ValueError`` the stream holds a partial file: discard it.
        """
