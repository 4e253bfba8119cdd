"""The function's metrics, written to its log in CloudWatch's embedded metric format (EMF).

CloudWatch Logs turns each EMF line into metrics as it ingests the log, so metrics cost no API call
and no time on the request's path. Powertools for AWS Lambda writes the lines (bundled in the zip:
docs/performance.md weighs its import time). Every line is under NAMESPACE with the `environment`
dimension (RANDFILE_ENVIRONMENT), and carries the request id so a metric leads back to its request:

- a written file: FilesWritten (Count), BytesWritten (Bytes), GenerationTime and UploadTime
  (Milliseconds), by `environment` and `format`;
- a failed request: Failures (Count), by `environment` and `code` (the error body's code);
- a job that ended `failed`: Failures by `code` as above, and JobsFailed (Count) by `environment`
  alone, with JobsAbandoned (Count) too when the dead-letter queue ended it;
- a dataset that ended `failed`: DatasetsFailed (Count) by `environment` alone.

infra/modules/monitoring alarms on and charts these names; its tests read them from here.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from typing import ParamSpec, TypeVar

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from randfile import logs
from randfile.errors import ServiceError

NAMESPACE = "randfile"
ENVIRONMENT_VARIABLE = "RANDFILE_ENVIRONMENT"
# Reported when RANDFILE_ENVIRONMENT is unset (as Powertools reports "service_undefined").
UNDEFINED_ENVIRONMENT = "undefined"

FILES_WRITTEN = "FilesWritten"
BYTES_WRITTEN = "BytesWritten"
GENERATION_TIME = "GenerationTime"
UPLOAD_TIME = "UploadTime"
FAILURES = "Failures"
JOBS_FAILED = "JobsFailed"
JOBS_ABANDONED = "JobsAbandoned"
DATASETS_FAILED = "DatasetsFailed"
UNEXPECTED_FAILURE_CODE = ServiceError.code

P = ParamSpec("P")
R = TypeVar("R")


class GenerationTimer:
    """Tells a file's generation time from its upload time.

    Generation and upload interleave (each chunk is sent before the next is made), so the upload's
    share is the time since the timer started less the time spent producing chunks."""

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self.generation_seconds = 0.0

    def watch(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Passes `chunks` through, adding up the time each took to produce."""
        iterator = iter(chunks)
        while True:
            before = time.perf_counter()
            chunk = next(iterator, None)
            self.generation_seconds += time.perf_counter() - before
            if chunk is None:
                return
            yield chunk

    def upload_seconds(self) -> float:
        return max(0.0, time.perf_counter() - self._started - self.generation_seconds)


def _emit(dimensions: dict[str, str], values: list[tuple[str, MetricUnit, float]]) -> None:
    # Ephemeral: no state shared with other Metrics instances, one line per call, flushed at once.
    line = EphemeralMetrics(namespace=NAMESPACE)
    line.add_dimension("environment", os.environ.get(ENVIRONMENT_VARIABLE, UNDEFINED_ENVIRONMENT))
    for name, value in dimensions.items():
        line.add_dimension(name, value)
    for name, unit, number in values:
        line.add_metric(name=name, unit=unit, value=number)
    if logs.request_id() is not None:
        line.add_metadata("request_id", logs.request_id())
    line.flush_metrics()


def file_written(file_format: str, size_bytes: int, timer: GenerationTimer) -> None:
    _emit(
        {"format": file_format},
        [
            (FILES_WRITTEN, MetricUnit.Count, 1),
            (BYTES_WRITTEN, MetricUnit.Bytes, size_bytes),
            (GENERATION_TIME, MetricUnit.Milliseconds, timer.generation_seconds * 1000),
            (UPLOAD_TIME, MetricUnit.Milliseconds, timer.upload_seconds() * 1000),
        ],
    )


def request_failed(code: str) -> None:
    _emit({"code": code}, [(FAILURES, MetricUnit.Count, 1)])


def job_failed(code: str, *, abandoned: bool) -> None:
    request_failed(code)
    values = [(JOBS_FAILED, MetricUnit.Count, 1.0)]
    if abandoned:
        values.append((JOBS_ABANDONED, MetricUnit.Count, 1.0))
    _emit({}, values)


def dataset_failed() -> None:
    _emit({}, [(DATASETS_FAILED, MetricUnit.Count, 1.0)])


def count_failures(function: Callable[P, R]) -> Callable[P, R]:
    """Counts every error that escapes `function` under its code, then lets it go on."""

    @functools.wraps(function)
    def counted(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except ServiceError as error:
            request_failed(error.code)
            raise
        except Exception:
            request_failed(UNEXPECTED_FAILURE_CODE)
            raise

    return counted
