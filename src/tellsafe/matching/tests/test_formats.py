"""Bank file formats: csv, pytx and pytx_dataset, read and written, checked against the
recorded files in ``tests/formats/`` and against python-threatexchange's own code."""

from __future__ import annotations

import contextlib
import io
import pathlib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threatexchange.cli.dataset_cmd import DatasetCommand
from threatexchange.cli.hash_cmd import HashCommand
from threatexchange.content_type.photo import PhotoContent
from threatexchange.content_type.video import VideoContent
from threatexchange.exchanges import fetch_state
from threatexchange.exchanges.impl.file_api import (
    FileCollaborationConfig,
    LocalFileSignalExchangeAPI,
)
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.sha256 import VideoSHA256Signal

from tellsafe.matching import formats, hashing
from tellsafe.matching.formats import FormatError, HashRecord, csvfile, threatexchange
from tellsafe.matching.tests import images

SAMPLES = pathlib.Path(__file__).parent / "formats"
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_1 = "58524ea095af958668fb2e25d95e4a569a72e4bdb54a495a6a4993b59694d56a"
PDQ_2 = "2e60930fc58b3ee87a148be3748f8b493eb4934f44a37e780ab4814b7cb49b79"
MD5 = "9e107d9d372bb6826bd81d3542a419d6"  # of "The quick brown fox jumps over the lazy dog"
SHA = "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
FOX = b"The quick brown fox jumps over the lazy dog"
NAIVE = datetime(2024, 1, 1)  # no time zone, on purpose
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(name: str, data: bytes | str, **options: object) -> list[HashRecord]:
    stream = io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data, newline="")
    return list(formats.read(name, stream, **options))


def problems(name: str, data: bytes | str, **options: object) -> list[tuple[int, str]]:
    with pytest.raises(FormatError) as info:
        read(name, data, **options)
    assert info.value.code == "invalid_file" and info.value.status == 422
    return list(info.value.problems)


def write(name: str, records: list[HashRecord], **options: object) -> str:
    out = io.StringIO(newline="")
    assert formats.write(name, records, out, **options) == len(records)
    return out.getvalue()


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def assert_problem(found: list[tuple[int, str]], line: int, text: str) -> None:
    assert any(n == line and text in message for n, message in found), found


# --- registry and error -----------------------------------------------------------------


def test_registry_names_and_unknown_name():
    assert formats.names() == ("csv", "pytx", "pytx_dataset")
    assert formats.get("csv") is formats.FORMATS["csv"]
    with pytest.raises(
        ValueError, match="Unknown bank file format 'xml'; known formats: csv, pytx"
    ):
        formats.read("xml", io.BytesIO(b""))
    with pytest.raises(ValueError, match="known formats"):
        formats.write("xml", [], io.StringIO())


def test_registry_refuses_two_formats_with_one_name():
    with pytest.raises(ImproperlyConfigured, match="Two bank formats are named 'csv'"):
        formats._build([csvfile.CsvFormat, csvfile.CsvFormat])


def test_format_error_carries_problems_by_line():
    error = FormatError([(3, "a"), (3, "b"), (7, "c")])
    assert error.problems == ((3, "a"), (3, "b"), (7, "c"))
    assert error.as_dict() == {
        "error": "invalid_file",
        "message": "The file has 3 problems; the first is on line 3: a",
        "fields": {"line 3": ["a", "b"], "line 7": ["c"]},
    }
    with pytest.raises(ValueError):
        FormatError([])


def test_unknown_options_and_non_streams_are_refused():
    with pytest.raises(TypeError, match="no options"):
        formats.read("csv", io.BytesIO(b""), signal_type="pdq")
    with pytest.raises(TypeError, match="binary or text"):
        list(formats.read("csv", object()))  # type: ignore[arg-type]


# --- csv: reading -------------------------------------------------------------------------

PARTNER_RECORDS = [
    HashRecord("pdq", PDQ, 92, "IWF-20391", at(2024, 5, 1, 12)),
    HashRecord("pdq", PDQ_1, None, 'case 17, item "b"', at(2024, 5, 2, 9, 30, 0, 250000)),
    HashRecord("md5", MD5, None, "", at(2024, 1, 10), at(2024, 6, 1, 12, 30)),
    HashRecord("sha256", SHA, None, "Ref ÅÉ 東京"),
]


def test_reads_recorded_partner_csv_from_binary_and_text_streams():
    data = (SAMPLES / "partner_bank.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    assert read("csv", data) == PARTNER_RECORDS
    assert read("csv", data.decode("utf-8")) == PARTNER_RECORDS  # BOM as U+FEFF
    with (SAMPLES / "partner_bank.csv").open(encoding="utf-8") as text:  # universal newlines
        assert list(formats.read("csv", text)) == PARTNER_RECORDS
    assert all(
        r.added_at is None or r.added_at.utcoffset() == timedelta(0) for r in PARTNER_RECORDS
    )


def test_writer_output_is_recorded_byte_for_byte_and_reads_back():
    expected = (SAMPLES / "bank_export.csv").read_bytes().decode("utf-8")
    assert write("csv", PARTNER_RECORDS) == expected
    assert expected.startswith("hash,type,quality,reference,added_at,removed_at\r\n")
    assert read("csv", expected.encode()) == PARTNER_RECORDS


def test_minimal_csv_without_bom_lf_or_final_newline():
    assert read("csv", f"hash,type\n{MD5},md5".encode()) == [HashRecord("md5", MD5)]
    assert read("csv", f"HASH,TYPE,quality\r\n{PDQ},pdq,0\r\n".encode()) == [
        HashRecord("pdq", PDQ, 0)
    ]


@pytest.mark.parametrize(
    ("alias", "hash_type", "value"),
    [
        ("PDQ", "pdq", PDQ),
        ("pdq", "pdq", PDQ),
        ("HASH_PDQ", "pdq", PDQ),
        ("md5", "md5", MD5),
        ("MD5", "md5", MD5),
        ("photo_md5", "md5", MD5),
        ("video_md5", "md5", MD5),
        ("sha-256", "sha256", SHA),
        ("SHA256", "sha256", SHA),
        ("video_sha256", "sha256", SHA),
    ],
)
def test_type_aliases(alias, hash_type, value):
    assert read("csv", f"hash,type\n{value},{alias}\n".encode()) == [HashRecord(hash_type, value)]


@pytest.mark.parametrize(
    "text",
    ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00z", "2024-05-01 14:00+02:00", "20240501T120000Z"],
)
def test_timestamp_spellings_give_one_instant(text):
    [record] = read("csv", f"hash,type,added_at\n{MD5},md5,{text}\n".encode())
    assert record.added_at == at(2024, 5, 1, 12) and record.added_at.tzinfo is UTC


def _row(cells: str, header: str = "hash,type,quality,reference,added_at,removed_at") -> bytes:
    return f"{header}\n{cells}\n".encode()


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (_row(f"{'z' * 64},pdq,,,,"), 2, "hash: PDQ hashes are 64 hexadecimal digits (0-9, a-f)"),
        (_row(f"{PDQ[:-1]},pdq,,,,"), 2, "digits; this value has 63 characters"),
        (_row(f"{MD5},pdq,,,,"), 2, "this value has 32 characters"),
        (_row(f"{PDQ},,,,,"), 2, "type: The hash type is empty"),
        (_row(f"{PDQ},phash,,,,"), 2, "type: Unknown hash type 'phash'; use one of md5, pdq"),
        (_row(f"{PDQ},vpdq,,,,"), 2, "type: 'vpdq' hashes are not supported"),
        (_row(f"{PDQ},pdq,101,,,"), 2, "quality: The quality must be a whole number from 0"),
        (_row(f"{PDQ},pdq,-1,,,"), 2, "not '-1'"),
        (_row(f"{PDQ},pdq,9.5,,,"), 2, "not '9.5'"),
        (_row(f"{PDQ},pdq,٣,,,"), 2, "whole number"),
        (_row(f"{MD5},md5,90,,,"), 2, "quality: Only PDQ hashes have a quality; this is a md5"),
        (_row(f"{MD5},md5,,{'r' * 129},,"), 2, "reference: The reference is 129 characters long"),
        (_row(f"{MD5},md5,,a\x07b,,"), 2, "control or invisible character at position 2 (U+0007)"),
        (_row(f'{MD5},md5,,"=HYPERLINK(""x"")",,'), 2, "spreadsheets run as a formula"),
        (_row(f"{MD5},md5,,,2024-13-01T00:00Z,"), 2, "added_at: '2024-13-01T00:00Z' is not"),
        (_row(f"{MD5},md5,,,yesterday,"), 2, "is not an ISO 8601 date and time"),
        (_row(f"{MD5},md5,,,2024-05-01T12:00:00,"), 2, "has no UTC offset; add Z"),
        (_row(f"{MD5},md5,,,2024-05-01,"), 2, "is a date without a time"),
        (_row(f"{MD5},md5,,,1970-01-01T00:00Z,"), 2, "is before 1990"),
        (_row(f"{MD5},md5,,,0001-01-01T00:00+05:00,"), 2, "not a plausible date"),
        (_row(f"{MD5},md5,,,2999-01-01T00:00Z,"), 2, "is in the future"),
        (_row(f"{MD5},md5,,,2024-05-02T00:00Z,2024-05-01T00Z"), 2, "removed_at (2024-05-01T"),
        (_row(f"{MD5},md5"), 2, "Expected 6 values (hash,type,quality,reference,added_at,"),
        (_row(f'{MD5},md5,,"open,,'), 2, "quoting of this line is broken: a quoted value is not"),
        (_row(f'{MD5},md5,,"a"b,,'), 2, "quoting of this line is broken"),
        (f"{MD5},md5\n".encode(), 1, "There is no header row; line 1 must be hash,type"),
        (b"type,hash\n", 1, "The header must start with hash,type, not 'type,hash'"),
        (b"md5sum,filename\n", 1, "must start with hash,type"),
        (b"hash,type,colour,size\n", 1, "Unknown columns 'colour', 'size'; after hash,type"),
        (b"hash,type,quality,\n", 1, "an empty name: a trailing comma?"),
        (b"hash,type,quality,Quality\n", 1, "The header repeats 'quality'"),
        (b"", 1, "The file is empty"),
        (b"\r\n# only a comment\r\n\r\n", 1, "The file is empty"),
        (b"\xef\xbb\xbfhash,type\r\n", 1, "The file has a header but no hashes"),
        (b"\xff\xfeh\x00a\x00s\x00h\x00", 1, "The file is UTF-16; save it as UTF-8"),
        (b"hash,type\n" + MD5.encode() + b",md5,caf\xe9\n", 2, "not UTF-8 (byte 41 is 0xe9)"),
        (_row(f"{MD5},md5,,{'x' * 5000},,"), 2, "This line is longer than 4096 bytes"),
    ],
)
def test_csv_bad_input(data, line, message):
    assert_problem(problems("csv", data), line, message)


def test_problems_of_many_lines_count_blank_and_comment_lines():
    data = (
        "# header next\n"
        "hash,type,quality\n"
        "\n"
        f"{PDQ},pdq,50\n"
        f"{PDQ},pdq,500\n"
        "# skipped\n"
        f"{MD5},sha256,1\n"
        f"{'x' * 5000}\n"
        f"{MD5},md5,\n"
        f"{MD5},md5\n"
    ).encode()
    found = problems("csv", data)
    assert [n for n, _ in found] == [5, 7, 7, 8, 10]
    assert found[1][1].startswith("hash: SHA-256 hashes are 64") and found[2][1].startswith(
        "quality:"
    )


def test_long_line_in_a_text_stream_and_multibyte_limit():
    assert_problem(
        problems("csv", _row(f"{MD5},md5,,{'é' * 3000},,").decode()), 2, "longer than 4096"
    )
    # 128 four-byte characters are 512 bytes: fine.
    [record] = read("csv", _row(f"{MD5},md5,,{'𝄞' * 128},,").decode())
    assert record.reference == "𝄞" * 128


def test_reader_yields_until_the_first_problem_then_raises_with_all_of_them():
    data = _row(f"{MD5},md5,,,,", "hash,type,quality,reference,added_at,removed_at")
    data += f"{PDQ},pdq,,,,\n{PDQ},bad,,,,\n{SHA},sha256,,,,\n{SHA},bad,,,,\n".encode()
    records = formats.read("csv", io.BytesIO(data))
    assert next(records) == HashRecord("md5", MD5)
    assert next(records) == HashRecord("pdq", PDQ)
    with pytest.raises(FormatError) as info:
        next(records)  # line 5 is valid but comes after a problem: not yielded
    assert [n for n, _ in info.value.problems] == [4, 6]


def test_problems_stop_at_one_hundred():
    data = b"hash,type\n" + b"nothex,md5\n" * 150
    with pytest.raises(FormatError) as info:
        read("csv", data)
    assert len(info.value.problems) == 100 and info.value.truncated
    assert info.value.problems[-1][0] == 101
    assert "Reading stopped at line 101 after 100 problems" in info.value.message


def test_row_limit(monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_ROWS", 2)
    assert len(read("csv", f"hash,type\n{MD5},md5\n{MD5},md5\n".encode())) == 2
    found = problems("csv", f"hash,type\n{MD5},md5\n{MD5},md5\n\n{MD5},md5\n".encode())
    assert found == [(5, "The file has more than 2 rows; split it into parts.")]


class _CountingStream(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.most = 0

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.most = max(self.most, len(line))
        return line


def test_reading_streams_and_never_reads_a_long_line_whole():
    rows = f"{MD5},md5,,ref,,\n".encode() * 200_000  # 9 MB
    stream = _CountingStream(b"hash,type,quality,reference,added_at,removed_at\n" + rows)
    records = formats.read("csv", stream)
    assert next(records) == HashRecord("md5", MD5, reference="ref")
    assert stream.tell() < 1000  # one record read, not the file
    one_line = _CountingStream(b"hash,type\n" + b"a" * 10_000_000)
    with pytest.raises(FormatError) as info:
        list(formats.read("csv", one_line))
    assert info.value.problems == ((2, "This line is longer than 4096 bytes."),)
    assert one_line.most <= 65536


# --- csv: writing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (HashRecord("pdq", PDQ.upper()), "in lower case"),
        (HashRecord("vpdq", PDQ), "Unknown hash type 'vpdq'"),
        (HashRecord("md5", MD5, quality=50), "Only PDQ hashes have a quality"),
        (HashRecord("pdq", PDQ, quality=True), "whole number"),  # type: ignore[arg-type]
        (HashRecord("pdq", PDQ, quality=101), "not 101"),
        (HashRecord("md5", MD5, reference="a\nb"), "control or invisible character"),
        (HashRecord("md5", MD5, reference=" a"), "spaces around it"),
        (HashRecord("md5", MD5, added_at=NAIVE), "added_at: The time has no UTC offset"),
        (HashRecord("md5", MD5, None, "", at(2024, 2, 1), at(2024, 1, 1)), "is before added_at"),
        ("not a record", "Expected a HashRecord"),
    ],
)
def test_writers_refuse_invalid_records(record, message):
    for name in formats.names():
        with pytest.raises(ValueError, match="Record 2: .*" + message.replace("(", r"\(")):
            formats.write(name, [HashRecord("md5", MD5), record], io.StringIO())


def test_empty_export_is_the_header_alone():
    assert write("csv", []) == "hash,type,quality,reference,added_at,removed_at\r\n"
    assert write("pytx", []) == ""


# --- round trips --------------------------------------------------------------------------

_printable = st.characters(codec="utf-8", exclude_categories=("C", "Z")) | st.just(" ")
_references = (
    st.text(_printable, max_size=128)
    .map(str.strip)
    .filter(lambda text: not text.startswith(("=", "+", "-", "@")))
)
_times = st.datetimes(min_value=NAIVE.replace(1990), max_value=NAIVE, timezones=st.just(UTC))


@st.composite
def records(draw: st.DrawFn) -> HashRecord:
    hash_type = draw(st.sampled_from(hashing.names()))
    size = hashing.get(hash_type).digits // 2
    value = draw(st.binary(min_size=size, max_size=size)).hex()
    quality = draw(st.none() | st.integers(0, 100)) if hash_type == "pdq" else None
    added_at = draw(st.none() | _times)
    removed_at = draw(st.none() | _times)
    if added_at and removed_at and removed_at < added_at:
        added_at, removed_at = removed_at, added_at
    return HashRecord(hash_type, value, quality, draw(_references), added_at, removed_at)


@PROPERTY
@given(st.lists(records(), min_size=1, max_size=20))
def test_csv_round_trip_keeps_every_field(records_in):
    text = write("csv", records_in)
    assert read("csv", text.encode("utf-8")) == records_in
    assert read("csv", text) == records_in
    assert write("csv", read("csv", text)) == text  # deterministic


@PROPERTY
@given(st.lists(records(), min_size=1, max_size=20), st.sampled_from(["pytx", "pytx_dataset"]))
def test_pytx_round_trips_keep_what_they_carry(records_in, name):
    current = [
        HashRecord(r.hash_type, r.value, r.quality, r.reference, r.added_at) for r in records_in
    ]
    carried = [HashRecord(r.hash_type, r.value) for r in records_in]
    assert formats.FORMATS[name].carries == {"hash_type", "value"}
    assert read(name, write(name, current).encode()) == carried


# --- pytx signal files ------------------------------------------------------------------

PYTX_RECORDS = [HashRecord("pdq", PDQ_1), HashRecord("pdq", PDQ_2), HashRecord("md5", MD5)]
PYTX_RECORDS.append(HashRecord("sha256", SHA))


def _pytx_hash_output(tmp_path: pathlib.Path) -> str:
    """What `threatexchange hash photo` and `hash video` print, run through pytx's code."""
    files = []
    for seed in (1, 2):
        files.append(tmp_path / f"shapes{seed}.png")
        images.shapes(256, 256, seed).save(files[-1])
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(FOX)

    class Settings:
        def __init__(self, *types: type) -> None:
            self.types = list(types)

        def get_signal_types_for_content(self, content_type: type) -> list[type]:
            return self.types

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        HashCommand(PhotoContent, None, files).execute(Settings(PdqSignal))
        HashCommand(VideoContent, None, [clip]).execute(Settings(VideoMD5Signal, VideoSHA256Signal))
    return out.getvalue()


def test_reads_recorded_pytx_file_and_what_pytx_prints_today(tmp_path):
    recorded = (SAMPLES / "pytx_signals.txt").read_text()
    assert read("pytx", recorded.encode()) == PYTX_RECORDS
    live = _pytx_hash_output(tmp_path)
    assert live == recorded
    # pytx's PDQ and ours agree on these pictures, so a hash a partner sends matches ours.
    ours = hashing.get("pdq").hash_bytes((tmp_path / "shapes1.png").read_bytes()).value
    assert read("pytx", live)[0] == HashRecord("pdq", ours)


def test_pytx_file_exchange_reads_our_export(tmp_path):
    path = tmp_path / "bank.txt"
    with path.open("w", encoding="utf-8", newline="") as stream:
        current = [*PARTNER_RECORDS[:2], HashRecord("md5", MD5), PARTNER_RECORDS[3]]
        formats.write("pytx", current, stream)
    assert path.read_text().splitlines()[2:] == [f"video_md5 {MD5}", f"video_sha256 {SHA}"]
    collab = FileCollaborationConfig(name="tellsafe", filename=str(path))
    api = LocalFileSignalExchangeAPI.for_collab(collab)
    types = [PdqSignal, VideoMD5Signal, VideoSHA256Signal]
    [delta] = api.fetch_iter(types, None)
    by_type = LocalFileSignalExchangeAPI.naive_convert_to_signal_type(types, collab, delta.updates)
    assert {t: sorted(s) for t, s in by_type.items()} == {
        PdqSignal: sorted([PDQ, PDQ_1]),
        VideoMD5Signal: [MD5],
        VideoSHA256Signal: [SHA],
    }


def test_pytx_reading_details():
    text = f"\ufeff# ours\r\n\r\n  pdq\t{PDQ.upper()}  \r\nHASH_PDQ {PDQ_1}\r\nmd5 {MD5}\r\n"
    assert read("pytx", text.encode()) == [
        HashRecord("pdq", PDQ),
        HashRecord("pdq", PDQ_1),
        HashRecord("md5", MD5),
    ]
    bare = f"{PDQ}\n{PDQ_1}\nvideo_md5 {MD5}\n"
    assert read("pytx", bare, signal_type="pdq") == [
        HashRecord("pdq", PDQ),
        HashRecord("pdq", PDQ_1),
        HashRecord("md5", MD5),
    ]
    with pytest.raises(ValueError, match="Unknown hash type 'photodna2'"):
        formats.read("pytx", io.BytesIO(b""), signal_type="photodna2")


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (f"{PDQ}\n", 1, "This line has a hash but no signal type"),
        (f"pdq {PDQ}\nurl https://example.org/x\n", 2, "signal type: 'url' hashes are not"),
        (f"raw_text {MD5}\n", 1, "'raw_text' hashes are not supported"),
        (f"sha1 {MD5}\n", 1, "'sha1' hashes are not supported"),
        (f"pdq {PDQ[:60]}\n", 1, "hash: PDQ hashes are 64 hexadecimal digits; this value has 60"),
        (f"ROTATE90 pdq {PDQ}\n", 1, "found 3 values. It looks like the output of threatexchange"),
        ("Processed image saved to: x.png\n", 1, "Expected '<signal type> <hash>', found 5 values"),
        ("", 1, "The file has no hashes"),
        ("\n# nothing\n", 1, "The file has no hashes"),
        (f"pdq {PDQ}\npdq {'y' * 5000}\n", 2, "longer than 4096 bytes"),
    ],
)
def test_pytx_bad_input(data, line, message):
    assert_problem(problems("pytx", data.encode()), line, message)


def test_pytx_refuses_to_write_a_withdrawal():
    with pytest.raises(ValueError, match="Record 1 withdraws a hash"):
        formats.write("pytx", [PARTNER_RECORDS[2]], io.StringIO())


# --- pytx dataset CSV ---------------------------------------------------------------------


class _Opinion(fetch_state.FetchedSignalMetadata):
    def __init__(self, category: fetch_state.SignalOpinionCategory, *tags: str) -> None:
        self.category, self.tags = category, set(tags)

    def get_as_opinions(self) -> list[fetch_state.SignalOpinion]:
        return [fetch_state.SignalOpinion(False, self.category, self.tags)]


def _pytx_dataset_csv(signals: dict) -> str:
    """`threatexchange dataset -P --csv`, by pytx's own code, over the given signals."""
    command = DatasetCommand(print_signals=True, csv=True)
    command.get_signal_types = lambda settings: set(signals)  # type: ignore[method-assign]
    command.get_signals = lambda settings, types: signals  # type: ignore[method-assign]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        command.execute_print_signals(None)
    return out.getvalue()


def test_reads_recorded_and_live_pytx_dataset():
    expected = [HashRecord("pdq", PDQ_1), HashRecord("pdq", PDQ_2), HashRecord("md5", MD5)]
    assert read("pytx_dataset", (SAMPLES / "pytx_dataset.csv").read_bytes()) == expected
    positive = fetch_state.SignalOpinionCategory.POSITIVE_CLASS
    live = _pytx_dataset_csv(
        {
            PdqSignal: {
                PDQ_1: [("NCMEC hashes", _Opinion(positive, "csam"))],
                PDQ_2: [("Local, partner", fetch_state.FetchedSignalMetadata())],
            },
            VideoMD5Signal: {MD5: [("NCMEC hashes", _Opinion(positive, "csam"))]},
        }
    )
    assert live.startswith("signal_type,signal_str,collab,category,tags\r\n")
    assert read("pytx_dataset", live) == expected


def test_pytx_dataset_refuses_false_positives_by_line():
    negative = fetch_state.SignalOpinionCategory.NEGATIVE_CLASS
    live = _pytx_dataset_csv(
        {
            PdqSignal: {PDQ: [("A", _Opinion(negative, "fp"))]},
            VideoMD5Signal: {
                MD5: [("A", _Opinion(fetch_state.SignalOpinionCategory.POSITIVE_CLASS))]
            },
        }
    )
    assert problems("pytx_dataset", live) == [
        (
            2,
            "category: NEGATIVE_CLASS (pytx members say it matches content that does not "
            "belong, or test data); a bank takes only POSITIVE_CLASS or INVESTIGATION_SEED "
            "rows, so remove this one.",
        )
    ]


DH = "signal_type,signal_str,collab,category,tags\n"


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (f"{DH}pdq,{PDQ},x,DISPUTED,\n", 2, "category: DISPUTED (some pytx members say"),
        (f"{DH}pdq,{PDQ},x,GOOD,\n", 2, "unknown category 'GOOD'; pytx writes POSITIVE_CLASS"),
        (f"{DH}pdq,{PDQ},x,POSITIVE_CLASS,a\x1bb\n", 2, "tags: a control or invisible"),
        (f"{DH}vpdq,{PDQ},x,POSITIVE_CLASS,\n", 2, "signal_type: 'vpdq' hashes are not"),
        (f"{DH}pdq,{MD5},x,POSITIVE_CLASS,\n", 2, "signal_str: PDQ hashes are 64"),
        (f"{DH[:-6]}\npdq,{PDQ},x,POSITIVE_CLASS\n", 1, "Missing column 'tags'"),
        (f"{DH[:-1]},owner\n", 1, "Unknown column 'owner'; the columns are signal_type,"),
        ("hash,type\n", 1, "must be the header signal_type,signal_str,collab,category,tags (this"),
        (DH, 1, "The file has a header but no hashes"),
        (f"{DH}pdq\n", 2, "Expected 5 values"),
    ],
)
def test_pytx_dataset_bad_input(data, line, message):
    assert_problem(problems("pytx_dataset", data.encode()), line, message)


def test_pytx_dataset_writer_names_the_collaboration():
    text = write("pytx_dataset", [HashRecord("sha256", SHA)], collab="IWF, hashes")
    assert text == f'{DH[:-1]}\r\nvideo_sha256,{SHA},"IWF, hashes",POSITIVE_CLASS,\r\n'
    with pytest.raises(ValueError, match=r"collab: .*control"):
        formats.write("pytx_dataset", [], io.StringIO(), collab="a\nb")
    with pytest.raises(ValueError, match="withdraws a hash"):
        formats.write("pytx_dataset", [PARTNER_RECORDS[2]], io.StringIO())


def test_threatexchange_module_does_not_import_pytx():
    source = pathlib.Path(threatexchange.__file__).read_text()
    assert "import threatexchange" not in source and "from threatexchange" not in source
