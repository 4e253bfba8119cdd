"""The CRC64NVME of some bytes as S3 reports it (base64 of the 8 big-endian bytes), computed with
awscrt, the implementation botocore itself uses: what a reported or stored checksum must equal."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from awscrt.checksums import crc64nvme

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def crc64nvme_of(data: bytes) -> str:
    return base64.b64encode(crc64nvme(data).to_bytes(8, "big")).decode()


def put_with_crc64nvme(s3: S3Client, bucket: str, key: str, body: bytes, **fields: Any) -> None:
    """PUTs `body` with its CRC64NVME, as the service writes objects (S3 stores the checksum it
    is sent), and any other PutObject `fields`."""
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=body,
        ChecksumAlgorithm="CRC64NVME",
        ChecksumCRC64NVME=crc64nvme_of(body),
        **fields,
    )
