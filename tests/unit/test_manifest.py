"""A dataset's manifests: JSON Lines for randfile verify, S3 Batch Operations' CSV."""

from __future__ import annotations

import json

from randfile.datasets import FileResult
from randfile.manifest import manifests


def written(index: int, key: str, version_id: str | None = "v1") -> FileResult:
    return FileResult(
        index=index,
        key=key,
        size_bytes=10,
        seed=5,
        sha256="ab" * 32,
        etag="e" * 32,
        version_id=version_id,
        write_ms=1.5,
    )


def test_lines_in_index_order_with_the_quoted_etag() -> None:
    jsonl, csv = manifests("bucket", [written(1, "p/1.bin"), written(0, "p/0.bin")])
    lines = [json.loads(line) for line in jsonl.decode().splitlines()]
    assert [line["index"] for line in lines] == [0, 1]
    assert lines[0] == {
        "index": 0,
        "bucket": "bucket",
        "key": "p/0.bin",
        "size_bytes": 10,
        "sha256": "ab" * 32,
        "checksum_crc64nvme": None,
        "seed": 5,
        "etag": '"' + "e" * 32 + '"',
        "version_id": "v1",
        "write_ms": 1.5,
    }
    assert csv.decode().splitlines() == ["bucket,p%2F0.bin,v1", "bucket,p%2F1.bin,v1"]


def test_csv_keys_are_url_encoded_and_an_unversioned_object_has_two_fields() -> None:
    _, csv = manifests("bucket", [written(0, "a b,c/(1).bin", version_id=None)])
    assert csv.decode() == "bucket,a%20b%2Cc%2F%281%29.bin\n"


def test_no_written_file_gives_empty_manifests() -> None:
    assert manifests("bucket", []) == (b"", b"")
