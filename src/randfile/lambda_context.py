"""What the functions read of Lambda's context object, and the deadline it sets.

Lambda ends an invocation at the function's timeout, wherever it is
(https://docs.aws.amazon.com/lambda/latest/dg/python-context.html): the handler and the worker stop
work they cannot finish while there is still time to clean up and answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from randfile.errors import DeadlineExceededError

DEADLINE_RESERVE_MS = 3000
"""Time kept back to abort an upload and answer before Lambda kills the invocation."""

COMPLETION_RESERVE_MS = 120_000
"""Time a job keeps for CompleteMultipartUpload, which AWS documents "could take several minutes"
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html)."""

COMPLETION_RESERVE_SHARE = 0.15
"""...but never more than this share of the invocation, so a short timeout still leaves time to
write. infra/modules/function's max_job_bytes validation keeps the same reserve out."""

RETRY_AFTER_SECONDS = 1


class LambdaContext(Protocol):
    """What the functions read of Lambda's context object."""

    @property
    def aws_request_id(self) -> str: ...

    def get_remaining_time_in_millis(self) -> int: ...


class Deadline:
    """Answers whether there is still time for more work, given Lambda's remaining time.

    `completion_reserve_ms` is kept back from every part (not from the completion itself), so that
    the upload's completion has the time it may take."""

    def __init__(
        self, remaining_ms: Callable[[], int] | None, completion_reserve_ms: float = 0
    ) -> None:
        self._remaining_ms = remaining_ms
        self.completion_reserve_ms = completion_reserve_ms

    @classmethod
    def for_job(cls, remaining_ms: Callable[[], int]) -> Deadline:
        """A job's deadline: the completion's reserve taken from the time the invocation has."""
        reserve = min(COMPLETION_RESERVE_MS, COMPLETION_RESERVE_SHARE * remaining_ms())
        return cls(remaining_ms, reserve)

    def remaining_ms(self) -> int | None:
        return None if self._remaining_ms is None else self._remaining_ms()

    def ensure(self, needed_ms: float, doing: str) -> None:
        if self._remaining_ms is None:
            return
        left = self._remaining_ms()
        if left < needed_ms + DEADLINE_RESERVE_MS:
            raise DeadlineExceededError(
                f"stopped before {doing}: {left} ms left of the function's timeout, about"
                f" {int(needed_ms)} ms needed; ask for a smaller file",
                retry_after_seconds=RETRY_AFTER_SECONDS,
            )
