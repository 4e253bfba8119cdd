"""Lambda entry point for `POST /files`: adapts the proxy event to the use case and its result,
or its error, to the proxy response. The work is in randfile.files."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore.config import Config

from randfile import logs, metrics
from randfile.config import load_settings
from randfile.errors import MisconfiguredError, ServiceError
from randfile.files import CreatedFile, create_file
from randfile.request import check_route, parse_request
from randfile.responses import error_response, json_response
from randfile.sdk import require_conditional_writes
from randfile.storage import BucketWriter, Deadline

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logs.configure()
logger = logging.getLogger("randfile.handler")


class LambdaContext(Protocol):
    """What the handler reads of Lambda's context object
    (https://docs.aws.amazon.com/lambda/latest/dg/python-context.html)."""

    @property
    def aws_request_id(self) -> str: ...

    def get_remaining_time_in_millis(self) -> int: ...


@lru_cache(maxsize=1)
def s3_client() -> S3Client:
    # Created once per execution environment so warm invocations reuse connections; a runtime
    # whose SDK cannot write create-only is refused before the first request does any work.
    client = boto3.client(
        "s3",
        config=Config(
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=30,
        ),
    )
    require_conditional_writes(client)
    return client


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logs.bind_request(context.aws_request_id)
    try:
        created = _create_file(event, context)
    except ServiceError as error:
        return _refusal(error)
    except Exception:
        logger.exception("unexpected failure")
        return error_response(ServiceError("internal error; see the function's logs"))
    fields = created.fields()
    logger.info("file written", extra=fields)
    return json_response(201, fields)


@metrics.count_failures
def _create_file(event: dict[str, Any], context: LambdaContext) -> CreatedFile:
    settings = load_settings(os.environ)
    check_route(event)
    request = parse_request(event, settings.max_bytes)
    writer = BucketWriter(s3_client(), settings.bucket, settings.bucket_owner)
    deadline = Deadline(context.get_remaining_time_in_millis)
    timer = metrics.GenerationTimer()
    created = create_file(request, writer, settings.key_prefix, deadline, timer.watch)
    metrics.file_written(created.format.value, created.size_bytes, timer)
    return created


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
