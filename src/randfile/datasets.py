"""Datasets: their items in the DynamoDB job table, and the transitions between their states.

A dataset is one item `id = "dataset#<dataset_id>"` and one item per chunk of its files,
`id = "dataset#<dataset_id>#chunk#<n>"`, all kept as long as jobs (the table's TTL attribute
`expiration`). Chunk n holds the files from its first index (`first_index`) for `files` files, and
one result per file in the map `results` (by index): the file's SHA-256, recorded before the write
that makes its object exist (`pending`: a retry that finds the object reads it back with HEAD
instead of generating it again), then, with the chunk's ending, what S3 answered (`written`) or
why it failed (`failed`). Recording each written file at once would cost one more write per file
and save only HEADs on a retry, which is rare.

    dataset: queued -> running (fan-out, then chunks, then finalize) -> succeeded | failed;
             queued -> failed (the API could not queue it)
    chunk:   queued -> running -> succeeded | failed;  queued -> failed (abandoned fan-out);
             running (lease over) -> running

As for jobs (randfile.jobs), every transition is a conditional write on the current state, and a
delivery holds a dataset (for its fan-out or its finalize) or a chunk under an attempt and a lease
that ends with its invocation. A chunk's ending and the dataset's counters change together in one
transaction conditioned on the chunk's state, so each chunk is counted exactly once
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html).
docs/operations.md draws the lifecycle and its bound.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from randfile import job_table
from randfile.content import FORMATS, Format
from randfile.dataset_plan import Sizes
from randfile.jobs import JobStatus

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, TransactWriteItemTypeDef

ITEM_PREFIX = "dataset#"
MANIFEST_NAME = "manifest.jsonl"
MANIFEST_CSV_NAME = "manifest.csv"
MAX_FAILED_FILES_LISTED = 100
"""Failed files a dataset's status lists at most (the manifest lists every written one)."""

FINAL = (JobStatus.SUCCEEDED, JobStatus.FAILED)


@dataclass(frozen=True)
class FailedFile:
    index: int
    key: str
    error_code: str
    error_message: str

    def fields(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "key": self.key,
            "error_code": self.error_code,
            "error_message": self.error_message,
        }


@dataclass(frozen=True)
class FileResult:
    """One file of a chunk as recorded: `pending` (its digest kept before its final write),
    `written` (S3's answer) or `failed` (`error_code`)."""

    index: int
    key: str
    size_bytes: int
    seed: int
    sha256: str | None = None
    etag: str | None = None
    version_id: str | None = None
    checksum_crc64nvme: str | None = None
    write_ms: float | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def written(self) -> bool:
        return self.etag is not None

    @property
    def failed(self) -> bool:
        return self.error_code is not None

    @property
    def ended(self) -> bool:
        return self.written or self.failed

    def failure(self) -> FailedFile:
        return FailedFile(self.index, self.key, str(self.error_code), str(self.error_message))


@dataclass(frozen=True)
class Dataset:
    """A dataset as its item holds it. `status_fields` is the body of GET /datasets/{id}."""

    dataset_id: str
    status: JobStatus
    bucket: str
    prefix: str
    count: int
    format: Format
    sizes: Sizes
    seed: int
    total_bytes: int
    chunk_starts: tuple[int, ...]
    created_at: str
    updated_at: str
    expiration: int
    files_succeeded: int = 0
    files_failed: int = 0
    bytes_written: int = 0
    chunks_ended: int = 0
    fanned_out: bool = False
    """Every chunk item exists and its message was sent: the chunks run, then the finalize."""
    attempt: int = 0
    lease_expires_at: int | None = None
    failed_files: tuple[FailedFile, ...] = ()
    error_code: str | None = None
    error_message: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def chunks(self) -> int:
        return len(self.chunk_starts)

    @property
    def all_chunks_ended(self) -> bool:
        return self.fanned_out and self.chunks_ended >= self.chunks

    @property
    def content_type(self) -> str:
        return FORMATS[self.format].content_type

    @property
    def manifest_key(self) -> str:
        return self.prefix + MANIFEST_NAME

    @property
    def manifest_csv_key(self) -> str:
        return self.prefix + MANIFEST_CSV_NAME

    def chunk_of(self, number: int) -> tuple[int, int]:
        """(first index, files) of chunk `number`."""
        first = self.chunk_starts[number]
        end = self.chunk_starts[number + 1] if number + 1 < self.chunks else self.count
        return first, end - first

    def _common_fields(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "status": self.status.value,
            "bucket": self.bucket,
            "prefix": self.prefix,
            "manifest_key": self.manifest_key,
            "manifest_csv_key": self.manifest_csv_key,
            "count": self.count,
            "format": self.format.value,
            "seed": self.seed,
            "total_bytes": self.total_bytes,
            "created_at": self.created_at,
        }

    def accepted_fields(self, status_url: str) -> dict[str, Any]:
        """The body of the 202 that accepts the dataset."""
        return {**self._common_fields(), "status_url": status_url}

    def status_fields(self) -> dict[str, Any]:
        fields = {
            **self._common_fields(),
            "files_succeeded": self.files_succeeded,
            "files_failed": self.files_failed,
            "files_waiting": max(0, self.count - self.files_succeeded - self.files_failed),
            "bytes_written": self.bytes_written,
            "updated_at": self.updated_at,
        }
        if self.status is JobStatus.FAILED:
            fields["failed_files"] = [failed.fields() for failed in self.failed_files]
        return fields


@dataclass(frozen=True)
class Chunk:
    dataset_id: str
    number: int
    first_index: int
    files: int
    status: JobStatus
    expiration: int
    attempt: int = 0
    lease_expires_at: int | None = None
    results: Mapping[int, FileResult] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL

    @property
    def indexes(self) -> range:
        return range(self.first_index, self.first_index + self.files)


def dataset_item_id(dataset_id: str) -> str:
    return f"{ITEM_PREFIX}{dataset_id}"


def chunk_item_id(dataset_id: str, number: int) -> str:
    return f"{ITEM_PREFIX}{dataset_id}#chunk#{number}"


def _s(value: str) -> AttributeValueTypeDef:
    return {"S": value}


def _n(value: float) -> AttributeValueTypeDef:
    return {"N": str(value)}


def _dataset_item(dataset: Dataset) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {
        "id": _s(dataset_item_id(dataset.dataset_id)),
        "dataset_id": _s(dataset.dataset_id),
        "status": _s(dataset.status.value),
        "bucket": _s(dataset.bucket),
        "prefix": _s(dataset.prefix),
        "count": _n(dataset.count),
        "format": _s(dataset.format.value),
        "min_size_bytes": _n(dataset.sizes.min_bytes),
        "max_size_bytes": _n(dataset.sizes.max_bytes),
        "seed": _n(dataset.seed),
        "total_bytes": _n(dataset.total_bytes),
        "chunk_starts": {"L": [_n(start) for start in dataset.chunk_starts]},
        "created_at": _s(dataset.created_at),
        "updated_at": _s(dataset.updated_at),
        "expiration": _n(dataset.expiration),
        "files_succeeded": _n(dataset.files_succeeded),
        "files_failed": _n(dataset.files_failed),
        "bytes_written": _n(dataset.bytes_written),
        "chunks_ended": _n(dataset.chunks_ended),
        "fanned_out": {"BOOL": dataset.fanned_out},
    }
    return item


def _dataset(item: Mapping[str, Any]) -> Dataset:
    def number(name: str, default: int = 0) -> int:
        return int(item[name]["N"]) if name in item else default

    def text(name: str) -> str | None:
        return item[name]["S"] if name in item else None

    failed = json.loads(item["failed_files"]["S"]) if "failed_files" in item else []
    return Dataset(
        dataset_id=item["dataset_id"]["S"],
        status=JobStatus(item["status"]["S"]),
        bucket=item["bucket"]["S"],
        prefix=item["prefix"]["S"],
        count=number("count"),
        format=Format(item["format"]["S"]),
        sizes=Sizes(number("min_size_bytes"), number("max_size_bytes")),
        seed=number("seed"),
        total_bytes=number("total_bytes"),
        chunk_starts=tuple(int(start["N"]) for start in item["chunk_starts"]["L"]),
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
        expiration=number("expiration"),
        files_succeeded=number("files_succeeded"),
        files_failed=number("files_failed"),
        bytes_written=number("bytes_written"),
        chunks_ended=number("chunks_ended"),
        fanned_out=bool(item.get("fanned_out", {}).get("BOOL", False)),
        attempt=number("attempt"),
        lease_expires_at=number("lease_expires_at") if "lease_expires_at" in item else None,
        failed_files=tuple(FailedFile(**entry) for entry in failed),
        error_code=text("error_code"),
        error_message=text("error_message"),
    )


_RESULT_STRINGS = ("key", "sha256", "etag", "version_id", "checksum_crc64nvme")
_RESULT_ERRORS = ("error_code", "error_message")


def _result_value(result: FileResult) -> AttributeValueTypeDef:
    fields: dict[str, AttributeValueTypeDef] = {
        "size_bytes": _n(result.size_bytes),
        "seed": _n(result.seed),
    }
    for name in (*_RESULT_STRINGS, *_RESULT_ERRORS):
        value = getattr(result, name)
        if value is not None:
            fields[name] = _s(value)
    if result.write_ms is not None:
        fields["write_ms"] = _n(round(result.write_ms, 3))
    return {"M": fields}


def _result(index: int, value: Mapping[str, Any]) -> FileResult:
    fields = value["M"]

    def text(name: str) -> str | None:
        return fields[name]["S"] if name in fields else None

    return FileResult(
        index=index,
        key=fields["key"]["S"],
        size_bytes=int(fields["size_bytes"]["N"]),
        seed=int(fields["seed"]["N"]),
        sha256=text("sha256"),
        etag=text("etag"),
        version_id=text("version_id"),
        checksum_crc64nvme=text("checksum_crc64nvme"),
        write_ms=float(fields["write_ms"]["N"]) if "write_ms" in fields else None,
        error_code=text("error_code"),
        error_message=text("error_message"),
    )


def _chunk(item: Mapping[str, Any]) -> Chunk:
    return Chunk(
        dataset_id=item["dataset_id"]["S"],
        number=int(item["chunk"]["N"]),
        first_index=int(item["first_index"]["N"]),
        files=int(item["files"]["N"]),
        status=JobStatus(item["status"]["S"]),
        expiration=int(item["expiration"]["N"]),
        attempt=int(item["attempt"]["N"]) if "attempt" in item else 0,
        lease_expires_at=int(item["lease_expires_at"]["N"]) if "lease_expires_at" in item else None,
        results={
            int(index): _result(int(index), value)
            for index, value in item.get("results", {}).get("M", {}).items()
        },
    )


class DatasetStore(job_table.ItemStore):
    """The dataset and chunk items of one table; every failure to reach DynamoDB is a
    JobsUnavailableError."""

    _item_name = "dataset"

    # --- The dataset ------------------------------------------------------------------------

    def new_dataset(
        self,
        dataset_id: str,
        *,
        bucket: str,
        prefix: str,
        count: int,
        file_format: Format,
        sizes: Sizes,
        seed: int,
        total_bytes: int,
        chunk_starts: Sequence[int],
    ) -> Dataset:
        """A queued dataset created now and kept for the retention period (not yet stored)."""
        moment = self._now()
        return Dataset(
            dataset_id=dataset_id,
            status=JobStatus.QUEUED,
            bucket=bucket,
            prefix=prefix,
            count=count,
            format=file_format,
            sizes=sizes,
            seed=seed,
            total_bytes=total_bytes,
            chunk_starts=tuple(chunk_starts),
            created_at=job_table.timestamp(moment),
            updated_at=job_table.timestamp(moment),
            expiration=self._expiration(moment),
        )

    def accept(self, dataset: Dataset) -> None:
        """Stores a new dataset; never replaces one."""
        self._put_new(_dataset_item(dataset), "store the dataset")

    def get(self, dataset_id: str) -> Dataset | None:
        """The dataset, or None when it does not exist or has expired."""
        item = self._get(dataset_item_id(dataset_id))
        return None if item is None else _dataset(item)

    def claim(self, dataset_id: str, lease_ms: int) -> job_table.Claimed[Dataset]:
        """Takes the dataset for its fan-out or its finalize: `queued`, or `running` with no live
        lease, becomes `running` under a new attempt whose lease ends `lease_ms` from now."""
        item, held = self._claim(dataset_item_id(dataset_id), lease_ms)
        return job_table.Claimed(None if item is None else _dataset(item), held)

    def fanned_out(self, dataset: Dataset) -> Dataset | None:
        """Every chunk is stored and sent: the fan-out's lease is given back (the finalize claims
        the dataset again when the last chunk has ended)."""
        item, _ = self._update(
            dataset_item_id(dataset.dataset_id),
            "SET fanned_out = :true, lease_expires_at = :zero, updated_at = :now",
            job_table.HELD,
            {**self._held(dataset.attempt), ":true": {"BOOL": True}, ":zero": _n(0)},
        )
        return None if item is None else _dataset(item)

    def end(
        self,
        dataset: Dataset,
        status: JobStatus,
        failed_files: Sequence[FailedFile],
        error: tuple[str, str] | None = None,
    ) -> Dataset | None:
        """`running` under `dataset`'s attempt -> `status`, with the failed files listed."""
        return self._end(
            dataset, status, failed_files, error, job_table.HELD, self._held(dataset.attempt)
        )

    def fail_unstarted(
        self, dataset: Dataset, failed_files: Sequence[FailedFile], code: str, message: str
    ) -> Dataset | None:
        """`queued` -> `failed`, every file failed: no delivery has taken the dataset (the API
        could not queue it)."""
        return self._end(
            dataset,
            JobStatus.FAILED,
            failed_files,
            (code, message),
            "#status = :queued",
            {":queued": _s(JobStatus.QUEUED.value)},
            files_failed=dataset.count,
        )

    def _end(  # noqa: PLR0917 (the transition's parts, each named at the call)
        self,
        dataset: Dataset,
        status: JobStatus,
        failed_files: Sequence[FailedFile],
        error: tuple[str, str] | None,
        condition: str,
        values: dict[str, AttributeValueTypeDef],
        files_failed: int | None = None,
    ) -> Dataset | None:
        update = "SET #status = :final, failed_files = :failed, updated_at = :now"
        values = {
            **values,
            ":final": _s(status.value),
            ":failed": _s(json.dumps([f.fields() for f in failed_files[:MAX_FAILED_FILES_LISTED]])),
        }
        if error is not None:
            update += ", error_code = :code, error_message = :message"
            values |= {":code": _s(error[0]), ":message": _s(error[1])}
        if files_failed is not None:
            update += ", files_failed = :files_failed"
            values[":files_failed"] = _n(files_failed)
        item, _ = self._update(dataset_item_id(dataset.dataset_id), update, condition, values)
        return None if item is None else _dataset(item)

    # --- Its chunks -------------------------------------------------------------------------

    def put_chunk(self, dataset: Dataset, number: int) -> None:
        """Stores chunk `number` `queued` unless it exists (a fan-out redelivered after a kill)."""
        first, files = dataset.chunk_of(number)
        with suppress(job_table.ConditionFailedError):
            self._put_new(
                {
                    "id": _s(chunk_item_id(dataset.dataset_id, number)),
                    "dataset_id": _s(dataset.dataset_id),
                    "chunk": _n(number),
                    "first_index": _n(first),
                    "files": _n(files),
                    "status": _s(JobStatus.QUEUED.value),
                    "results": {"M": {}},
                    "expiration": _n(dataset.expiration),
                },
                "store a chunk",
            )

    def get_chunk(self, dataset_id: str, number: int) -> Chunk | None:
        item = self._get(chunk_item_id(dataset_id, number), "read a chunk")
        return None if item is None else _chunk(item)

    def claim_chunk(self, dataset_id: str, number: int, lease_ms: int) -> job_table.Claimed[Chunk]:
        """As `claim`, for one chunk."""
        item, held = self._claim(chunk_item_id(dataset_id, number), lease_ms)
        return job_table.Claimed(None if item is None else _chunk(item), held)

    def record(self, chunk: Chunk, result: FileResult) -> Chunk | None:
        """Keeps one file's result (pending, written or failed) under the chunk's attempt; None
        when another delivery holds the chunk now."""
        item, applied = self._update(
            chunk_item_id(chunk.dataset_id, chunk.number),
            "SET results.#index = :result, updated_at = :now",
            job_table.HELD,
            {**self._held(chunk.attempt), ":result": _result_value(result)},
            names={"#index": str(result.index)},
        )
        return _chunk(item) if item is not None and applied else None

    def end_chunk(self, dataset: Dataset, chunk: Chunk, results: Mapping[int, FileResult]) -> bool:
        """The chunk held by this delivery ends, `succeeded` when every file was written, else
        `failed`; the dataset's counters grow by the chunk's files in the same transaction."""
        return self._end_chunk(dataset, chunk, results, job_table.HELD, self._held(chunk.attempt))

    def abandon_unstarted_chunk(
        self, dataset: Dataset, chunk: Chunk, results: Mapping[int, FileResult]
    ) -> bool:
        """A `queued` chunk ends `failed` with its files (the fan-out was abandoned)."""
        return self._end_chunk(
            dataset, chunk, results, "#status = :queued", {":queued": _s(JobStatus.QUEUED.value)}
        )

    def _end_chunk(
        self,
        dataset: Dataset,
        chunk: Chunk,
        results: Mapping[int, FileResult],
        condition: str,
        values: dict[str, AttributeValueTypeDef],
    ) -> bool:
        written = [r for r in results.values() if r.written]
        failed = chunk.files - len(written)
        size = sum(r.size_bytes for r in written)
        status = JobStatus.SUCCEEDED if failed == 0 else JobStatus.FAILED
        now = _s(job_table.timestamp(self._now()))
        chunk_values: dict[str, AttributeValueTypeDef] = {
            **values,
            ":final": _s(status.value),
            ":results": {"M": {str(i): _result_value(r) for i, r in results.items()}},
            ":now": now,
            ":epoch": _n(int(self._now().timestamp())),
        }
        items: list[TransactWriteItemTypeDef] = [
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"id": _s(chunk_item_id(chunk.dataset_id, chunk.number))},
                    "UpdateExpression": "SET #status = :final, results = :results,"
                    " updated_at = :now",
                    "ConditionExpression": f"expiration > :epoch AND ({condition})",
                    "ExpressionAttributeNames": job_table.status_and_attempt(
                        condition + " #status"
                    ),
                    "ExpressionAttributeValues": chunk_values,
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": {"id": _s(dataset_item_id(dataset.dataset_id))},
                    "UpdateExpression": "ADD files_succeeded :succeeded, files_failed :failed,"
                    " bytes_written :bytes, chunks_ended :one SET updated_at = :now",
                    "ConditionExpression": "attribute_exists(id)",
                    "ExpressionAttributeValues": {
                        ":succeeded": _n(len(written)),
                        ":failed": _n(failed),
                        ":bytes": _n(size),
                        ":one": _n(1),
                        ":now": now,
                    },
                }
            },
        ]
        try:
            with job_table.dynamodb_errors(self._table, "end a chunk"):
                self._client.transact_write_items(TransactItems=items)
        except job_table.ConditionFailedError:
            return False
        return True


def with_result(chunk: Chunk, result: FileResult) -> Chunk:
    return replace(chunk, results={**chunk.results, result.index: result})
