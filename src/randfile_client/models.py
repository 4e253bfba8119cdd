"""What the API answers, as the client hands it on: the raw response, a created file (201), an
accepted job (202), and the job ids that may stand in a status URL."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from randfile_client.errors import RandfileError

# A job id is a ULID (Crockford base32, 26 characters): nothing else is put into a URL path.
_JOB_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


@dataclass(frozen=True)
class RawResponse:
    status: int
    # Names in lower case.
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def is_job_id(text: str) -> bool:
    return _JOB_ID.fullmatch(text) is not None


@dataclass(frozen=True)
class CreatedFile:
    """What `201 Created` reports about the new object."""

    bucket: str
    key: str
    size_bytes: int
    format: str
    seed: int
    sha256: str
    etag: str | None = None
    version_id: str | None = None
    content_type: str | None = None
    checksum_crc64nvme: str | None = None
    """The object's full-object CRC64NVME as S3 stores it (`randfile verify` compares it)."""

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> CreatedFile:
        try:
            return cls(
                bucket=str(document["bucket"]),
                key=str(document["key"]),
                size_bytes=int(document["size_bytes"]),
                format=str(document["format"]),
                seed=int(document["seed"]),
                sha256=str(document["sha256"]),
                etag=document.get("etag"),
                version_id=document.get("version_id"),
                content_type=document.get("content_type"),
                checksum_crc64nvme=document.get("checksum_crc64nvme"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RandfileError(f"the 201 answer does not describe a file: {document}") from error


@dataclass(frozen=True)
class AcceptedJob:
    """What `202 Accepted` reports: a job whose file is to be written under `key`."""

    job_id: str
    status_url: str
    bucket: str
    key: str
    size_bytes: int
    format: str
    seed: int

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> AcceptedJob:
        try:
            return cls(
                job_id=str(document["job_id"]),
                status_url=str(document["status_url"]),
                bucket=str(document["bucket"]),
                key=str(document["key"]),
                size_bytes=int(document["size_bytes"]),
                format=str(document["format"]),
                seed=int(document["seed"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RandfileError(f"the 202 answer does not describe a job: {document}") from error
