"""S3 checks the checksums it is sent (localcloud.compat): a PutObject's or an UploadPart's body
against its x-amz-checksum-<algorithm> header, a FULL_OBJECT completion's CRC64NVME against the
whole object; a wrong one is 400 BadDigest and nothing is written."""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING

import boto3
import pytest
from awscrt.checksums import crc64nvme
from botocore.exceptions import ClientError
from moto.s3.responses import S3Response

from localcloud import compat

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "checksums"
PART = 5 * 1024 * 1024


def crc(data: bytes) -> str:
    return base64.b64encode(crc64nvme(data).to_bytes(8, "big")).decode()


@pytest.fixture
def s3(moto: None, monkeypatch: pytest.MonkeyPatch) -> S3Client:
    # The patch replaces S3Response's methods; the monkeypatch puts moto's back afterwards.
    for name in ("_get_checksum", "put_object", "upload_part", "_key_response_post"):
        monkeypatch.setattr(S3Response, name, getattr(S3Response, name))
    monkeypatch.setattr(S3Response, "_localcloud_checksums", False, raising=False)
    compat._s3_checks_the_checksums_it_is_sent()
    client = boto3.client("s3", region_name="eu-west-1")
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return client


def bad_digest(error: pytest.ExceptionInfo[ClientError]) -> bool:
    return error.value.response["Error"]["Code"] == "BadDigest"


def test_a_put_s_checksum_is_checked_and_stored_without_the_sdk_header(s3: S3Client) -> None:
    body = b"content"
    with pytest.raises(ClientError) as refused:
        s3.put_object(Bucket=BUCKET, Key="k", Body=body, ChecksumCRC64NVME=crc(b"other"))
    assert bad_digest(refused)
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    s3.put_object(Bucket=BUCKET, Key="k", Body=body, ChecksumCRC64NVME=crc(body))
    head = s3.head_object(Bucket=BUCKET, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == crc(body)


def test_a_part_and_a_full_object_completion_are_checked(s3: S3Client) -> None:
    first, last = os.urandom(PART), b"tail"
    upload = s3.create_multipart_upload(
        Bucket=BUCKET, Key="m", ChecksumAlgorithm="CRC64NVME", ChecksumType="FULL_OBJECT"
    )["UploadId"]
    with pytest.raises(ClientError) as refused:
        s3.upload_part(
            Bucket=BUCKET,
            Key="m",
            UploadId=upload,
            PartNumber=1,
            Body=first,
            ChecksumCRC64NVME=crc(last),
        )
    assert bad_digest(refused)
    parts = []
    for number, body in enumerate((first, last), start=1):
        sent = s3.upload_part(
            Bucket=BUCKET,
            Key="m",
            UploadId=upload,
            PartNumber=number,
            Body=body,
            ChecksumCRC64NVME=crc(body),
        )
        parts.append({"PartNumber": number, "ETag": sent["ETag"], "ChecksumCRC64NVME": crc(body)})

    def complete(checksum: str) -> None:
        s3.complete_multipart_upload(
            Bucket=BUCKET,
            Key="m",
            UploadId=upload,
            MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
            ChecksumCRC64NVME=checksum,
            ChecksumType="FULL_OBJECT",
        )

    with pytest.raises(ClientError) as refused:
        complete(crc(first))
    assert bad_digest(refused)
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    complete(crc(first + last))
    head = s3.head_object(Bucket=BUCKET, Key="m", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == crc(first + last)
