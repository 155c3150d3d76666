"""Streaming readers of the two import formats, one record at a time with its line number.

CSV is read as Rocket.Chat's contact importer reads it: a header naming the columns, fields
separated by commas, double quotes around fields that hold commas, quotes or line breaks. A
record whose quotes never close is reported and reading starts again on the line after its
first, so one stray quote costs one row, not the rest of the file. Bytes that are not UTF-8 are
reported for their line. Memory holds one record, whatever the size of the file.
"""

import csv
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

import orjson

# A quoted field may span lines, but not without end: past this, its quote is taken as broken.
MAX_RECORD_LINES = 100
MAX_RECORD_BYTES = 1 << 20
BROKEN_QUOTING = "broken quoting"
WRONG_ENCODING = "wrong encoding (the line is not UTF-8)"


@dataclass
class Rejected:
    line: int
    reason: str


@dataclass
class CsvRecord:
    line: int
    fields: list[str]


@dataclass
class JsonRecord:
    line: int
    value: Any


class ByteCounter:
    """The file's lines, counting the bytes read (for progress and ETA)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.bytes_read = 0

    def __iter__(self) -> Iterator[bytes]:
        for raw in self.stream:
            self.bytes_read += len(raw)
            yield raw


def _text(raw: bytes, first: bool) -> str:
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    return raw.rstrip(b"\r\n").decode("utf-8")


def _parse(text: str) -> list[str] | None:
    if '"' not in text:
        return text.split(",")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def csv_records(lines: ByteCounter) -> Iterator[CsvRecord | Rejected]:
    """Records in file order; the header is the first one (line 1). Blank lines are skipped."""
    source = iter(enumerate(lines, start=1))
    queue: deque[tuple[int, str | None]] = deque()
    pending: list[tuple[int, str]] = []
    size = 0
    odd = False

    def requeue_after_first() -> Rejected:
        nonlocal pending, size, odd
        rejected = Rejected(pending[0][0], BROKEN_QUOTING)
        queue.extendleft(reversed([(number, text) for number, text in pending[1:]]))
        pending, size, odd = [], 0, False
        return rejected

    while True:
        if queue:
            number, text = queue.popleft()
        else:
            try:
                number, raw = next(source)
            except StopIteration:
                if not pending:
                    return
                yield requeue_after_first()
                continue
            try:
                text = _text(raw, number == 1)
            except UnicodeDecodeError:
                text = None
        if text is None:
            if pending:
                queue.appendleft((number, None))
                yield requeue_after_first()
            else:
                yield Rejected(number, WRONG_ENCODING)
            continue
        if not pending and '"' not in text:
            # The common line: a whole record without quotes.
            if text.strip():
                yield CsvRecord(number, text.split(","))
            continue
        pending.append((number, text))
        size += len(text)
        odd ^= text.count('"') % 2 == 1
        if odd:
            if len(pending) >= MAX_RECORD_LINES or size > MAX_RECORD_BYTES:
                yield requeue_after_first()
            continue
        fields = _parse("\n".join(item for _, item in pending))
        if fields is None:
            # Its first line is at fault; the lines it swallowed are read again on their own.
            yield requeue_after_first()
            continue
        yield CsvRecord(pending[0][0], fields)
        pending, size = [], 0


def jsonl_records(lines: ByteCounter) -> Iterator[JsonRecord | Rejected]:
    for number, raw in enumerate(lines, start=1):
        try:
            text = _text(raw, number == 1)
        except UnicodeDecodeError:
            yield Rejected(number, WRONG_ENCODING)
            continue
        if not text.strip():
            continue
        try:
            yield JsonRecord(number, orjson.loads(text))
        except orjson.JSONDecodeError as error:
            yield Rejected(number, f"invalid JSON: {error.msg}")
