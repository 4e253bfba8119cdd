"""Random content in four formats, streamed in chunks, with an exact size in bytes.

Every byte comes from one keyed stream (SHAKE-128 in counter mode), so a (seed, format, size)
triple gives the same bytes on every machine and Python version, and unseeded calls are
unpredictable because their seed is drawn from the OS's CSPRNG. SHAKE-128 is also faster here
than os.urandom, which keeps `binary` at least as fast as the kernel's generator.

Record formats (`csv`, `jsonl`) are rendered 1,000 rows at a time with no Python operation per row
or field: a row is laid out at a fixed width, each variable position is filled for the whole batch
from its own column of random bytes through a `bytes.translate` table (one C loop per position),
positions that a shorter value leaves unused hold a hole byte, and one more `translate` deletes the
holes. Records are written with their natural length while at least one more record of the longest
possible length still fits after them; the final record's `note` is then padded with letters to use
up exactly the bytes that are left, so the last line is longer than the others (at most twice the
longest one).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

GENERATOR_VERSION = "2"
"""Stored with every object. Version 2 changed csv and jsonl (batched rendering, other value
ranges); binary and text are the same bytes as in version 1."""

_STREAM_DOMAIN = "randfile/v1"
"""Keys the random stream; it stays at v1 so that binary and text output did not change in 2."""

CHUNK_BYTES = 1 << 20
"""Generation granularity; part of the output's definition, so changing it changes seeded output."""

_TEXT_LINE_CHARS = 76
_TEXT_LINE_BYTES = _TEXT_LINE_CHARS + 1
# base64.encodebytes turns 57 input bytes into one 76-character line plus a newline.
_TEXT_SOURCE_BYTES_PER_LINE = 57
_TEXT_LINES_PER_CHUNK = CHUNK_BYTES // _TEXT_LINE_BYTES

_LETTERS = b"abcdefghijklmnopqrstuvwxyz"
_NAME_CHARS = 8
_MAX_NOTE_CHARS = 16
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
        self._prefix = f"{_STREAM_DOMAIN}/{domain}/".encode() + seed.to_bytes(8, "big")
        self._counter = 0

    def block(self, size: int) -> bytes:
        data = hashlib.shake_128(self._prefix + self._counter.to_bytes(8, "big")).digest(size)
        self._counter += 1
        return data


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


_ROWS_PER_BATCH = 1000
"""Rows rendered at once. Batch k holds ids k*1000 to k*1000+999, so its rows share an id prefix;
batch 0 drops its row 0, so ids start at 1."""

_HOLE = b"\0"
"""Fills the positions of a row that a shorter value leaves unused; deleted from every batch."""


@dataclass(frozen=True)
class _Draw:
    """Consecutive positions of a row rendered from one random byte: one translate table each."""

    tables: tuple[bytes, ...]


def _draw(render: Callable[[int], bytes]) -> _Draw:
    """Position `at` shows byte `at` of render(value); every rendering has the same width."""
    width = len(render(0))
    return _Draw(tuple(bytes(render(value)[at] for value in range(256)) for at in range(width)))


def _pick(value: int, span: int) -> int:
    # Spreads the 256 byte values over `span` outcomes whose counts differ by at most one.
    return value * span >> 8


def _letter(value: int) -> bytes:
    return _LETTERS[_pick(value, 26) : _pick(value, 26) + 1]


def _month(value: int) -> bytes:
    year, month = divmod(2025 * 12 + _pick(value, 24), 12)
    return b"%d-%02d-" % (year, month + 1)


def _digit(span: int) -> _Draw:
    return _draw(lambda value: b"%d" % _pick(value, span))


_LEADING_DIGIT = _draw(lambda value: b"%d" % (1 + _pick(value, 9)))
# Digits after the leading one may be missing, so numbers vary in length and never start with 0.
_OPTIONAL_DIGIT = _draw(lambda value: b"%d" % (value // 20) if value < 200 else _HOLE)

_FIELDS: dict[str, list[bytes | _Draw]] = {
    # Days 1 to 28 of the months of 2025 and 2026 (every rendered date exists), to the second.
    "created_at": [
        _draw(_month),
        _draw(lambda value: b"%02dT" % (1 + _pick(value, 28))),
        _draw(lambda value: b"%02d:" % _pick(value, 24)),
        _digit(6),
        _digit(10),
        b":",
        _digit(6),
        _digit(10),
        b"Z",
    ],
    "name": [_draw(_letter)] * _NAME_CHARS,
    "amount": [_LEADING_DIGIT, *[_OPTIONAL_DIGIT] * 4, b".", _digit(10), _digit(10)],
    "quantity": [_LEADING_DIGIT, _OPTIONAL_DIGIT, _OPTIONAL_DIGIT],
    "active": [_draw(lambda value: (b"false", b"true\0")[value & 1])],
    # 0 to 16 letters, 8 on average.
    "note": [_draw(lambda value: _letter(value * 2) if value < 128 else _HOLE)] * _MAX_NOTE_CHARS,
}


def _id_columns(render: Callable[[int], bytes]) -> tuple[bytes, ...]:
    """The low three digits of a batch's ids, one column per digit."""
    return tuple(bytes(render(row)[at] for row in range(_ROWS_PER_BATCH)) for at in range(3))


_ID_COLUMNS = _id_columns(lambda row: b"%03d" % row)
_FIRST_ID_COLUMNS = _id_columns(lambda row: (b"%3d" % row).replace(b" ", _HOLE))


class _Layout:
    """A record format: its row as a fixed-width template and the positions drawn per batch."""

    def __init__(
        self, header: bytes, before_id: bytes, separators: Sequence[bytes], note_end: bytes
    ) -> None:
        self.header: bytes = header
        self._before_id = before_id
        self._note_end = note_end
        template = bytearray()
        self._draws: list[tuple[int, int, bytes]] = []
        columns = 0
        for separator, field in zip(separators, _FIELDS.values(), strict=True):
            template += separator
            for piece in field:
                if isinstance(piece, bytes):
                    template += piece
                    continue
                for table in piece.tables:
                    if len(set(table)) == 1:
                        template.append(table[0])  # the same whatever the draw
                    else:
                        self._draws.append((len(template), columns, table))
                        template += _HOLE
                columns += 1
        self._columns = columns
        self._after_id = bytes(template + note_end)
        self.longest: int = len(before_id) + _MAX_ID_DIGITS + len(self._after_id)
        # The least a record can be; a file near the format's minimum size holds just this one.
        values = zip(separators, _SMALLEST_VALUES, strict=True)
        self._smallest = before_id + b"1" + b"".join(s + v for s, v in values) + note_end
        self.min_size_bytes: int = len(header) + len(self._smallest)

    def render(self, stream: KeyedStream, batch: int) -> bytes:
        prefix = b"%d" % batch if batch else b""
        rows_at = len(self._before_id) + len(prefix) + 3
        width = rows_at + len(self._after_id)
        row = self._before_id + prefix + _HOLE * 3 + self._after_id
        rows = bytearray(row * _ROWS_PER_BATCH)
        for at, digits in enumerate(_ID_COLUMNS if batch else _FIRST_ID_COLUMNS):
            rows[rows_at - 3 + at :: width] = digits
        count = _ROWS_PER_BATCH
        raw = stream.block(self._columns * count)
        for offset, column, table in self._draws:
            drawn = raw[column * count : (column + 1) * count]
            rows[rows_at + offset :: width] = drawn.translate(table)
        records = rows.translate(None, _HOLE)
        if not batch:
            del records[: records.index(b"\n") + 1]
        return bytes(records)

    def fit(self, line: bytes, size: int) -> bytes:
        """`line` with its note (the last field, letters only) resized to make `size` bytes."""
        bare = line[: -len(self._note_end)].rstrip(_LETTERS)
        if len(bare) + len(self._note_end) > size:
            # Only the first row of a file near the format's minimum size gets here.
            bare = self._smallest[: -len(self._note_end)]
        return bare + b"x" * (size - len(bare) - len(self._note_end)) + self._note_end


_SMALLEST_VALUES = (b"2025-01-01T00:00:00Z", b"aaaaaaaa", b"0.00", b"0", b"false", b"")
_CSV = _Layout(
    header=b"id,created_at,name,amount,quantity,active,note\n",
    before_id=b"",
    separators=[b","] * 6,
    note_end=b"\n",
)
# Hand-formatted JSON: every value is plain ASCII that JSON would not escape.
_JSONL = _Layout(
    header=b"",
    before_id=b'{"id":',
    separators=[
        b',"created_at":"',
        b'","name":"',
        b'","amount":',
        b',"quantity":',
        b',"active":',
        b',"note":"',
    ],
    note_end=b'"}\n',
)


def _records(stream: KeyedStream, size_bytes: int, layout: _Layout) -> Iterator[bytes]:
    pending = [layout.header]
    pending_bytes = len(layout.header)
    remaining = size_bytes - len(layout.header)
    batch = 0
    while remaining > 0:
        rows = layout.render(stream, batch)
        batch += 1
        if remaining - len(rows) >= layout.longest:
            # Every row of the batch is written at its natural length: write them at once.
            pending.append(rows)
            pending_bytes += len(rows)
            remaining -= len(rows)
        else:
            for line in rows.splitlines(keepends=True):
                if remaining - len(line) < layout.longest:
                    pending.append(layout.fit(line, remaining))
                    remaining = 0
                    break
                pending.append(line)
                pending_bytes += len(line)
                remaining -= len(line)
        if pending_bytes >= CHUNK_BYTES or remaining == 0:
            yield b"".join(pending)
            pending, pending_bytes = [], 0


def _csv(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    return _records(stream, size_bytes, _CSV)


def _jsonl(stream: KeyedStream, size_bytes: int) -> Iterator[bytes]:
    return _records(stream, size_bytes, _JSONL)


_GENERATORS: dict[Format, Callable[[KeyedStream, int], Iterator[bytes]]] = {
    Format.BINARY: _binary,
    Format.TEXT: _text,
    Format.CSV: _csv,
    Format.JSONL: _jsonl,
}

FORMATS: dict[Format, FormatInfo] = {
    Format.BINARY: FormatInfo(".bin", "application/octet-stream", 1),
    Format.TEXT: FormatInfo(".txt", "text/plain; charset=utf-8", 1),
    Format.CSV: FormatInfo(".csv", "text/csv; charset=utf-8", _CSV.min_size_bytes),
    Format.JSONL: FormatInfo(".jsonl", "application/x-ndjson", _JSONL.min_size_bytes),
}
