"""What the job table's stores share: their timestamps, the condition of a holder's write, and
one mapping of DynamoDB's failures (randfile.jobs for jobs, randfile.datasets for datasets)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from randfile.errors import JobsUnavailableError
from randfile.storage import RETRY_AFTER_SECONDS

HELD = "#status = :running AND #attempt = :attempt"
"""The condition of a write by the delivery that holds the item: `running` under its attempt."""


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """ISO 8601 UTC to the millisecond, as `created_at` and `updated_at` hold it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ConditionFailedError(JobsUnavailableError):
    """A conditional write found the item in another state than it required."""


@contextmanager
def dynamodb_errors(table: str, doing: str) -> Iterator[None]:
    """A failed condition becomes a ConditionFailedError (the caller reads the item as it is);
    any other failure to reach DynamoDB a JobsUnavailableError the client may retry."""
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        if code == "ConditionalCheckFailedException" or (
            code == "TransactionCanceledException" and _condition_cancelled(error)
        ):
            raise ConditionFailedError(f"could not {doing}: its condition failed") from error
        raise JobsUnavailableError(
            f"could not {doing} in table {table}: {code}",
            retry_after_seconds=RETRY_AFTER_SECONDS,
        ) from error
    except BotoCoreError as error:
        raise JobsUnavailableError(
            f"could not reach DynamoDB to {doing}: {error}",
            retry_after_seconds=RETRY_AFTER_SECONDS,
        ) from error


def _condition_cancelled(error: ClientError) -> bool:
    """Whether a cancelled transaction failed on a condition (not on a conflict or throttling,
    which a retry may pass): its CancellationReasons, one per action, name the one that did
    (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html)."""
    reasons: list[Any] = list(error.response.get("CancellationReasons", []))
    if reasons:
        return any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons)
    return "ConditionalCheckFailed" in str(error.response.get("Error", {}).get("Message", ""))
