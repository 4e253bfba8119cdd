"""The API's dataset use cases: `POST /datasets` plans and stores a dataset and queues its fan-out;
`GET /datasets/{dataset_id}` reports it. The worker does the rest (randfile.dataset_deliveries)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from randfile import dataset_plan, metrics
from randfile.datasets import MAX_FAILED_FILES_LISTED, Dataset, DatasetStore, FailedFile
from randfile.errors import BadRequestError, NotFoundError, ServiceError
from randfile.job_queue import JobQueue, dataset_message
from randfile.jobs import JobStatus
from randfile.keys import ulid
from randfile.request import MAX_SEED, DatasetRequest

DATASETS_FOLDER = "datasets/"
"""A dataset's files are under `<key prefix>datasets/<dataset_id>/`."""


def start_dataset(
    request: DatasetRequest,
    *,
    bucket: str,
    key_prefix: str,
    max_dataset_bytes: int,
    store: DatasetStore,
    queue: JobQueue,
) -> Dataset:
    """Plans the dataset (every file's size, hence its total and its chunks), stores it `queued`
    and queues its fan-out message. A dataset above `max_dataset_bytes` is 400."""
    # Unseeded datasets still get a seed, drawn from the OS's CSPRNG and reported, as for /files.
    seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
    sizes = dataset_plan.all_sizes(seed, request.count, request.sizes)
    total = sum(sizes)
    if total > max_dataset_bytes:
        drawn = " (sizes drawn from the range with this seed)" if request.sizes.is_range else ""
        raise BadRequestError(
            f"count: {request.count} files of this size make {total} bytes{drawn}, above the"
            f" limit of {max_dataset_bytes} bytes per dataset (max_dataset_bytes); ask for fewer"
            " or smaller files"
        )
    dataset_id = ulid(datetime.now(UTC))
    dataset = store.new_dataset(
        dataset_id,
        bucket=bucket,
        prefix=f"{key_prefix}{DATASETS_FOLDER}{dataset_id}/",
        count=request.count,
        file_format=request.format,
        sizes=request.sizes,
        seed=seed,
        total_bytes=total,
        chunk_starts=dataset_plan.plan_chunks(sizes),
    )
    store.accept(dataset)
    try:
        queue.send_body(dataset_message(dataset_id))
    except ServiceError as error:
        # As for a job (randfile.files.start_job): ended `failed` while still `queued`, so a
        # message SQS took after all finds it final; if a delivery took it first, it runs.
        now = store.fail_unstarted(
            dataset, unstarted_files(dataset, error), error.code, error.message
        )
        if now is None or now.status is JobStatus.FAILED:
            metrics.dataset_failed()
            raise
        return now
    return dataset


def unstarted_files(dataset: Dataset, error: ServiceError) -> list[FailedFile]:
    """The first files of a dataset that never started, each failed with `error`."""
    return [
        FailedFile(
            index,
            dataset_plan.file_key(dataset.prefix, index, dataset.count, dataset.format),
            error.code,
            error.message,
        )
        for index in range(min(dataset.count, MAX_FAILED_FILES_LISTED))
    ]


def dataset_status(dataset_id: str, store: DatasetStore) -> Dataset:
    """`GET /datasets/{dataset_id}`."""
    dataset = store.get(dataset_id)
    if dataset is None:
        raise NotFoundError(f"no dataset {dataset_id}: it never existed or has expired")
    return dataset
