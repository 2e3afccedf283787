"""Lines of a bank file, read one at a time from a binary or a text stream.

Bank files are UTF-8, with or without a byte order mark. A line ends at ``\\n``; a
``\\r`` before it (CRLF files) is dropped. A line may hold at most ``MAX_LINE_BYTES``
bytes of UTF-8, without its ending: a longer one is a problem, and is skipped without
being read into memory in one piece, so a file with no line breaks at all cannot exhaust
memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO, Any

from tellsafe.matching.formats.base import MAX_LINE_BYTES, Problems

_BOM = "\ufeff"
_DRAIN_CHUNK = 65536


def iter_lines(stream: IO[Any], problems: Problems) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` for every line, without its ending.

    Lines that are not UTF-8 or are too long are reported to ``problems`` and not
    yielded. Blank and comment lines are yielded: what they are depends on the format.
    """
    probe = check_stream(stream)
    if isinstance(probe, bytes):
        return _binary_lines(stream, problems)
    return _text_lines(stream, problems)


def check_stream(stream: IO[Any]) -> bytes | str:
    """``b""`` for a binary stream, ``""`` for a text one; ``TypeError`` for anything else.

    Readers call it before they start, so a wrong argument fails at the call.
    """
    read = getattr(stream, "read", None)
    if callable(read) and callable(getattr(stream, "readline", None)):
        probe = read(0)
        if isinstance(probe, bytes | str):
            return probe
    raise TypeError(f"Expected a binary or text file object, not {type(stream).__name__}.")


def _binary_lines(stream: IO[bytes], problems: Problems) -> Iterator[tuple[int, str]]:
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        number += 1
        if not raw.endswith(b"\n") and len(raw) == MAX_LINE_BYTES + 2:
            _drain(stream.readline, b"\n")
            problems.add(number, _too_long())
            continue
        raw = raw.removesuffix(b"\n").removesuffix(b"\r")
        if number == 1:
            if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
                problems.add(number, "The file is UTF-16; save it as UTF-8 and try again.")
                return
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        if len(raw) > MAX_LINE_BYTES:
            problems.add(number, _too_long())
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.add(
                number,
                f"This line is not UTF-8 (byte {error.start + 1} is 0x{raw[error.start]:02x}); "
                "save the file as UTF-8.",
            )
            continue
        yield number, text


def _text_lines(stream: IO[str], problems: Problems) -> Iterator[tuple[int, str]]:
    number = 0
    while True:
        try:
            text = stream.readline(MAX_LINE_BYTES + 2)
        except UnicodeDecodeError:
            # The stream decodes ahead in blocks, so where exactly is unknown.
            problems.add(number + 1, "The file is not UTF-8 from about here on; save it as UTF-8.")
            return
        if not text:
            return
        number += 1
        if not text.endswith("\n") and len(text) == MAX_LINE_BYTES + 2:
            _drain(stream.readline, "\n")
            problems.add(number, _too_long())
            continue
        text = text.removesuffix("\n").removesuffix("\r")
        if number == 1:
            text = text.removeprefix(_BOM)
        # A character is 1 to 4 bytes of UTF-8: only a long line needs encoding to know.
        if len(text) * 4 > MAX_LINE_BYTES and len(text.encode("utf-8", "replace")) > (
            MAX_LINE_BYTES
        ):
            problems.add(number, _too_long())
            continue
        yield number, text


def _drain(readline: Callable[[int], Any], ending: Any) -> None:
    """Read and drop the rest of a line that is too long."""
    while True:
        chunk = readline(_DRAIN_CHUNK)
        if not chunk or chunk.endswith(ending):
            return


def _too_long() -> str:
    return f"This line is longer than {MAX_LINE_BYTES} bytes."


def is_blank_or_comment(text: str) -> bool:
    """Blank lines and lines whose first non-space character is ``#`` carry no record."""
    stripped = text.lstrip()
    return not stripped or stripped.startswith("#")
