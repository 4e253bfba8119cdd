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


# The states GET /datasets/{id} reports; the last two are final.
DATASET_STATUSES = frozenset({"queued", "running", "succeeded", "failed"})
FINAL_DATASET_STATUSES = frozenset({"succeeded", "failed"})


def is_dataset_id(text: str) -> bool:
    """A dataset id is a ULID too: nothing else is put into a URL path."""
    return _JOB_ID.fullmatch(text) is not None


def _count(document: Mapping[str, Any], name: str) -> int:
    """A non-negative JSON integer: a bool, a float or a string is a malformed answer."""
    value = document[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} is not a count: {value!r}")
    return value


def _text(document: Mapping[str, Any], name: str) -> str:
    value = document[name]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is not a string: {value!r}")
    return value


def _dataset_id(document: Mapping[str, Any]) -> str:
    value = _text(document, "dataset_id")
    if not is_dataset_id(value):
        raise ValueError(f"dataset_id is not a ULID: {value!r}")
    return value


def _status(document: Mapping[str, Any]) -> str:
    value = _text(document, "status")
    if value not in DATASET_STATUSES:
        raise ValueError(f"status {value!r} is none of {sorted(DATASET_STATUSES)}")
    return value


@dataclass(frozen=True)
class AcceptedDataset:
    """What `POST /datasets` answers (202): the dataset, queued, and where its files will be."""

    dataset_id: str
    status: str
    status_url: str
    bucket: str
    prefix: str
    manifest_key: str
    manifest_csv_key: str
    count: int
    format: str
    seed: int
    total_bytes: int
    created_at: str

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> AcceptedDataset:
        try:
            return cls(
                dataset_id=_dataset_id(document),
                status=_status(document),
                status_url=_text(document, "status_url"),
                bucket=_text(document, "bucket"),
                prefix=_text(document, "prefix"),
                manifest_key=_text(document, "manifest_key"),
                manifest_csv_key=_text(document, "manifest_csv_key"),
                count=_count(document, "count"),
                format=_text(document, "format"),
                seed=_count(document, "seed"),
                total_bytes=_count(document, "total_bytes"),
                created_at=_text(document, "created_at"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RandfileError(
                f"the 202 answer does not describe a dataset ({error}): {document}"
            ) from error


@dataclass(frozen=True)
class FailedDatasetFile:
    """One file of a dataset that ended failed, with the API's error code and message."""

    index: int
    key: str
    error_code: str
    error_message: str

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> FailedDatasetFile:
        return cls(
            index=_count(document, "index"),
            key=_text(document, "key"),
            error_code=_text(document, "error_code"),
            error_message=str(document["error_message"]),
        )


@dataclass(frozen=True)
class DatasetStatus:
    """What `GET /datasets/{id}` answers: the dataset's state and its counters; when it ended
    failed, the failed files (at most 100 of them: `files_failed` is the count)."""

    dataset_id: str
    status: str
    bucket: str
    prefix: str
    count: int
    format: str
    seed: int
    total_bytes: int
    files_succeeded: int
    files_failed: int
    files_waiting: int
    bytes_written: int
    created_at: str
    updated_at: str
    manifest_key: str
    manifest_csv_key: str
    failed_files: tuple[FailedDatasetFile, ...] = ()

    @property
    def final(self) -> bool:
        return self.status in FINAL_DATASET_STATUSES

    @property
    def files_done(self) -> int:
        return self.files_succeeded + self.files_failed

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> DatasetStatus:
        try:
            failed = document.get("failed_files") or []
            if not isinstance(failed, list):
                raise TypeError(f"failed_files is not a list: {failed!r}")
            status = cls(
                dataset_id=_dataset_id(document),
                status=_status(document),
                bucket=_text(document, "bucket"),
                prefix=_text(document, "prefix"),
                count=_count(document, "count"),
                format=_text(document, "format"),
                seed=_count(document, "seed"),
                total_bytes=_count(document, "total_bytes"),
                files_succeeded=_count(document, "files_succeeded"),
                files_failed=_count(document, "files_failed"),
                files_waiting=_count(document, "files_waiting"),
                bytes_written=_count(document, "bytes_written"),
                created_at=_text(document, "created_at"),
                updated_at=_text(document, "updated_at"),
                manifest_key=_text(document, "manifest_key"),
                manifest_csv_key=_text(document, "manifest_csv_key"),
                failed_files=tuple(FailedDatasetFile.from_json(entry) for entry in failed),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RandfileError(
                f"the 200 answer does not describe a dataset ({error}): {document}"
            ) from error
        if status.files_done + status.files_waiting != status.count:
            raise RandfileError(
                f"the dataset's counters do not add up to its {status.count} files: {document}"
            )
        return status
