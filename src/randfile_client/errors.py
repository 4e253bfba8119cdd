"""What the client raises: RandfileError and, below it, one class for each reason a call failed."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Only a type here: models.py raises RandfileError, so it imports this module.
    from randfile_client.models import RawResponse


class RandfileError(Exception):
    """Anything the client could not do; the subclasses say why."""


class ConfigurationError(RandfileError):
    """The client lacks something to make the call: endpoint, region, credentials, API key."""


class TransportError(RandfileError):
    """The API could not be reached (connection refused, DNS, TLS, timeout)."""


class JobFailedError(RandfileError):
    """A job the API accepted ended `failed`; `code` and `message` are the API's own."""

    def __init__(self, job_id: str, code: str, message: str) -> None:
        self.job_id = job_id
        self.code = code
        self.message = message
        super().__init__(f"job {job_id} failed: {code}: {message}")


class _WaitLimitError(RandfileError):
    """What the API accepted had not ended when the wait's limit came; it goes on, and
    `status_url` follows it. `what` names it in the message (`job <id>`, `dataset <id>`)."""

    def __init__(self, what: str, status_url: str, status: str, waited_seconds: float) -> None:
        self.status_url = status_url
        self.status = status
        self.waited_seconds = waited_seconds
        super().__init__(
            f"{what} still {status} after {waited_seconds:.0f} s; it goes on: {status_url}"
        )


class JobTimeoutError(_WaitLimitError):
    """A job had not ended when the wait's limit came; it goes on, and `status_url` follows it."""

    def __init__(self, job_id: str, status_url: str, status: str, waited_seconds: float) -> None:
        self.job_id = job_id
        super().__init__(f"job {job_id}", status_url, status, waited_seconds)


class DatasetTimeoutError(_WaitLimitError):
    """A dataset had not ended when the wait's limit came; it goes on, and `status_url` follows
    it."""

    def __init__(
        self, dataset_id: str, status_url: str, status: str, waited_seconds: float
    ) -> None:
        self.dataset_id = dataset_id
        super().__init__(f"dataset {dataset_id}", status_url, status, waited_seconds)


class ApiError(RandfileError):
    """The API answered with an error; `code` and `message` are the API's own."""

    def __init__(self, response: RawResponse) -> None:
        self.status = response.status
        self.response = response
        self.code, self.message = _error_of(response)
        self.retry_after = retry_after_seconds(response.headers.get("retry-after"))
        self.request_id = response.headers.get("x-amzn-requestid")
        super().__init__(f"HTTP {self.status} {self.code}: {self.message}")


def _error_of(response: RawResponse) -> tuple[str, str]:
    """`{"error": {"code", "message"}}` (the function and the stack's gateway responses), or
    API Gateway's own `{"message": ...}` with its x-amzn-ErrorType header."""
    try:
        document = response.json()
    except ValueError:
        document = None
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and "code" in error:
            return str(error["code"]), str(error.get("message", ""))
        message = document.get("message", document.get("Message"))
        if message is not None:
            kind = response.headers.get("x-amzn-errortype", "").split(":")[0]
            return kind or f"http_{response.status}", str(message)
    text = response.body[:500].decode("utf-8", errors="replace")
    return f"http_{response.status}", text


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (RFC 9110: delay-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
