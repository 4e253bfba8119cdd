"""Lambda entry point for `POST /files`, `GET /files/{job_id}`, `POST /datasets` and
`GET /datasets/{dataset_id}`: adapts the proxy event to the use cases and their results, or errors,
to the proxy response. The work is in randfile.files and randfile.datasets_service."""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from randfile import idempotency, logs, metrics
from randfile.aws import dataset_store, job_queue, job_store, s3_client
from randfile.config import Settings, load_settings
from randfile.datasets_service import dataset_status, start_dataset
from randfile.errors import MisconfiguredError, ServiceError
from randfile.files import create_file, job_status, start_job
from randfile.lambda_context import Deadline, LambdaContext
from randfile.request import (
    DatasetRequest,
    FileRequest,
    Mode,
    Route,
    check_route,
    parse_dataset_id,
    parse_dataset_request,
    parse_job_id,
    parse_request,
    status_url,
)
from randfile.responses import error_response, json_response
from randfile.storage import BucketWriter

logs.configure()
logger = logging.getLogger("randfile.handler")


@dataclass(frozen=True)
class _Answer:
    status: int
    body: dict[str, Any]
    log_message: str
    headers: dict[str, str] = field(default_factory=dict)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logs.bind_request(context.aws_request_id)
    try:
        answer = _answer(event, context)
    except ServiceError as error:
        return _refusal(error)
    except Exception:
        logger.exception("unexpected failure")
        return error_response(ServiceError("internal error; see the function's logs"))
    logger.info(answer.log_message, extra=answer.body)
    return json_response(answer.status, answer.body, answer.headers)


@metrics.count_failures
def _answer(event: dict[str, Any], context: LambdaContext) -> _Answer:
    settings = load_settings(os.environ)
    route = check_route(event)
    if route is Route.STATUS:
        job_id = parse_job_id(event)
        job = job_status(job_id, job_store(settings.jobs()))
        return _Answer(200, job.status_fields(), "job status read")
    if route is Route.DATASET_STATUS:
        dataset = dataset_status(parse_dataset_id(event), dataset_store(settings.jobs()))
        return _Answer(200, dataset.status_fields(), "dataset status read")
    request: FileRequest | DatasetRequest
    if route is Route.CREATE_DATASET:
        request = parse_dataset_request(event, settings.max_dataset_files, settings.max_job_bytes)
    else:
        request = parse_request(event, settings.max_sync_bytes, settings.max_job_bytes)
    key = idempotency.idempotency_key(event.get("headers"))
    if key is None:
        return _create(event, request, settings, context)
    # A retry with the key gets the first answer again: the same file or job, no new object.
    made: list[_Answer] = []

    def first() -> dict[str, Any]:
        made.append(_create(event, request, settings, context))
        return asdict(made[0])

    remembered = idempotency.once(
        key,
        scope=idempotency.caller_scope(event),
        request=request.fields(),
        jobs=settings.jobs(),
        context=context,
        answer=first,
    )
    if made:
        return made[0]
    again = _Answer(**remembered)
    return replace(
        again, log_message=f"{again.log_message} before: answered again (Idempotency-Key)"
    )


_WRITTEN = "file written"
_ACCEPTED = "job accepted"


def _create(
    event: dict[str, Any],
    request: FileRequest | DatasetRequest,
    settings: Settings,
    context: LambdaContext,
) -> _Answer:
    """POST /files: the file written at once (201), or the job started (202); POST /datasets:
    the dataset started (202)."""
    if isinstance(request, DatasetRequest):
        return _start_dataset(event, request, settings)
    if request.mode is Mode.ASYNC:
        return _start_job(event, request, settings)
    writer = BucketWriter(s3_client(), settings.bucket, settings.bucket_owner)
    deadline = Deadline(context.get_remaining_time_in_millis)
    timer = metrics.GenerationTimer()
    created = create_file(request, writer, settings.key_prefix, deadline, timer.watch)
    metrics.file_written(created.format.value, created.size_bytes, timer)
    return _Answer(201, created.fields(), _WRITTEN)


def _start_job(event: dict[str, Any], request: FileRequest, settings: Settings) -> _Answer:
    jobs = settings.jobs()
    job = start_job(request, settings.bucket, settings.key_prefix, job_store(jobs), job_queue(jobs))
    url = status_url(event, job.job_id)
    return _Answer(202, job.accepted_fields(url), _ACCEPTED, {"Location": url})


_DATASET_ACCEPTED = "dataset accepted"


def _start_dataset(event: dict[str, Any], request: DatasetRequest, settings: Settings) -> _Answer:
    jobs = settings.jobs()
    dataset = start_dataset(
        request,
        bucket=settings.bucket,
        key_prefix=settings.key_prefix,
        max_dataset_bytes=settings.max_dataset_bytes,
        store=dataset_store(jobs),
        queue=job_queue(jobs),
    )
    url = status_url(event, dataset.dataset_id)
    return _Answer(202, dataset.accepted_fields(url), _DATASET_ACCEPTED, {"Location": url})


def _refusal(error: ServiceError) -> dict[str, Any]:
    """Logs why the request failed and answers the caller with as much as it may know."""
    if isinstance(error, MisconfiguredError):
        logger.error("service is misconfigured", extra={"reason": error.message})
        return error_response(
            MisconfiguredError("the service is misconfigured; its operators have been logged why")
        )
    level = logging.WARNING if error.status < 500 else logging.ERROR
    logger.log(
        level,
        "request failed",
        extra={"status": error.status, "code": error.code, "reason": error.message},
    )
    return error_response(error)
