"""The jobs queue: `POST /files` sends a job's id to it, and Lambda's event source mapping hands
the message to the worker, at most `worker_max_concurrency` at a time, again after a visibility
timeout when a delivery did not finish, and to the dead-letter queue after the stack's
`job_max_receive_count` receives (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from randfile.errors import JobsUnavailableError
from randfile.storage import RETRY_AFTER_SECONDS

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef


BATCH_SIZE = 10
"""Messages per SendMessageBatch at most
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html)."""


def job_message(job_id: str) -> str:
    """The body of a job's message; the worker reads the job from its item."""
    return json.dumps({"job_id": job_id})


def dataset_message(dataset_id: str, *, chunk: int | None = None, finalize: bool = False) -> str:
    """A dataset's messages: its fan-out `{"dataset_id"}`, one per chunk `{"dataset_id",
    "chunk"}` and its finalize `{"dataset_id", "finalize": true}` (randfile.worker)."""
    message: dict[str, object] = {"dataset_id": dataset_id}
    if chunk is not None:
        message["chunk"] = chunk
    if finalize:
        message["finalize"] = True
    return json.dumps(message)


class JobQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def send(self, job_id: str) -> None:
        """Queues the job; JobsUnavailableError when SQS did not say it took it (it may have)."""
        self.send_body(job_message(job_id))

    def send_body(self, body: str) -> None:
        """Queues one message; JobsUnavailableError when SQS did not say it took it."""
        try:
            self._client.send_message(QueueUrl=self._queue_url, MessageBody=body)
        except (ClientError, BotoCoreError) as error:
            raise JobsUnavailableError(
                f"could not queue the message: {error}", retry_after_seconds=RETRY_AFTER_SECONDS
            ) from error

    def send_batch(self, bodies: Sequence[str]) -> None:
        """Queues the messages, ten to a SendMessageBatch (authorized as sqs:SendMessage);
        JobsUnavailableError when SQS did not take one of them (some may have been taken: their
        receivers absorb duplicates)."""
        for start in range(0, len(bodies), BATCH_SIZE):
            entries: list[SendMessageBatchRequestEntryTypeDef] = [
                {"Id": str(number), "MessageBody": body}
                for number, body in enumerate(bodies[start : start + BATCH_SIZE])
            ]
            try:
                answer = self._client.send_message_batch(QueueUrl=self._queue_url, Entries=entries)
            except (ClientError, BotoCoreError) as error:
                raise JobsUnavailableError(
                    f"could not queue the messages: {error}",
                    retry_after_seconds=RETRY_AFTER_SECONDS,
                ) from error
            # A batch succeeds as a call while entries in it fail, each named in `Failed`.
            failed = answer.get("Failed", [])
            if failed:
                raise JobsUnavailableError(
                    f"SQS did not take {len(failed)} of {len(entries)} messages:"
                    f" {failed[0].get('Code')}",
                    retry_after_seconds=RETRY_AFTER_SECONDS,
                )

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
