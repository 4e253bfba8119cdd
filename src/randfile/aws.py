"""The function's AWS clients, made once per execution environment so that warm invocations reuse
their connections."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from randfile.botocore_check import require_conditional_writes
from randfile.config import JobSettings
from randfile.datasets import DatasetStore
from randfile.job_queue import JobQueue
from randfile.jobs import JobStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient


@lru_cache(maxsize=1)
def s3_client() -> S3Client:
    # A runtime whose SDK cannot write create-only is refused before the first request does any
    # work.
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


@lru_cache(maxsize=1)
def dynamodb_client() -> DynamoDBClient:
    return boto3.client(
        "dynamodb",
        config=Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=10),
    )


@lru_cache(maxsize=1)
def sqs_client() -> SQSClient:
    # The API queues jobs and the worker extends its message's visibility: small, quick calls.
    return boto3.client(
        "sqs",
        config=Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=10),
    )


def job_store(jobs: JobSettings) -> JobStore:
    return JobStore(dynamodb_client(), jobs.table, jobs.retention_days)


def job_queue(jobs: JobSettings) -> JobQueue:
    return JobQueue(sqs_client(), jobs.queue_url)


def dataset_store(jobs: JobSettings) -> DatasetStore:
    return DatasetStore(dynamodb_client(), jobs.table, jobs.retention_days)
