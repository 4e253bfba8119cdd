"""Lambda entry point of the jobs' worker, `randfile.worker.handler`, fed by two SQS event source
mappings (infra/modules/function): the jobs queue, whose messages are `{"job_id": "<ULID>"}` as
`POST /files` sends them, or a dataset's (`{"dataset_id"}`, `{"dataset_id", "chunk": n}`,
`{"dataset_id", "finalize": true}`: randfile.dataset_deliveries), and its dead-letter queue, where
a message lands after every delivery of it ended without a result. The work is in
randfile.deliveries and randfile.dataset_deliveries.

Each record is answered on its own through Powertools' batch processor: a record whose job is done
(or that no delivery can ever do) is deleted; one that must come back later (another delivery holds
the job, a transient failure, an unexpected error) is reported in `batchItemFailures`, which the
mapping's `ReportBatchItemFailures` turns into a redelivery after the message's visibility timeout
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)

from randfile import dataset_deliveries, logs, metrics
from randfile.aws import dataset_store, job_queue, job_store, s3_client
from randfile.config import Settings, load_settings
from randfile.dataset_deliveries import DatasetRun
from randfile.deliveries import JobRun, abandon_job, run_job
from randfile.jobs import JobStatus
from randfile.keys import is_ulid
from randfile.lambda_context import Deadline, LambdaContext
from randfile.storage import BucketWriter

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext

logs.configure()
logger = logging.getLogger("randfile.worker")

VISIBILITY_MARGIN = 1.1
"""A delivery keeps its message hidden for its invocation's remaining time and a tenth more: a
killed attempt's message comes back soon after the attempt's deadline (when its lease on the job
has expired), not after the queue's own visibility timeout (six times the worker's timeout, as
Lambda recommends for a queue it polls)."""


class RetryLater(Exception):
    """The record's message must be delivered again (reported in batchItemFailures)."""


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logs.bind_request(context.aws_request_id)
    settings = load_settings(os.environ)
    answer = process_partial_response(
        event=event,
        record_handler=partial(_deliver, settings=settings, context=context),
        # Every record, whole batches included, is answered in the response: a batch whose every
        # record must come back is not an error of the function. One processor per invocation:
        # it keeps the batch's outcomes.
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=_powertools(context),
    )
    return dict(answer)


def _deliver(record: SQSRecord, *, settings: Settings, context: LambdaContext) -> None:
    try:
        _deliver_record(record, settings, context)
    except RetryLater:
        raise
    except Exception:
        logger.exception(
            "delivery failed; its message comes back", extra={"message_id": record.message_id}
        )
        raise


def _deliver_record(record: SQSRecord, settings: Settings, context: LambdaContext) -> None:
    message = _message(record.body)
    dataset = _dataset_message(message)
    job_id = message.get("job_id") if is_ulid(message.get("job_id")) else None
    if job_id is None and dataset is None:
        # No delivery of this message can succeed: deleted, and said so.
        logger.error("not a job message", extra={"message_id": record.message_id})
        return
    jobs = settings.jobs()
    writer = BucketWriter(s3_client(), settings.bucket, settings.bucket_owner)
    deadline = Deadline.for_job(context.get_remaining_time_in_millis)
    dead_letter = record.event_source_arn == jobs.dead_letter_queue_arn
    if not dead_letter:
        job_queue(jobs).extend(
            record.receipt_handle,
            math.ceil(context.get_remaining_time_in_millis() / 1000 * VISIBILITY_MARGIN) + 1,
        )
    if dataset is not None or job_id is None:
        if dataset is not None:
            _deliver_dataset(dataset, settings, writer, deadline, dead_letter=dead_letter)
        return
    store = job_store(jobs)
    if dead_letter:
        done = abandon_job(job_id, store, writer, deadline)
        _report(done, job_id, abandoned=True)
        return
    timer = metrics.GenerationTimer()
    done = run_job(job_id, store, writer, deadline, timer.watch)
    if done.ended and done.created is not None:
        metrics.file_written(done.created.format.value, done.created.size_bytes, timer)
    _report(done, job_id, abandoned=False)


def _report(done: JobRun, job_id: str, *, abandoned: bool) -> None:
    """Logs and counts what the delivery did; RetryLater when its message must come back."""
    if done.retry:
        logger.info(
            "job left for a later delivery",
            extra={"job_id": job_id, "status": done.job and done.job.status.value},
        )
        raise RetryLater(job_id)
    if done.job is None:
        logger.warning("no such job: expired or never accepted", extra={"job_id": job_id})
        return
    fields = done.job.status_fields()
    if not done.ended:
        logger.info("job already done", extra=fields)
    elif done.job.status is JobStatus.FAILED:
        metrics.job_failed(str(done.job.error_code), abandoned=abandoned)
        logger.warning("job failed", extra=fields)
    else:
        logger.info("file written", extra=fields)


@dataclass(frozen=True)
class _DatasetMessage:
    dataset_id: str
    chunk: int | None
    finalize: bool


def _message(body: str) -> dict[str, Any]:
    try:
        message = json.loads(body)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _dataset_message(message: dict[str, Any]) -> _DatasetMessage | None:
    dataset_id = message.get("dataset_id")
    chunk = message.get("chunk")
    finalize = message.get("finalize", False)
    if not is_ulid(dataset_id) or not isinstance(finalize, bool):
        return None
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 0):
        return None
    if chunk is not None and finalize:
        return None
    return _DatasetMessage(dataset_id, chunk, finalize)


def _deliver_dataset(
    message: _DatasetMessage,
    settings: Settings,
    writer: BucketWriter,
    deadline: Deadline,
    *,
    dead_letter: bool,
) -> None:
    jobs = settings.jobs()
    store = dataset_store(jobs)
    queue = job_queue(jobs)
    dataset_id = message.dataset_id
    if dead_letter:
        done = dataset_deliveries.abandon(
            dataset_id, None if message.finalize else message.chunk, store, writer, deadline
        )
    elif message.finalize:
        done = dataset_deliveries.finalize(dataset_id, store, writer, deadline)
    elif message.chunk is not None:
        done = dataset_deliveries.run_chunk(
            dataset_id, message.chunk, store=store, writer=writer, queue=queue, deadline=deadline
        )
    else:
        done = dataset_deliveries.fan_out(dataset_id, store, queue, deadline)
    _report_dataset(done, message)


def _report_dataset(done: DatasetRun, message: _DatasetMessage) -> None:
    """Logs and counts what a dataset's delivery did; RetryLater when its message comes back."""
    extra = {"dataset_id": message.dataset_id, "chunk": message.chunk, "finalize": message.finalize}
    if done.retry:
        logger.info("dataset's message left for a later delivery", extra=extra)
        raise RetryLater(message.dataset_id)
    if done.dataset is None:
        logger.warning("no such dataset: expired or never accepted", extra=extra)
        return
    if not done.ended:
        logger.info("dataset's message done", extra={**extra, "status": done.dataset.status.value})
        return
    fields = done.dataset.status_fields()
    fields.pop("failed_files", None)
    if done.dataset.status is JobStatus.FAILED:
        metrics.dataset_failed()
        logger.warning("dataset failed", extra=fields)
    else:
        logger.info("dataset written", extra=fields)


def _powertools(context: LambdaContext) -> PowertoolsContext:
    """Powertools types its context parameter with its own class; Lambda's object is the same."""
    return context  # type: ignore[return-value]
