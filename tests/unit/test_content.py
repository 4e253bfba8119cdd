from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import string
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from randfile.content import CHUNK_BYTES, FORMATS, GENERATOR_VERSION, Format, generate

SIZES = [1, 2, 76, 77, 78, 93, 114, 115, 116, 1000, CHUNK_BYTES - 1, CHUNK_BYTES + 1, 3_000_017]


def content(fmt: Format, size: int, seed: int = 7) -> bytes:
    return b"".join(generate(fmt, size, seed))


@pytest.mark.parametrize("fmt", list(Format))
@pytest.mark.parametrize("size", SIZES)
def test_size_is_exact(fmt: Format, size: int) -> None:
    if size < FORMATS[fmt].min_size_bytes:
        with pytest.raises(ValueError, match="at least"):
            content(fmt, size)
        return
    assert len(content(fmt, size)) == size


@pytest.mark.parametrize("fmt", list(Format))
def test_same_seed_same_bytes_other_seed_other_bytes(fmt: Format) -> None:
    size = CHUNK_BYTES + 12_345
    assert content(fmt, size, seed=42) == content(fmt, size, seed=42)
    assert content(fmt, size, seed=42) != content(fmt, size, seed=43)


def test_seeded_output_is_pinned_across_machines() -> None:
    # A change here changes every seeded file users may have recorded: bump GENERATOR_VERSION.
    # Version 2 changed csv and jsonl only; binary and text are version 1's bytes.
    assert GENERATOR_VERSION == "2"
    digests = {f.value: hashlib.sha256(content(f, 4096, seed=1)).hexdigest()[:16] for f in Format}
    assert digests == {
        "binary": "613e4644483d7f92",
        "text": "235493b994693fa2",
        "csv": "9df7e30cba2615be",
        "jsonl": "b894df2dbc23aed5",
    }
    # Records over several batches, each drawn from its own block of the stream.
    several = {
        f.value: hashlib.sha256(content(f, 300_000, seed=1)).hexdigest()[:16] for f in Format
    }
    assert several["csv"] == "6b704073272b7123"
    assert several["jsonl"] == "71431347fd814a12"


@pytest.mark.parametrize("fmt", [Format.CSV, Format.JSONL])
def test_rows_do_not_depend_on_the_file_size(fmt: Format) -> None:
    # Whole batches are rendered at once and the last one row by row: both must agree.
    small = content(fmt, 100_000).splitlines(keepends=True)[:-1]
    large = content(fmt, 400_000).splitlines(keepends=True)
    assert len(large) > len(small) > 500
    assert large[: len(small)] == small


def test_binary_is_the_documented_shake128_stream() -> None:
    seed = 2**63 - 1
    expected = hashlib.shake_128(
        b"randfile/v1/binary/" + seed.to_bytes(8, "big") + (0).to_bytes(8, "big")
    ).digest(1000)
    assert content(Format.BINARY, 1000, seed=seed) == expected


def test_unrelated_seeds_give_unrelated_binary() -> None:
    # Not a randomness test suite: a smoke check that bytes are spread over all 256 values.
    data = content(Format.BINARY, 256 * 1024, seed=3)
    counts = [data.count(bytes([value])) for value in range(256)]
    assert min(counts) > 800
    assert max(counts) < 1250


@pytest.mark.parametrize("size", [1, 76, 77, 78, 200, 100_000])
def test_text_is_printable_newline_terminated_lines(size: int) -> None:
    text = content(Format.TEXT, size).decode("ascii")
    assert text.endswith("\n")
    lines = text.split("\n")[:-1]
    assert all(len(line) <= 76 for line in lines)
    assert set(text) <= set(string.ascii_letters + string.digits + "+/=\n")


@pytest.mark.parametrize("size", [93, 94, 200, 5000, CHUNK_BYTES + 17])
def test_csv_reads_back_with_typed_columns(size: int) -> None:
    rows = list(csv.DictReader(io.StringIO(content(Format.CSV, size).decode("ascii"))))
    assert rows
    assert list(rows[0]) == ["id", "created_at", "name", "amount", "quantity", "active", "note"]
    for number, row in enumerate(rows, start=1):
        assert int(row["id"]) == number
        assert datetime.fromisoformat(row["created_at"]).tzinfo == UTC
        assert re.fullmatch(r"(0|[1-9][0-9]*)\.[0-9]{2}", row["amount"])
        assert re.fullmatch(r"0|[1-9][0-9]*", row["quantity"])
        assert row["active"] in {"true", "false"}
        assert row["note"].isalpha() or row["note"] == ""
        assert re.fullmatch(r"[a-z]{8}", row["name"])


def test_record_values_stay_in_their_documented_ranges() -> None:
    # The last row is left out: its note is padded, and near the minimum size it is the
    # smallest record (amount 0.00, quantity 0).
    rows = list(csv.DictReader(io.StringIO(content(Format.CSV, 3_000_017).decode("ascii"))))[:-1]
    assert len(rows) > 30_000
    created = [datetime.fromisoformat(row["created_at"]) for row in rows]
    assert datetime(2025, 1, 1, tzinfo=UTC) <= min(created)
    assert max(created) < datetime(2027, 1, 1, tzinfo=UTC)
    assert {moment.day for moment in created} == set(range(1, 29))
    assert {moment.hour for moment in created} == set(range(24))
    assert {moment.second for moment in created} == set(range(60))
    amounts = [Decimal(row["amount"]) for row in rows]
    assert Decimal("1.00") <= min(amounts) < Decimal(100)
    assert Decimal(99_000) < max(amounts) <= Decimal("99999.99")
    quantities = {int(row["quantity"]) for row in rows}
    assert quantities == set(range(1, 1000))
    # Note lengths are binomial around 8: 0 and 16 letters are 1 in 65,536 each.
    assert set(range(1, 16)) <= {len(row["note"]) for row in rows} <= set(range(17))
    assert {row["active"] for row in rows} == {"true", "false"}


@pytest.mark.parametrize("size", [115, 116, 300, 5000, CHUNK_BYTES + 17])
def test_jsonl_lines_are_json_objects(size: int) -> None:
    lines = content(Format.JSONL, size).decode("ascii").splitlines()
    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    assert [record["id"] for record in records] == list(range(1, len(records) + 1))
    assert all(isinstance(record["active"], bool) for record in records)


def test_chunks_stay_small_however_large_the_file() -> None:
    # A chunk closes after the batch of rows that crosses CHUNK_BYTES.
    largest = max(len(chunk) for chunk in generate(Format.CSV, 5 * CHUNK_BYTES, 1))
    assert CHUNK_BYTES <= largest <= CHUNK_BYTES + 128 * 1024
