"""randfile.metrics: the EMF lines CloudWatch turns into the metrics alarms and dashboard read."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from randfile import logs, metrics
from randfile.errors import StorageError


def emf_lines(output: str) -> list[dict[str, Any]]:
    return [entry for line in output.splitlines() if "_aws" in (entry := json.loads(line))]


def value(entry: dict[str, Any], name: str) -> float:
    """A metric's value in an EMF line: EMF allows a number or a list of numbers."""
    found = entry[name]
    return float(sum(found)) if isinstance(found, list) else float(found)


def declared(entry: dict[str, Any]) -> tuple[str, list[list[str]], dict[str, str]]:
    """(namespace, dimension sets, metric name -> unit) of one EMF line."""
    (directive,) = entry["_aws"]["CloudWatchMetrics"]
    units = {metric["Name"]: metric["Unit"] for metric in directive["Metrics"]}
    return directive["Namespace"], directive["Dimensions"], units


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(metrics.ENVIRONMENT_VARIABLE, "dev")
    logs.bind_request("req-42")
    yield
    logs.bind_request(None)


def test_a_written_file_is_one_emf_line_by_environment_and_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    timer = metrics.GenerationTimer()
    assert b"".join(timer.watch([b"ab", b"cde"])) == b"abcde"
    metrics.file_written("csv", 5, timer)
    (entry,) = emf_lines(capsys.readouterr().out)
    namespace, dimensions, units = declared(entry)
    assert namespace == metrics.NAMESPACE
    assert dimensions == [["environment", "format"]]
    assert units == {
        metrics.FILES_WRITTEN: "Count",
        metrics.BYTES_WRITTEN: "Bytes",
        metrics.GENERATION_TIME: "Milliseconds",
        metrics.UPLOAD_TIME: "Milliseconds",
    }
    assert (entry["environment"], entry["format"]) == ("dev", "csv")
    assert (value(entry, metrics.FILES_WRITTEN), value(entry, metrics.BYTES_WRITTEN)) == (1, 5)
    assert value(entry, metrics.GENERATION_TIME) >= 0
    assert value(entry, metrics.UPLOAD_TIME) >= 0
    assert entry["request_id"] == "req-42"
    # CloudWatch drops an EMF line whose timestamp is not epoch milliseconds near now.
    assert abs(entry["_aws"]["Timestamp"] - time.time() * 1000) < 60_000


def test_generation_and_upload_time_are_told_apart() -> None:
    def slow_generator() -> Iterator[bytes]:
        time.sleep(0.05)
        yield b"x"

    timer = metrics.GenerationTimer()
    for _ in timer.watch(slow_generator()):
        time.sleep(0.03)  # the "upload" of the chunk
    assert timer.generation_seconds >= 0.05
    assert 0.03 <= timer.upload_seconds() < timer.generation_seconds


def test_an_escaping_service_error_is_counted_under_its_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @metrics.count_failures
    def refused() -> None:
        raise StorageError("S3 denied access")

    with pytest.raises(StorageError):
        refused()
    (entry,) = emf_lines(capsys.readouterr().out)
    namespace, dimensions, units = declared(entry)
    assert (namespace, dimensions, units) == (
        metrics.NAMESPACE,
        [["environment", "code"]],
        {metrics.FAILURES: "Count"},
    )
    assert (entry["code"], value(entry, metrics.FAILURES)) == ("storage_error", 1)


def test_an_unexpected_error_is_counted_as_internal(capsys: pytest.CaptureFixture[str]) -> None:
    @metrics.count_failures
    def broken() -> None:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        broken()
    (entry,) = emf_lines(capsys.readouterr().out)
    assert entry["code"] == "internal_error"


def test_success_counts_no_failure(capsys: pytest.CaptureFixture[str]) -> None:
    assert metrics.count_failures(lambda: 7)() == 7
    assert emf_lines(capsys.readouterr().out) == []


def test_without_the_variable_the_environment_is_named_undefined(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(metrics.ENVIRONMENT_VARIABLE)
    metrics.request_failed("invalid_request")
    (entry,) = emf_lines(capsys.readouterr().out)
    assert entry["environment"] == metrics.UNDEFINED_ENVIRONMENT
