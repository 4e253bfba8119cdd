"""When the client sends a request again, and how long it waits first (tenacity does the loop)."""

from __future__ import annotations

from dataclasses import dataclass

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    wait_random_exponential,
)

from randfile_client.errors import ApiError, TransportError

# A throttled call (429) or a temporary failure the function reports with Retry-After (503: S3
# throttling, its own deadline) wrote nothing, so sending it again cannot duplicate a file; nor
# can a 409, the first request with the same Idempotency-Key still running: a retry gets its answer.
RETRYABLE_STATUSES = frozenset({429, 503})
IN_PROGRESS_CODE = "idempotency_key_in_use"
# ...except a spent usage-plan quota: it answers 429 until the quota period restarts.
FINAL_CODES = frozenset({"quota_exceeded"})


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; waits follow Retry-After, else exponential backoff with full
    jitter from `initial_wait`, each wait at most `max_wait` seconds. A Retry-After longer than
    `max_wait` ends the retries: the server says a retry now would be refused too."""

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 20.0
    throttled_for: float = 120.0
    """How long a request the stage's rate limit throttles (429, not a spent quota) is sent again,
    past `attempts`: a batch of parallel requests above the rate limit is refused a share of its
    requests all along (API Gateway's token bucket,
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html),
    a throttled request wrote nothing, and the batch gets through at the limit's rate. With
    `attempts` 1 nothing is retried."""

    def should_retry(self, error: BaseException) -> bool:
        """Whether to send a request again. A GET changes nothing, and every POST carries an
        Idempotency-Key, so sending either again is safe whatever became of the first: a POST
        that reached the API is answered with its first outcome, never a second file."""
        if isinstance(error, TransportError):
            return True
        if not isinstance(error, ApiError):
            return False
        in_progress = error.status == 409 and error.code == IN_PROGRESS_CODE
        if not (error.status in RETRYABLE_STATUSES or in_progress) or error.code in FINAL_CODES:
            return False
        return error.retry_after is None or error.retry_after <= self.max_wait

    def wait_before(self, state: RetryCallState) -> float:
        """Seconds to wait before the next try: the failed answer's Retry-After, else backoff."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ApiError) and error.retry_after is not None:
            return error.retry_after
        backoff = wait_random_exponential(multiplier=self.initial_wait, max=self.max_wait)
        return float(backoff(state))

    def stops(self, state: RetryCallState) -> bool:
        """After `attempts` tries; a throttled request goes on until `throttled_for` seconds after
        its first try."""
        if self.attempts <= 1:
            return True
        error = state.outcome.exception() if state.outcome else None
        throttled = isinstance(error, ApiError) and error.status == 429
        if throttled and (state.seconds_since_start or 0.0) < self.throttled_for:
            return False
        return state.attempt_number >= self.attempts

    def retrying(self) -> Retrying:
        """A tenacity loop that follows this policy and raises the last error when it stops."""
        return Retrying(
            stop=self.stops,
            wait=self.wait_before,
            retry=retry_if_exception(self.should_retry),
            reraise=True,
        )
