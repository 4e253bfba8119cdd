"""Settings from the function's environment, validated once per invocation."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from randfile.errors import MisconfiguredError

logger = logging.getLogger(__name__)

DEFAULT_KEY_PREFIX = "random/"
DEFAULT_MAX_SYNC_BYTES = 104_857_600
DEFAULT_MAX_JOB_BYTES = 10 * 1024**3
DEFAULT_JOB_RETENTION_DAYS = 7
DEFAULT_MAX_DATASET_FILES = 10_000
DEFAULT_MAX_DATASET_BYTES = 1024**4
MAX_DATASET_FILES = 100_000
"""The largest max_dataset_files the stack accepts (infra/modules/function): a dataset's item
lists its chunks' first indexes (4,000 numbers at most), well within DynamoDB's 400 KB item, and
its fan-out and manifest fit in one worker invocation."""
MAX_DATASET_BYTES = 1024**5
"""The largest max_dataset_bytes the stack accepts: 1 PiB."""
MAX_JOB_RETENTION_DAYS = 365
S3_MAX_OBJECT_BYTES = 5 * 1024**4

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_KEY_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]{1,512}/$")
# https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html (TableName)
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
# A queue's URL and ARN; a queue name is 1-80 letters, digits, '-' and '_'
# (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
_QUEUE_URL = re.compile(r"^https?://[A-Za-z0-9.:-]+/[0-9]{12}/[A-Za-z0-9_-]{1,80}$")
_QUEUE_ARN = re.compile(r"^arn:aws[a-zA-Z-]*:sqs:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,80}$")


@dataclass(frozen=True)
class JobSettings:
    """Where asynchronous jobs are kept and queued."""

    table: str
    queue_url: str
    dead_letter_queue_arn: str
    retention_days: int


@dataclass(frozen=True)
class Settings:
    bucket: str
    bucket_owner: str
    key_prefix: str
    max_sync_bytes: int
    """The synchronous limit: the largest file written during the request."""
    max_job_bytes: int
    job_retention_days: int
    max_dataset_files: int
    max_dataset_bytes: int
    jobs_table: str | None
    job_queue_url: str | None
    job_dead_letter_queue_arn: str | None

    def jobs(self) -> JobSettings:
        """The jobs' settings; MisconfiguredError when the stack did not give them, so that only
        the asynchronous path fails and the synchronous one works without them."""
        if (
            self.jobs_table is None
            or self.job_queue_url is None
            or self.job_dead_letter_queue_arn is None
        ):
            missing = [
                name
                for name, value in (
                    ("RANDFILE_JOBS_TABLE", self.jobs_table),
                    ("RANDFILE_JOB_QUEUE_URL", self.job_queue_url),
                    ("RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN", self.job_dead_letter_queue_arn),
                )
                if value is None
            ]
            raise MisconfiguredError(f"{', '.join(missing)} must be set for jobs")
        return JobSettings(
            self.jobs_table,
            self.job_queue_url,
            self.job_dead_letter_queue_arn,
            self.job_retention_days,
        )


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Reads RANDFILE_* variables; any missing or malformed one raises MisconfiguredError."""
    bucket = environ.get("RANDFILE_BUCKET", "")
    if not _BUCKET_NAME.match(bucket):
        raise MisconfiguredError(
            "RANDFILE_BUCKET must be an S3 bucket name (3-63 lowercase letters, digits, '.', '-'),"
            f" got {bucket!r}"
        )
    owner = environ.get("RANDFILE_BUCKET_OWNER", "")
    if not _ACCOUNT_ID.match(owner):
        raise MisconfiguredError(
            f"RANDFILE_BUCKET_OWNER must be a 12-digit AWS account id, got {owner!r}"
        )
    prefix = environ.get("RANDFILE_KEY_PREFIX", DEFAULT_KEY_PREFIX)
    if not _KEY_PREFIX.match(prefix) or prefix.startswith("/") or "//" in prefix:
        raise MisconfiguredError(
            "RANDFILE_KEY_PREFIX must be a relative S3 key prefix ending in '/' (safe characters"
            f" only, no empty segment), got {prefix!r}"
        )
    return Settings(
        bucket=bucket,
        bucket_owner=owner,
        key_prefix=prefix,
        max_sync_bytes=_integer(
            _renamed(environ, "RANDFILE_MAX_SYNC_BYTES", "RANDFILE_MAX_BYTES"),
            "RANDFILE_MAX_SYNC_BYTES",
            DEFAULT_MAX_SYNC_BYTES,
            S3_MAX_OBJECT_BYTES,
        ),
        max_job_bytes=_integer(
            environ, "RANDFILE_MAX_JOB_BYTES", DEFAULT_MAX_JOB_BYTES, S3_MAX_OBJECT_BYTES
        ),
        job_retention_days=_integer(
            environ,
            "RANDFILE_JOB_RETENTION_DAYS",
            DEFAULT_JOB_RETENTION_DAYS,
            MAX_JOB_RETENTION_DAYS,
        ),
        max_dataset_files=_integer(
            environ, "RANDFILE_MAX_DATASET_FILES", DEFAULT_MAX_DATASET_FILES, MAX_DATASET_FILES
        ),
        max_dataset_bytes=_integer(
            environ, "RANDFILE_MAX_DATASET_BYTES", DEFAULT_MAX_DATASET_BYTES, MAX_DATASET_BYTES
        ),
        jobs_table=_optional_name(environ, "RANDFILE_JOBS_TABLE", _TABLE_NAME, "a DynamoDB table"),
        job_queue_url=_optional_name(
            environ, "RANDFILE_JOB_QUEUE_URL", _QUEUE_URL, "an SQS queue by its URL"
        ),
        job_dead_letter_queue_arn=_optional_name(
            environ, "RANDFILE_JOB_DEAD_LETTER_QUEUE_ARN", _QUEUE_ARN, "an SQS queue by its ARN"
        ),
    )


def _renamed(environ: Mapping[str, str], name: str, old_name: str) -> Mapping[str, str]:
    """`environ` with `old_name`'s value under `name` when only the old name is set: a renamed
    setting keeps working for a release (CHANGELOG.md), with a warning in the log."""
    if name in environ or old_name not in environ:
        return environ
    _warn_renamed(old_name, name)
    return {**environ, name: environ[old_name]}


@cache
def _warn_renamed(old_name: str, name: str) -> None:
    # Once per execution environment, not once per invocation.
    logger.warning(
        "setting renamed: %s is read as %s; set %s instead, %s goes in the next release",
        old_name,
        name,
        name,
        old_name,
    )


def _integer(environ: Mapping[str, str], name: str, default: int, high: int) -> int:
    raw = environ.get(name, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise MisconfiguredError(f"{name} must be an integer from 1 to {high}, got {raw!r}")
    return int(raw)


def _optional_name(
    environ: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str
) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    if not pattern.match(value):
        raise MisconfiguredError(f"{name} must name {what}, got {value!r}")
    return value
