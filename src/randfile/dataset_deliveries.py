"""The worker's dataset use cases: what one delivery of a dataset's message does.

A dataset's messages share the jobs queue, its worker pool and its concurrency cap:

- `{"dataset_id"}` (sent by POST /datasets): `fan_out` stores one item per chunk (conditional
  puts: a redelivered fan-out creates only what is missing) and sends one message per chunk;
- `{"dataset_id", "chunk": n}`: `run_chunk` claims the chunk, writes each file create-only, and
  ends the chunk with the dataset's counters in one transaction; the delivery that ends the last
  chunk sends
- `{"dataset_id", "finalize": true}`: `finalize` writes the manifests and ends the dataset.

As for jobs (randfile.deliveries), a delivery may be a duplicate, a retry after a killed attempt or
the dead-letter queue's last word; each starts from what is stored, and never generates a file an
earlier attempt wrote: a file's digest is recorded before the write that makes its object exist,
so a retry that finds the object reads it back with HEAD and records it. From the dead-letter
queue, `abandon` ends what is left `failed` and finalizes the dataset itself, so every dataset
ends whatever its messages went through.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ParamSpec

from randfile import dataset_plan, manifest
from randfile.content import GENERATOR_VERSION, generate
from randfile.datasets import (
    Chunk,
    Dataset,
    DatasetStore,
    FileResult,
    with_result,
)
from randfile.errors import (
    TRANSIENT_ERRORS,
    DeadlineExceededError,
    JobAbandonedError,
    JobsUnavailableError,
    KeyTakenError,
    ServiceError,
    StorageError,
)
from randfile.job_queue import JobQueue, dataset_message
from randfile.jobs import JobStatus
from randfile.lambda_context import Deadline
from randfile.storage import PART_BYTES, BucketWriter, Digests, ExistingObject, ObjectSpec

logger = logging.getLogger(__name__)

DATASET_ID_METADATA = "randfile-dataset-id"
DATASET_INDEX_METADATA = "randfile-dataset-index"
MANIFEST_CONTENT_TYPES = ("application/x-ndjson", "text/csv; charset=utf-8")


@dataclass(frozen=True)
class DatasetRun:
    """What a delivery did: `dataset` as stored afterwards (None: there is none), `retry` when the
    message must come back later, `ended` when this delivery made the dataset final."""

    dataset: Dataset | None
    retry: bool = False
    ended: bool = False


_P = ParamSpec("_P")


def _retried_when_unavailable(deliver: Callable[_P, DatasetRun]) -> Callable[_P, DatasetRun]:
    """S3 or DynamoDB unavailable during a delivery leaves its work to the message's next one."""

    @functools.wraps(deliver)
    def delivery(*args: _P.args, **kwargs: _P.kwargs) -> DatasetRun:
        try:
            return deliver(*args, **kwargs)
        except TRANSIENT_ERRORS:
            return DatasetRun(None, retry=True)

    return delivery


def _lease_ms(deadline: Deadline) -> int:
    lease_ms = deadline.remaining_ms()
    if lease_ms is None:
        raise ValueError("a dataset's delivery needs the invocation's deadline for its lease")
    return lease_ms


def _claim(dataset_id: str, store: DatasetStore, deadline: Deadline) -> Dataset | DatasetRun:
    claim = store.claim(dataset_id, _lease_ms(deadline))
    dataset = claim.item
    if dataset is None or dataset.is_final:
        return DatasetRun(dataset)
    return dataset if claim.held else DatasetRun(dataset, retry=True)


# --- Fan-out ------------------------------------------------------------------------------------


@_retried_when_unavailable
def fan_out(
    dataset_id: str, store: DatasetStore, queue: JobQueue, deadline: Deadline
) -> DatasetRun:
    """Stores every chunk and sends its message; the finalize's message too when every chunk
    has already ended (a fan-out redelivered after its chunks ran)."""
    dataset = store.get(dataset_id)
    if dataset is None or dataset.is_final or dataset.fanned_out:
        return DatasetRun(dataset)
    held = _claim(dataset_id, store, deadline)
    if isinstance(held, DatasetRun):
        return held
    for number in range(held.chunks):
        store.put_chunk(held, number)
    queue.send_batch([dataset_message(dataset_id, chunk=number) for number in range(held.chunks)])
    done = store.fanned_out(held)
    if done is not None and done.all_chunks_ended:
        queue.send_body(dataset_message(dataset_id, finalize=True))
    return DatasetRun(done)


# --- Chunks -------------------------------------------------------------------------------------


@_retried_when_unavailable
def run_chunk(
    dataset_id: str,
    number: int,
    *,
    store: DatasetStore,
    writer: BucketWriter,
    queue: JobQueue,
    deadline: Deadline,
) -> DatasetRun:
    """Claims chunk `number`, writes its files that no attempt has written, and ends it. A file
    S3 or the generator refuses fails alone; S3 or DynamoDB unavailable, or too little time left
    for the next file, leaves the chunk to the message's next delivery."""
    dataset = store.get(dataset_id)
    chunk = store.get_chunk(dataset_id, number)
    if dataset is None or chunk is None:
        return DatasetRun(dataset)
    if chunk.is_final:
        return _after_chunk(dataset_id, store, queue)
    claim = store.claim_chunk(dataset_id, number, _lease_ms(deadline))
    held = claim.item
    if held is None or held.is_final:
        return _after_chunk(dataset_id, store, queue)
    if not claim.held:
        return DatasetRun(dataset, retry=True)
    for index in held.indexes:
        if index in held.results and held.results[index].ended:
            continue
        spec = _spec(dataset, index)
        try:
            deadline.ensure(dataset_plan.estimated_seconds(spec.size_bytes) * 1000, f"file {index}")
        except DeadlineExceededError:
            # Out of time between files: the next delivery goes on from here.
            return DatasetRun(dataset, retry=True)
        result = _file(dataset, held, spec, store=store, writer=writer, deadline=deadline)
        held = with_result(held, result)
    store.end_chunk(dataset, held, held.results)
    return _after_chunk(dataset_id, store, queue)


def _after_chunk(dataset_id: str, store: DatasetStore, queue: JobQueue) -> DatasetRun:
    """Sends the finalize's message when every chunk has ended. Any delivery of a final chunk's
    message checks again, so a delivery killed between the two is made good by its retry."""
    dataset = store.get(dataset_id)
    if dataset is not None and not dataset.is_final and dataset.all_chunks_ended:
        queue.send_body(dataset_message(dataset_id, finalize=True))
    return DatasetRun(dataset)


def _spec(dataset: Dataset, index: int) -> dataset_plan.FileSpec:
    return dataset_plan.file_spec(
        dataset.prefix, dataset.seed, dataset.count, dataset.sizes, dataset.format, index=index
    )


def _metadata(dataset: Dataset, spec: dataset_plan.FileSpec) -> dict[str, str]:
    """What regenerates the file, and the dataset and index it belongs to."""
    return {
        "randfile-format": dataset.format.value,
        "randfile-seed": str(spec.seed),
        "randfile-generator-version": GENERATOR_VERSION,
        DATASET_ID_METADATA: dataset.dataset_id,
        DATASET_INDEX_METADATA: str(spec.index),
    }


def _file(
    dataset: Dataset,
    held: Chunk,
    spec: dataset_plan.FileSpec,
    *,
    store: DatasetStore,
    writer: BucketWriter,
    deadline: Deadline,
) -> FileResult:
    """One file: found (an earlier attempt recorded its digest and wrote it), or written now;
    a failure of the service's own is the file's result."""
    base = FileResult(index=spec.index, key=spec.key, size_bytes=spec.size_bytes, seed=spec.seed)
    recorded = held.results.get(spec.index)
    try:
        if recorded is not None and recorded.sha256 is not None:
            found = writer.exists(spec.key)
            if found is not None:
                return _found(dataset, spec, found, base, recorded)
        # Nothing written: what an earlier attempt's killed multipart upload left open goes first.
        if held.attempt > 1 and spec.size_bytes > PART_BYTES:
            writer.abort_uploads(spec.key)
        return _write(
            dataset,
            spec,
            writer=writer,
            deadline=deadline,
            base=base,
            record_digest=lambda digests: _record_digest(store, held, base, digests),
        )
    except TRANSIENT_ERRORS:
        raise
    except ServiceError as error:
        return _failed(base, error)


def _record_digest(store: DatasetStore, held: Chunk, base: FileResult, digests: Digests) -> None:
    """Keeps the file's digests in its chunk, under the chunk's attempt, before the write that
    makes its object exist."""
    recorded = replace(base, sha256=digests.sha256, checksum_crc64nvme=digests.checksum_crc64nvme)
    if store.record(held, recorded) is None:
        raise JobsUnavailableError("the chunk was taken over by another delivery")


def _write(
    dataset: Dataset,
    spec: dataset_plan.FileSpec,
    *,
    writer: BucketWriter,
    deadline: Deadline,
    base: FileResult,
    record_digest: Callable[[Digests], None],
) -> FileResult:
    """Writes the file create-only; `record_digest` keeps its digests before the final write."""
    started = time.perf_counter()
    try:
        stored = writer.write(
            ObjectSpec(spec.key, dataset.content_type, _metadata(dataset, spec)),
            generate(dataset.format, spec.size_bytes, spec.seed),
            deadline,
            spec.size_bytes,
            record_digest,
        )
    except KeyTakenError as taken:
        # Written by an earlier attempt of the same chunk between the digest and its record:
        # the same bytes, as this write sent them.
        if taken.sent is None:
            raise
        sent = replace(
            base, sha256=taken.sent.sha256, checksum_crc64nvme=taken.sent.checksum_crc64nvme
        )
        return _found(dataset, spec, writer.existing(spec.key), base, sent)
    return replace(
        base,
        sha256=stored.sha256,
        etag=stored.etag,
        version_id=stored.version_id,
        checksum_crc64nvme=stored.checksum_crc64nvme,
        write_ms=(time.perf_counter() - started) * 1000,
    )


def _found(
    dataset: Dataset,
    spec: dataset_plan.FileSpec,
    found: ExistingObject,
    base: FileResult,
    sent: FileResult,
) -> FileResult:
    """The file an earlier attempt wrote, once its metadata, size and the CRC64NVME S3 stores
    (against the digests `sent` recorded, when they hold one) show it is this file."""
    expected = _metadata(dataset, spec)
    # A result recorded before objects carried a checksum has none: S3's is the object's.
    checksum = sent.checksum_crc64nvme or found.checksum_crc64nvme
    if (
        {name: found.metadata.get(name) for name in expected} != expected
        or found.size_bytes != spec.size_bytes
        or found.checksum_crc64nvme not in (None, checksum)
    ):
        raise StorageError(
            f"s3://{found.bucket}/{spec.key} exists but is not this dataset's file"
            f" (metadata {found.metadata}, {found.size_bytes} bytes,"
            f" CRC64NVME {found.checksum_crc64nvme})"
        )
    return replace(
        base,
        sha256=sent.sha256,
        checksum_crc64nvme=checksum,
        etag=found.etag,
        version_id=found.version_id,
    )


def _failed(base: FileResult, error: ServiceError) -> FileResult:
    return replace(base, error_code=error.code, error_message=error.message)


# --- Finalize -----------------------------------------------------------------------------------


@_retried_when_unavailable
def finalize(
    dataset_id: str, store: DatasetStore, writer: BucketWriter, deadline: Deadline
) -> DatasetRun:
    """Once every chunk has ended: writes both manifests create-only under the dataset's prefix
    and ends the dataset, `succeeded` when every file was written, else `failed` with its failed
    files listed."""
    dataset = store.get(dataset_id)
    if dataset is None or dataset.is_final or not dataset.all_chunks_ended:
        # Not yet: the delivery that ends the last chunk sends another message.
        return DatasetRun(dataset)
    held = _claim(dataset_id, store, deadline)
    if isinstance(held, DatasetRun):
        return held
    results: list[FileResult] = []
    for number in range(held.chunks):
        chunk = store.get_chunk(dataset_id, number)
        if chunk is None:
            raise JobsUnavailableError(f"chunk {number} of dataset {dataset_id} is missing")
        results.extend(chunk.results[index] for index in sorted(chunk.results))
    written = [result for result in results if result.written]
    failed = [result.failure() for result in results if not result.written]
    jsonl, csv = manifest.manifests(held.bucket, written)
    for key, body, content_type in (
        (held.manifest_key, jsonl, MANIFEST_CONTENT_TYPES[0]),
        (held.manifest_csv_key, csv, MANIFEST_CONTENT_TYPES[1]),
    ):
        _write_manifest(
            held, key, body, content_type=content_type, writer=writer, deadline=deadline
        )
    status = JobStatus.SUCCEEDED if not failed and len(written) == held.count else JobStatus.FAILED
    ended = store.end(held, status, failed)
    return DatasetRun(ended, ended=ended is not None and ended.status is status)


def _write_manifest(
    dataset: Dataset,
    key: str,
    body: bytes,
    *,
    content_type: str,
    writer: BucketWriter,
    deadline: Deadline,
) -> None:
    """Create-only: a manifest an earlier attempt wrote holds the same lines (the chunks were
    final then), so it stays."""
    try:
        writer.write(
            ObjectSpec(key, content_type, {DATASET_ID_METADATA: dataset.dataset_id}),
            [body],
            deadline,
            len(body),
        )
    except KeyTakenError:
        logger.info("manifest already written", extra={"key": key})


# --- Dead-letter queue --------------------------------------------------------------------------


def abandon(
    dataset_id: str,
    chunk_number: int | None,
    store: DatasetStore,
    writer: BucketWriter,
    deadline: Deadline,
) -> DatasetRun:
    """A dataset's message from the dead-letter queue: every delivery of it ended without a
    result. A chunk ends with the files its attempts wrote recorded and the others `failed`; a
    fan-out ends every chunk that never started; then the dataset is finalized here, without a
    message, once every chunk has ended."""
    try:
        if chunk_number is not None:
            outcome = _abandon_chunk(dataset_id, chunk_number, store, writer, deadline)
        else:
            outcome = _abandon_fan_out(dataset_id, store, deadline)
        if outcome is not None:
            return outcome
    except TRANSIENT_ERRORS:
        return DatasetRun(None, retry=True)
    return finalize(dataset_id, store, writer, deadline)


def _abandon_chunk(
    dataset_id: str, number: int, store: DatasetStore, writer: BucketWriter, deadline: Deadline
) -> DatasetRun | None:
    dataset = store.get(dataset_id)
    chunk = store.get_chunk(dataset_id, number)
    if dataset is None or chunk is None or chunk.is_final:
        return DatasetRun(dataset) if dataset is None or chunk is None else None
    claim = store.claim_chunk(dataset_id, number, _lease_ms(deadline))
    held = claim.item
    if held is None or held.is_final:
        return None
    if not claim.held:
        # The attempt that holds it may still finish: not failed under it.
        return DatasetRun(dataset, retry=True)
    # This delivery's own claim is not an attempt at the files.
    abandoned = JobAbandonedError(
        f"every delivery of chunk {number} ended without a result ({held.attempt - 1} attempts:"
        " killed, out of memory or timed out); see the worker's logs"
    )
    for index in held.indexes:
        recorded = held.results.get(index)
        if recorded is not None and recorded.ended:
            continue
        spec = _spec(dataset, index)
        base = FileResult(index=index, key=spec.key, size_bytes=spec.size_bytes, seed=spec.seed)
        result = None
        if recorded is not None and recorded.sha256 is not None:
            found = writer.exists(spec.key)
            if found is not None:
                try:
                    result = _found(dataset, spec, found, base, recorded)
                except StorageError as error:
                    result = _failed(base, error)
        if result is None:
            writer.abort_uploads(spec.key)
            result = _failed(base, abandoned)
        held = with_result(held, result)
    store.end_chunk(dataset, held, held.results)
    return None


def _abandon_fan_out(dataset_id: str, store: DatasetStore, deadline: Deadline) -> DatasetRun | None:
    dataset = store.get(dataset_id)
    if dataset is None or dataset.is_final:
        return DatasetRun(dataset)
    if dataset.fanned_out:
        return None
    held = _claim(dataset_id, store, deadline)
    if isinstance(held, DatasetRun):
        return held
    abandoned = JobAbandonedError(
        f"every delivery of the dataset's fan-out ended without a result ({held.attempt - 1}"
        " attempts); see the worker's logs"
    )
    for number in range(held.chunks):
        store.put_chunk(held, number)
        chunk = store.get_chunk(dataset_id, number)
        if chunk is None or chunk.status is not JobStatus.QUEUED:
            # Running or ended: its own message (or the dead-letter queue) ends it.
            continue
        results = {
            index: _failed(
                FileResult(
                    index=index,
                    key=(spec := _spec(held, index)).key,
                    size_bytes=spec.size_bytes,
                    seed=spec.seed,
                ),
                abandoned,
            )
            for index in chunk.indexes
        }
        store.abandon_unstarted_chunk(held, chunk, results)
    store.fanned_out(held)
    return None
