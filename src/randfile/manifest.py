"""A dataset's two manifests, written under its prefix when it ends (randfile verify reads them):

- `manifest.jsonl`: one JSON object per written file, in index order: index, bucket, key,
  size_bytes, sha256, checksum_crc64nvme, seed, etag (quoted, as S3 sends it), version_id,
  write_ms;
- `manifest.csv`: S3 Batch Operations' CSV manifest, `bucket,key[,version_id]` per line, no
  header, the key URL-encoded
  (https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-create-job.html), so other AWS
  tooling can take the dataset as input.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable

from randfile.datasets import FileResult


def jsonl_line(bucket: str, result: FileResult) -> str:
    return json.dumps(
        {
            "index": result.index,
            "bucket": bucket,
            "key": result.key,
            "size_bytes": result.size_bytes,
            "sha256": result.sha256,
            "checksum_crc64nvme": result.checksum_crc64nvme,
            "seed": result.seed,
            "etag": f'"{result.etag}"',
            "version_id": result.version_id,
            "write_ms": result.write_ms,
        },
        separators=(",", ":"),
    )


def csv_line(bucket: str, result: FileResult) -> str:
    # Every character but unreserved ones is percent-encoded, '/' included, so no key can be
    # read as another (a comma in a key would otherwise split its line).
    fields = [bucket, urllib.parse.quote(result.key, safe="")]
    if result.version_id is not None:
        fields.append(result.version_id)
    return ",".join(fields)


def manifests(bucket: str, written: Iterable[FileResult]) -> tuple[bytes, bytes]:
    """(JSON Lines, CSV) of the written files, in index order."""
    ordered = sorted(written, key=lambda result: result.index)
    jsonl = "".join(jsonl_line(bucket, result) + "\n" for result in ordered)
    csv = "".join(csv_line(bucket, result) + "\n" for result in ordered)
    return jsonl.encode(), csv.encode()
