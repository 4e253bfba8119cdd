"""The jobs queue: `POST /files` sends a job's id to it, and Lambda's event source mapping hands
the message to the worker, at most `worker_max_concurrency` at a time, again after a visibility
timeout when a delivery did not finish, and to the dead-letter queue after the stack's
`job_max_receive_count` receives (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from randfile.errors import JobsUnavailableError
from randfile.storage import RETRY_AFTER_SECONDS

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


def job_message(job_id: str) -> str:
    """The body of a job's message; the worker reads the job from its item."""
    return json.dumps({"job_id": job_id})


class JobQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, job_id: str) -> None:
        """Queues the job; JobsUnavailableError when SQS did not say it took it (it may have)."""
        try:
            self._client.send_message(QueueUrl=self._queue_url, MessageBody=job_message(job_id))
        except (ClientError, BotoCoreError) as error:
            raise JobsUnavailableError(
                f"could not queue the job: {error}", retry_after_seconds=RETRY_AFTER_SECONDS
            ) from error

    def extend(self, receipt_handle: str, seconds: int) -> None:
        """Sets a received message's visibility timeout to `seconds` from now."""
        try:
            self._client.change_message_visibility(
                QueueUrl=self._queue_url,
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=seconds,
            )
        except (ClientError, BotoCoreError) as error:
            raise JobsUnavailableError(
                f"could not set the job message's visibility: {error}",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            ) from error
