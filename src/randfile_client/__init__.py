"""randfile's client: `RandfileClient` for Python programs, the `randfile` command for people.

Not part of the Lambda package: scripts/build_zip.py packs `randfile` (the function) only.
"""

from randfile_client.client import RandfileClient
from randfile_client.errors import (
    ApiError,
    ConfigurationError,
    DatasetTimeoutError,
    JobFailedError,
    JobTimeoutError,
    RandfileError,
    TransportError,
)
from randfile_client.models import (
    AcceptedDataset,
    AcceptedJob,
    CreatedFile,
    DatasetStatus,
    FailedDatasetFile,
    RawResponse,
)
from randfile_client.retries import RetryPolicy
from randfile_client.sizes import parse_size

__all__ = [
    "AcceptedDataset",
    "AcceptedJob",
    "ApiError",
    "ConfigurationError",
    "CreatedFile",
    "DatasetStatus",
    "DatasetTimeoutError",
    "FailedDatasetFile",
    "JobFailedError",
    "JobTimeoutError",
    "RandfileClient",
    "RandfileError",
    "RawResponse",
    "RetryPolicy",
    "TransportError",
    "parse_size",
]
