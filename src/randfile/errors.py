"""Errors that carry the HTTP answer they deserve, so the handler maps them in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from randfile.storage import Digests


class ServiceError(Exception):
    """An error the caller is told about: `status` and `code` go into the JSON error body,
    `headers` into the response."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_seconds = retry_after_seconds

    @property
    def headers(self) -> dict[str, str]:
        if self.retry_after_seconds is None:
            return {}
        return {"Retry-After": str(self.retry_after_seconds)}


class BadRequestError(ServiceError):
    status = 400
    code = "invalid_request"


class IdempotencyKeyInUseError(ServiceError):
    """The first request with this Idempotency-Key is still running (the draft's 409)."""

    status = 409
    code = "idempotency_key_in_use"


class IdempotencyKeyReusedError(ServiceError):
    """This Idempotency-Key came before with another request (the draft's 422)."""

    status = 422
    code = "idempotency_key_reused"


class NotFoundError(ServiceError):
    status = 404
    code = "not_found"


class MethodNotAllowedError(ServiceError):
    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, *, allow: str) -> None:
        super().__init__(message)
        self.allow = allow

    @property
    def headers(self) -> dict[str, str]:
        # A 405 must name the methods the resource supports (RFC 9110, section 15.5.6).
        return {**super().headers, "Allow": self.allow}


class PayloadTooLargeError(ServiceError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaTypeError(ServiceError):
    status = 415
    code = "unsupported_media_type"


class MisconfiguredError(ServiceError):
    status = 500
    code = "service_misconfigured"


class OutdatedRuntimeError(ServiceError):
    """The runtime's SDK lacks a feature the function depends on; its message names the version."""

    status = 500
    code = "runtime_outdated"


class StorageError(ServiceError):
    """S3 refused or failed in a way a retry will not fix."""

    status = 502
    code = "storage_error"


class StorageUnavailableError(ServiceError):
    """S3 failed in a way a later retry may fix; the response carries Retry-After."""

    status = 503
    code = "storage_unavailable"


class KeyTakenError(StorageUnavailableError):
    """The create-only write met an existing object (412): a retry gets a new key, and a job's
    retried delivery finds the object an earlier attempt wrote. `sent` holds the digests of the
    content this write sent, whole by then."""

    sent: Digests | None = None


class JobsUnavailableError(ServiceError):
    """The job store or the jobs queue could not take the job; a later retry may."""

    status = 503
    code = "jobs_unavailable"


TRANSIENT_ERRORS = (StorageUnavailableError, JobsUnavailableError)
"""S3 or DynamoDB unavailable: a worker's delivery leaves its work to the message's next one."""


class DeadlineExceededError(ServiceError):
    status = 503
    code = "deadline_exceeded"


class JobAbandonedError(ServiceError):
    """Every delivery of a job ended without recording an outcome (the dead-letter queue's
    verdict); only ever a job's recorded error, never an HTTP answer."""

    code = "job_abandoned"
