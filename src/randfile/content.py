"""Random content in four formats, streamed in chunks, with an exact size in bytes.

Every byte comes from one keyed stream (SHAKE-128 in counter mode), so a (seed, format, size)
triple gives the same bytes on every machine and Python version, and unseeded calls are
unpredictable because their seed is drawn from the OS's CSPRNG. SHAKE-128 is also faster here
than os.urandom, which keeps `binary` at least as fast as the kernel's generator.

Record formats (`csv`, `jsonl`) fit the exact size with the last record's `note` field: records are
written with their natural length while at least one more record of the longest possible length
still fits after them; the final record's `note` is then padded with letters to use up exactly the
bytes that are left, so the last line is longer than the others (at most twice the longest one).
"""

from __future__ import annotations

import base64
import hashlib
import sys
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from itertools import chain
from typing import NamedTuple

GENERATOR_VERSION = "1"

CHUNK_BYTES = 1 << 20
"""Generation granularity; part of the output's definition, so changing it changes seeded output."""

_TEXT_LINE_CHARS = 76
_TEXT_LINE_BYTES = _TEXT_LINE_CHARS + 1
# base64.encodebytes turns 57 input bytes into one 76-character line plus a newline.
_TEXT_SOURCE_BYTES_PER_LINE = 57
_TEXT_LINES_PER_CHUNK = CHUNK_BYTES // _TEXT_LINE_BYTES

_LETTERS = b"abcdefghijklmnopqrstuvwxyz"
_LETTER_TABLE = bytes(_LETTERS[i % len(_LETTERS)] for i in range(256))
_BASE_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z: timestamps fall in the 2.1 years after it
_NAME_CHARS = 8
_MAX_NOTE_CHARS = 16
_MAX_AMOUNT_CENTS = 10_000_000
_MAX_QUANTITY = 100_000
_MAX_ID_DIGITS = 20


class Format(StrEnum):
    BINARY = "binary"
    TEXT = "text"
    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True)
class FormatInfo:
    extension: str
    content_type: str
    min_size_bytes: int


class KeyedStream:
    """An unbounded, reproducible byte stream: block i is SHAKE-128(domain || seed || i)."""

    def __init__(self, seed: int, domain: str) -> None:
        self._prefix = f"randfile/v{GENERATOR_VERSION}/{domain}/".encode() + seed.to_bytes(8, "big")
        self._counter = 0
        self._buffer = b""
        self._offset = 0

    def block(self, size: int) -> bytes:
        data = hashlib.shake_128(self._prefix + self._counter.to_bytes(8, "big")).digest(size)
        self._counter += 1
        return data

    def read(self, size: int) -> bytes:
        if self._offset + size > len(self._buffer):
            self._buffer = self._buffer[self._offset :] + self.block(CHUNK_BYTES)
            self._offset = 0
        start, self._offset = self._offset, self._offset + size
        return self._buffer[start : self._offset]


def generate(fmt: Format, size_bytes: int, seed: int) -> Iterator[bytes]:
    """Yields chunks whose concatenation is exactly `size_bytes` long."""
    if size_bytes < FORMATS[fmt].min_size_bytes:
        raise ValueError(f"{fmt} content needs at least {FORMATS[fmt].min_size_bytes} bytes")
    stream = KeyedStream(seed, fmt.value)
    return _GENERATORS[fmt](stream, size_bytes)


def _binary(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    remaining = size_bytes
    while remaining > 0:
        chunk = stream.block(min(CHUNK_BYTES, remaining))
        remaining -= len(chunk)
        yield chunk


def _text(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    """Lines of 76 printable characters; the last line is shortened, and every line ends in \\n."""
    full_lines, last_line_bytes = divmod(size_bytes, _TEXT_LINE_BYTES)
    while full_lines > 0:
        lines = min(full_lines, _TEXT_LINES_PER_CHUNK)
        yield base64.encodebytes(stream.block(lines * _TEXT_SOURCE_BYTES_PER_LINE))
        full_lines -= lines
    if last_line_bytes:
        line = base64.encodebytes(stream.block(_TEXT_SOURCE_BYTES_PER_LINE))
        yield line[: last_line_bytes - 1] + b"\n"


class _Row(NamedTuple):
    row_id: int
    created_at: str
    name: str
    amount_units: int
    amount_cents: int
    quantity: int
    active: str
    note: str


_CSV_HEADER = b"id,created_at,name,amount,quantity,active,note\n"
_CSV_ROW = "%d,%s,%s,%d.%02d,%d,%s,%s\n"
# Hand-formatted JSON: every value is plain ASCII that JSON would not escape.
_JSONL_ROW = (
    '{"id":%d,"created_at":"%s","name":"%s","amount":%d.%02d,"quantity":%d,"active":%s,'
    '"note":"%s"}\n'
)

_TIMESTAMP_BITS = 26  # timestamps fall in the 2.1 years after _BASE_EPOCH
_ROWS_PER_BATCH = 1024
_SMALLEST_ROW = _Row(1, "2025-01-01T00:00:00Z", "a" * _NAME_CHARS, 0, 0, 0, "false", "")
_LONGEST_ROW = _Row(
    10**_MAX_ID_DIGITS - 1,
    "2025-01-01T00:00:00Z",
    "a" * _NAME_CHARS,
    (_MAX_AMOUNT_CENTS - 1) // 100,
    99,
    _MAX_QUANTITY - 1,
    "false",
    "a" * _MAX_NOTE_CHARS,
)


@cache
def _timestamps() -> tuple[list[str], list[str]]:
    """Day and time-of-day strings, looked up rather than formatted: rows are the hot loop."""
    days = [
        time.strftime("%Y-%m-%dT", time.gmtime(_BASE_EPOCH + day * 86_400))
        for day in range((1 << _TIMESTAMP_BITS) // 86_400 + 1)
    ]
    times = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}Z" for s in range(86_400)]
    return days, times


def _words(raw: bytes) -> array[int]:
    """Unsigned 64-bit integers read little-endian, whatever this machine's byte order."""
    words = array("Q", raw)
    if sys.byteorder == "big":
        words.byteswap()
    return words


_RowFields = tuple[int, str, str, int, int, int, str, str]


def _random_rows(stream: KeyedStream, first_id: int) -> list[_RowFields]:
    """A batch of rows; each field is drawn in bulk from its own stretch of the stream."""
    count = _ROWS_PER_BATCH
    xs = _words(stream.read(8 * count))
    ys = _words(stream.read(8 * count))
    names = stream.read(_NAME_CHARS * count).translate(_LETTER_TABLE).decode()
    notes = stream.read(_MAX_NOTE_CHARS * count).translate(_LETTER_TABLE).decode()
    days, times = _timestamps()
    seconds = [x & ((1 << _TIMESTAMP_BITS) - 1) for x in xs]
    cents = [(x >> _TIMESTAMP_BITS) % _MAX_AMOUNT_CENTS for x in xs]
    note_lengths = [(y >> 18) % (_MAX_NOTE_CHARS + 1) for y in ys]
    return list(
        zip(
            range(first_id, first_id + count),
            [days[s // 86_400] + times[s % 86_400] for s in seconds],
            [names[i : i + _NAME_CHARS] for i in range(0, count * _NAME_CHARS, _NAME_CHARS)],
            [c // 100 for c in cents],
            [c % 100 for c in cents],
            [y % _MAX_QUANTITY for y in ys],
            ["true" if y >> 17 & 1 else "false" for y in ys],
            [
                notes[i * _MAX_NOTE_CHARS : i * _MAX_NOTE_CHARS + length]
                for i, length in enumerate(note_lengths)
            ],
            strict=True,
        )
    )


def _records(
    stream: KeyedStream, size_bytes: int, header: bytes, row_format: str
) -> Iterator[bytes]:
    longest = len(row_format % _LONGEST_ROW)
    pending = [header]
    pending_bytes = len(header)
    remaining = size_bytes - len(header)
    next_id = 1
    while remaining > 0:
        rows = _random_rows(stream, next_id)
        next_id += len(rows)
        batch = ((row_format * len(rows)) % tuple(chain.from_iterable(rows))).encode()
        if remaining - len(batch) >= longest:
            # Every row of the batch would be written at its natural length: write them at once.
            pending.append(batch)
            pending_bytes += len(batch)
            remaining -= len(batch)
        else:
            for row in rows:
                line = (row_format % row).encode()
                if remaining - len(line) < longest:
                    pending.append(_fit_last_row(_Row(*row), remaining, row_format))
                    remaining = 0
                    break
                pending.append(line)
                pending_bytes += len(line)
                remaining -= len(line)
        if pending_bytes >= CHUNK_BYTES or remaining == 0:
            yield b"".join(pending)
            pending, pending_bytes = [], 0


def _fit_last_row(row: _Row, remaining: int, row_format: str) -> bytes:
    bare = row._replace(note="")
    if len(row_format % bare) > remaining:
        # Only the first row of a file near the format's minimum size gets here.
        bare = _SMALLEST_ROW
    return (row_format % bare._replace(note="x" * (remaining - len(row_format % bare)))).encode()


def _csv(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    return _records(stream, size_bytes, _CSV_HEADER, _CSV_ROW)


def _jsonl(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    return _records(stream, size_bytes, b"", _JSONL_ROW)


_GENERATORS: dict[Format, Callable[[KeyedStream, int], Iterator[bytes]]] = {
    Format.BINARY: _binary,
    Format.TEXT: _text,
    Format.CSV: _csv,
    Format.JSONL: _jsonl,
}

FORMATS: dict[Format, FormatInfo] = {
    Format.BINARY: FormatInfo(".bin", "application/octet-stream", 1),
    Format.TEXT: FormatInfo(".txt", "text/plain; charset=utf-8", 1),
    Format.CSV: FormatInfo(
        ".csv", "text/csv; charset=utf-8", len(_CSV_HEADER) + len(_CSV_ROW % _SMALLEST_ROW)
    ),
    Format.JSONL: FormatInfo(".jsonl", "application/x-ndjson", len(_JSONL_ROW % _SMALLEST_ROW)),
}
