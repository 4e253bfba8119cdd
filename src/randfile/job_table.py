"""What the job table's stores share: their timestamps, the mechanics of an item held under a
lease (`ItemStore`), and one mapping of DynamoDB's failures (randfile.jobs for jobs,
randfile.datasets for datasets and their chunks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from randfile.errors import JobsUnavailableError
from randfile.storage import RETRY_AFTER_SECONDS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

QUEUED = "queued"
RUNNING = "running"
"""The two states in which an item is not final (randfile.jobs.JobStatus holds all four)."""

HELD = "#status = :running AND #attempt = :attempt"
"""The condition of a write by the delivery that holds the item: `running` under its attempt."""

CLAIMABLE = "#status = :queued OR (#status = :running AND lease_expires_at < :now_ms)"
"""The condition of a claim: no delivery has taken the item, or the one that did was killed."""


def now() -> datetime:
    return datetime.now(UTC)


def timestamp(moment: datetime) -> str:
    """ISO 8601 UTC to the millisecond, as `created_at` and `updated_at` hold it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_Item = TypeVar("_Item")


@dataclass(frozen=True)
class Claimed(Generic[_Item]):
    """What a claim found: the item after it (None: there is none) and whether this delivery
    holds it now."""

    item: _Item | None
    held: bool


class ItemStore:
    """The items of one table, each kept until its `expiration` and held by one delivery at a
    time. Jobs, datasets and chunks are written through these few methods, so an expired item is
    gone for every read and write, and a claim means the same for each. Every failure to reach
    DynamoDB is a JobsUnavailableError."""

    _item_name = "item"
    """What the error messages call an item (a subclass names its own)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        retention_days: int,
        now: Callable[[], datetime] = now,
    ) -> None:
        self._client = client
        self._table = table
        self._retention = timedelta(days=retention_days)
        self._now = now

    def _expiration(self, created: datetime) -> int:
        """The TTL attribute of an item created at `created`: epoch seconds."""
        return int((created + self._retention).timestamp())

    def _put_new(self, item: dict[str, AttributeValueTypeDef], doing: str) -> None:
        """Stores an item; never replaces one: an existing id raises ConditionFailedError."""
        with dynamodb_errors(self._table, doing):
            self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(id)"
            )

    def _get(self, item_id: str, doing: str = "") -> dict[str, Any] | None:
        """The item, or None when it does not exist or has expired: TTL deletes expired items
        within days, not at once, and until then reads still return them
        (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html)."""
        with dynamodb_errors(self._table, doing or f"read the {self._item_name}"):
            item = self._client.get_item(
                TableName=self._table, Key={"id": {"S": item_id}}, ConsistentRead=True
            ).get("Item")
        if item is None or int(item["expiration"]["N"]) <= self._now().timestamp():
            return None
        return dict(item)

    @staticmethod
    def _held(attempt: int) -> dict[str, AttributeValueTypeDef]:
        """The values of HELD for the delivery of `attempt`."""
        return {":running": {"S": RUNNING}, ":attempt": {"N": str(attempt)}}

    def _claim(self, item_id: str, lease_ms: int) -> tuple[dict[str, Any] | None, bool]:
        """Takes the item for one delivery: CLAIMABLE becomes `running` under a new attempt whose
        lease ends `lease_ms` from now. An earlier attempt's error does not outlive the claim."""
        now_ms = int(self._now().timestamp() * 1000)
        return self._update(
            item_id,
            "SET #status = :running, #attempt = if_not_exists(#attempt, :zero) + :one,"
            " lease_expires_at = :lease, updated_at = :now REMOVE error_code, error_message",
            CLAIMABLE,
            {
                ":running": {"S": RUNNING},
                ":queued": {"S": QUEUED},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":lease": {"N": str(now_ms + lease_ms)},
                ":now_ms": {"N": str(now_ms)},
            },
        )

    def _update(
        self,
        item_id: str,
        update: str,
        condition: str,
        values: dict[str, AttributeValueTypeDef],
        names: dict[str, str] | None = None,
    ) -> tuple[dict[str, Any] | None, bool]:
        """One conditional UpdateItem, never on an expired item: the item after the update and
        whether it was made; when its condition failed, the item as it is (None: there is none,
        or it expired). `:now` is the current timestamp unless `values` gives it."""
        expressions = update + condition
        values = {
            ":now": {"S": timestamp(self._now())},
            **values,
            ":epoch": {"N": str(int(self._now().timestamp()))},
        }
        try:
            with dynamodb_errors(self._table, f"update the {self._item_name}"):
                answer = self._client.update_item(
                    TableName=self._table,
                    Key={"id": {"S": item_id}},
                    UpdateExpression=update,
                    ConditionExpression=f"expiration > :epoch AND ({condition})",
                    ExpressionAttributeNames={**status_and_attempt(expressions), **(names or {})},
                    # DynamoDB refuses a value that no expression uses.
                    ExpressionAttributeValues={
                        name: value
                        for name, value in values.items()
                        if name in expressions or name == ":epoch"
                    },
                    ReturnValues="ALL_NEW",
                )
        except ConditionFailedError:
            return self._get(item_id), False
        return dict(answer["Attributes"]), True


def status_and_attempt(expression: str) -> dict[str, str]:
    """The attribute names behind the placeholders #status (`status` is a reserved word in
    DynamoDB's expressions) and #attempt, where `expression` uses them."""
    return {name: name[1:] for name in ("#status", "#attempt") if name in expression}


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
