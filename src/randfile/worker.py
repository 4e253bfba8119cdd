"""Lambda entry point of the jobs' worker, `randfile.worker.handler`: the API function starts it
with an asynchronous (Event) invoke whose payload is `{"job_id": "<ULID>"}`; the job's file is
described by its item in the job table. The work is in randfile.files.run_job.

Lambda may deliver one event more than once, and retries a failed run (twice, as the stack's
event invoke config says; https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
Powertools' idempotency utility, keyed on the job id, lets one delivery run a job at a time and
answers a later one with the recorded outcome; a delivery that comes after that record has gone
finds the job `succeeded` in its item and leaves it so; and one that follows a run killed between
writing the object and recording it meets S3's 412 and records the object it finds.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
)

from randfile import logs, metrics
from randfile.aws import job_store, s3_client
from randfile.config import Settings, load_settings
from randfile.files import run_job
from randfile.idempotency import recorded
from randfile.jobs import JobStatus
from randfile.keys import is_ulid
from randfile.storage import BucketWriter, Deadline

if TYPE_CHECKING:
    from randfile.handler import LambdaContext

logs.configure()
logger = logging.getLogger("randfile.worker")


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logs.bind_request(context.aws_request_id)
    job_id = event.get("job_id") if isinstance(event, dict) else None
    if not is_ulid(job_id):
        # No delivery of this event can succeed: answered, so that Lambda does not retry it.
        logger.error("not a job event", extra={"event": event})
        return {"job_id": job_id, "status": "rejected"}
    settings = load_settings(os.environ)
    jobs = settings.jobs()
    run = recorded(
        _run, data_keyword_argument="job", event_key_jmespath="job_id", jobs=jobs, context=context
    )
    try:
        outcome: dict[str, Any] = run(job={"job_id": job_id}, context=context, settings=settings)
    except IdempotencyAlreadyInProgressError:
        logger.info("job is being run by another delivery", extra={"job_id": job_id})
        return {"job_id": job_id, "status": JobStatus.RUNNING.value}
    return outcome


@metrics.count_failures
def _run(job: dict[str, str], context: LambdaContext, settings: Settings) -> dict[str, Any]:
    jobs = settings.jobs()
    writer = BucketWriter(s3_client(), settings.bucket, settings.bucket_owner)
    timer = metrics.GenerationTimer()
    done = run_job(
        job["job_id"],
        job_store(jobs),
        writer,
        Deadline(context.get_remaining_time_in_millis),
        timer.watch,
    )
    if done.job is None:
        logger.warning("no such job: expired or never accepted", extra=job)
        return {"job_id": job["job_id"], "status": "unknown"}
    fields = done.job.status_fields()
    if done.created is not None:
        metrics.file_written(done.created.format.value, done.created.size_bytes, timer)
        logger.info("file written", extra=fields)
    elif done.job.status is JobStatus.FAILED:
        metrics.request_failed(str(done.job.error_code))
        logger.warning("job failed", extra=fields)
    else:
        logger.info("job already done", extra=fields)
    return fields
