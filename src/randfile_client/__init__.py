"""randfile's client: `RandfileClient` for Python programs, the `randfile` command for people.

Not part of the Lambda package: scripts/build_zip.py packs `randfile` (the function) only.
"""

from randfile_client.client import RandfileClient
from randfile_client.errors import (
    ApiError,
    ConfigurationError,
    JobFailedError,
    JobTimeoutError,
    RandfileError,
    TransportError,
)
from randfile_client.models import AcceptedJob, CreatedFile, RawResponse
from randfile_client.retries import RetryPolicy
from randfile_client.sizes import parse_size

__all__ = [
    "AcceptedJob",
    "ApiError",
    "ConfigurationError",
    "CreatedFile",
    "JobFailedError",
    "JobTimeoutError",
    "RandfileClient",
    "RandfileError",
    "RawResponse",
    "RetryPolicy",
    "TransportError",
    "parse_size",
]
