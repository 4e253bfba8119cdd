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
import dataclasses
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

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


@dataclass(frozen=True)
class _Row:
    row_id: int
    created_at: str
    name: str
    amount: str
    quantity: int
    active: bool
    note: str


_CSV_HEADER = b"id,created_at,name,amount,quantity,active,note\n"


def _csv_line(row: _Row) -> bytes:
    active = "true" if row.active else "false"
    return (
        f"{row.row_id},{row.created_at},{row.name},{row.amount},{row.quantity},{active},{row.note}\n"
    ).encode()


def _jsonl_line(row: _Row) -> bytes:
    # Hand-formatted: every value is plain ASCII without characters JSON would escape.
    active = "true" if row.active else "false"
    return (
        f'{{"id":{row.row_id},"created_at":"{row.created_at}","name":"{row.name}",'
        f'"amount":{row.amount},"quantity":{row.quantity},"active":{active},'
        f'"note":"{row.note}"}}\n'
    ).encode()


_SMALLEST_ROW = _Row(1, "2025-01-01T00:00:00Z", "a" * _NAME_CHARS, "0.00", 0, False, "")
_LONGEST_ROW = _Row(
    10**_MAX_ID_DIGITS - 1,
    "2025-01-01T00:00:00Z",
    "a" * _NAME_CHARS,
    f"{(_MAX_AMOUNT_CENTS - 1) // 100}.99",
    _MAX_QUANTITY - 1,
    False,
    "a" * _MAX_NOTE_CHARS,
)


def _random_row(stream: KeyedStream, row_id: int) -> _Row:
    raw = stream.read(16 + _NAME_CHARS + _MAX_NOTE_CHARS)
    numbers = int.from_bytes(raw[:16], "big")
    seconds, numbers = numbers % (1 << 26), numbers >> 26
    cents, numbers = numbers % _MAX_AMOUNT_CENTS, numbers >> 24
    quantity, numbers = numbers % _MAX_QUANTITY, numbers >> 17
    active, numbers = bool(numbers & 1), numbers >> 1
    note_chars = numbers % (_MAX_NOTE_CHARS + 1)
    letters = raw[16:].translate(_LETTER_TABLE).decode()
    return _Row(
        row_id=row_id,
        created_at=_iso_utc(_BASE_EPOCH + seconds),
        name=letters[:_NAME_CHARS],
        amount=f"{cents // 100}.{cents % 100:02d}",
        quantity=quantity,
        active=active,
        note=letters[_NAME_CHARS : _NAME_CHARS + note_chars],
    )


def _iso_utc(epoch_seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_seconds))


def _records(
    stream: KeyedStream, size_bytes: int, header: bytes, render: Callable[[_Row], bytes]
) -> Iterator[bytes]:
    longest = len(render(_LONGEST_ROW))
    pending = [header]
    pending_bytes = len(header)
    remaining = size_bytes - len(header)
    row_id = 1
    while remaining > 0:
        row = _random_row(stream, row_id)
        line = render(row)
        if remaining - len(line) < longest:
            line = _fit_last_row(row, remaining, render)
            remaining = 0
        else:
            remaining -= len(line)
        pending.append(line)
        pending_bytes += len(line)
        row_id += 1
        if pending_bytes >= CHUNK_BYTES or remaining == 0:
            yield b"".join(pending)
            pending, pending_bytes = [], 0


def _fit_last_row(row: _Row, remaining: int, render: Callable[[_Row], bytes]) -> bytes:
    bare = dataclasses.replace(row, note="")
    if len(render(bare)) > remaining:
        # Only the first row of a file near the format's minimum size gets here.
        bare = _SMALLEST_ROW
    return render(dataclasses.replace(bare, note="x" * (remaining - len(render(bare)))))


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
