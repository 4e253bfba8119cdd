"""Check a reported file against the bucket, from the data account's side."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from localcloud.aws import Identity
from randfile.storage import StoredObject


class VerificationError(AssertionError):
    """The bucket does not hold what the function reported."""


@dataclass(frozen=True)
class VerifiedObject(StoredObject):
    """The object as the data account reads it back: what the function reports of an object it
    stored (randfile.storage.StoredObject), and the account that owns the bucket."""

    owner_account: str


def stored_object(data: Identity, workload: Identity, reported: dict[str, Any]) -> VerifiedObject:
    """Read the object back with the data account's credentials and compare it with the report."""
    bucket, key = reported["bucket"], reported["key"]
    s3 = data.s3()
    data_account = data.account_id()
    owned = {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}
    if bucket not in owned:
        raise VerificationError(f"bucket {bucket} is not owned by the data account {data_account}")
    in_workload = {entry["Name"] for entry in workload.s3().list_buckets().get("Buckets", [])}
    if bucket in in_workload:
        raise VerificationError(
            f"bucket {bucket} belongs to the workload account, not the data account"
        )
    try:
        found = s3.get_object(Bucket=bucket, Key=key, ExpectedBucketOwner=data_account)
    except ClientError as error:
        raise VerificationError(f"s3://{bucket}/{key} cannot be read: {error}") from error
    content = found["Body"].read()
    digest = hashlib.sha256(content).hexdigest()
    if len(content) != reported["size_bytes"]:
        raise VerificationError(
            f"s3://{bucket}/{key} holds {len(content)} bytes, "
            f"the function reported {reported['size_bytes']}"
        )
    if digest != reported["sha256"]:
        raise VerificationError(
            f"s3://{bucket}/{key} has sha256 {digest}, the function reported {reported['sha256']}"
        )
    version_id = found.get("VersionId")
    if reported.get("version_id") and version_id != reported["version_id"]:
        raise VerificationError(
            f"s3://{bucket}/{key} is version {version_id}, "
            f"the function reported {reported['version_id']}"
        )
    # The full-object CRC64NVME S3 keeps with the object, which every write of the function sends
    # (randfile.storage), is the one the function reported.
    head = s3.head_object(
        Bucket=bucket, Key=key, ExpectedBucketOwner=data_account, ChecksumMode="ENABLED"
    )
    checksum = head.get("ChecksumCRC64NVME")
    if checksum is None:
        raise VerificationError(f"s3://{bucket}/{key} has no full-object CRC64NVME")
    if reported.get("checksum_crc64nvme") and checksum != reported["checksum_crc64nvme"]:
        raise VerificationError(
            f"s3://{bucket}/{key} has CRC64NVME {checksum}, "
            f"the function reported {reported['checksum_crc64nvme']}"
        )
    return VerifiedObject(
        bucket=bucket,
        key=key,
        size_bytes=len(content),
        sha256=digest,
        etag=found["ETag"],
        version_id=version_id,
        checksum_crc64nvme=checksum,
        owner_account=data_account,
    )
