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
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
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
    amount: str
    quantity: int
    active: str
    note: str


_CSV_HEADER = b"id,created_at,name,amount,quantity,active,note\n"
_CSV_LINE = "{},{},{},{},{},{},{}\n".format
# Hand-formatted JSON: every value is plain ASCII that JSON would not escape.
_JSONL_LINE = (
    '{{"id":{},"created_at":"{}","name":"{}","amount":{},"quantity":{},"active":{},"note":"{}"}}\n'
).format


def _csv_line(row: _Row) -> bytes:
    return _CSV_LINE(*row).encode()


def _jsonl_line(row: _Row) -> bytes:
    return _JSONL_LINE(*row).encode()


_TIMESTAMP_SPAN_SECONDS = 1 << 26  # about 2.1 years after _BASE_EPOCH
_DAYS = [
    time.strftime("%Y-%m-%d", time.gmtime(_BASE_EPOCH + day * 86_400))
    for day in range(_TIMESTAMP_SPAN_SECONDS // 86_400 + 1)
]
_ROW_RANDOM_BYTES = 16 + _NAME_CHARS + _MAX_NOTE_CHARS
_ROWS_PER_BATCH = 1024

_SMALLEST_ROW = _Row(1, "2025-01-01T00:00:00Z", "a" * _NAME_CHARS, "0.00", 0, "false", "")
_LONGEST_ROW = _Row(
    10**_MAX_ID_DIGITS - 1,
    "2025-01-01T00:00:00Z",
    "a" * _NAME_CHARS,
    f"{(_MAX_AMOUNT_CENTS - 1) // 100}.99",
    _MAX_QUANTITY - 1,
    "false",
    "a" * _MAX_NOTE_CHARS,
)


def _random_rows(stream: KeyedStream, first_id: int) -> list[_Row]:
    """A batch of rows; each row's values come from its own 40 bytes of the stream."""
    raw = stream.read(_ROW_RANDOM_BYTES * _ROWS_PER_BATCH)
    letters = raw.translate(_LETTER_TABLE).decode()
    rows = []
    for index in range(_ROWS_PER_BATCH):
        offset = index * _ROW_RANDOM_BYTES
        numbers = int.from_bytes(raw[offset : offset + 16], "big")
        seconds, numbers = numbers % _TIMESTAMP_SPAN_SECONDS, numbers >> 26
        cents, numbers = numbers % _MAX_AMOUNT_CENTS, numbers >> 24
        quantity, numbers = numbers % _MAX_QUANTITY, numbers >> 17
        active, numbers = numbers & 1, numbers >> 1
        note_chars = numbers % (_MAX_NOTE_CHARS + 1)
        day, second_of_day = divmod(seconds, 86_400)
        hour, second_of_hour = divmod(second_of_day, 3600)
        name_at = offset + 16
        rows.append(
            _Row(
                first_id + index,
                f"{_DAYS[day]}T{hour:02d}:{second_of_hour // 60:02d}:{second_of_hour % 60:02d}Z",
                letters[name_at : name_at + _NAME_CHARS],
                f"{cents // 100}.{cents % 100:02d}",
                quantity,
                "true" if active else "false",
                letters[name_at + _NAME_CHARS : name_at + _NAME_CHARS + note_chars],
            )
        )
    return rows


def _records(
    stream: KeyedStream, size_bytes: int, header: bytes, render: Callable[[_Row], bytes]
) -> Iterator[bytes]:
    longest = len(render(_LONGEST_ROW))
    pending = [header]
    pending_bytes = len(header)
    remaining = size_bytes - len(header)
    next_id = 1
    while remaining > 0:
        for row in _random_rows(stream, next_id):
            line = render(row)
            if remaining - len(line) < longest:
                pending.append(_fit_last_row(row, remaining, render))
                remaining = 0
                break
            remaining -= len(line)
            pending.append(line)
            pending_bytes += len(line)
        next_id += _ROWS_PER_BATCH
        if pending_bytes >= CHUNK_BYTES or remaining == 0:
            yield b"".join(pending)
            pending, pending_bytes = [], 0


def _fit_last_row(row: _Row, remaining: int, render: Callable[[_Row], bytes]) -> bytes:
    bare = row._replace(note="")
    if len(render(bare)) > remaining:
        # Only the first row of a file near the format's minimum size gets here.
        bare = _SMALLEST_ROW
    return render(bare._replace(note="x" * (remaining - len(render(bare)))))


def _csv(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    return _records(stream, size_bytes, _CSV_HEADER, _csv_line)


def _jsonl(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    return _records(stream, size_bytes, b"", _jsonl_line)


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
        ".csv", "text/csv; charset=utf-8", len(_CSV_HEADER) + len(_csv_line(_SMALLEST_ROW))
    ),
    Format.JSONL: FormatInfo(".jsonl", "application/x-ndjson", len(_jsonl_line(_SMALLEST_ROW))),
}
