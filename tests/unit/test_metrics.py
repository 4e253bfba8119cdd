"""randfile.metrics: the EMF lines CloudWatch turns into the metrics alarms and dashboard read."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from randfile import logs, metrics
from randfile.errors import StorageError
from tests import emf


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
    output = capsys.readouterr().out
    assert len(output.splitlines()) == 1
    emitted = emf.by_name(output)
    assert {name: metric.unit for name, metric in emitted.items()} == {
        metrics.FILES_WRITTEN: "Count",
        metrics.BYTES_WRITTEN: "Bytes",
        metrics.GENERATION_TIME: "Milliseconds",
        metrics.UPLOAD_TIME: "Milliseconds",
    }
    for metric in emitted.values():
        assert metric.namespace == metrics.NAMESPACE
        assert metric.dimensions == {"environment": "dev", "format": "csv"}
        assert metric.request_id == "req-42"
        assert metric.value >= 0
        # CloudWatch drops an EMF line whose timestamp is not epoch milliseconds near now.
        assert abs(metric.timestamp_ms - time.time() * 1000) < 60_000
    assert emitted[metrics.FILES_WRITTEN].value == 1
    assert emitted[metrics.BYTES_WRITTEN].value == 5


def test_generation_and_upload_time_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    # A clock that moves only where the test says, so a loaded machine cannot change the split.
    now = [1000.0]
    monkeypatch.setattr(time, "perf_counter", lambda: now[0])

    def generator() -> Iterator[bytes]:
        now[0] += 0.05  # making the first chunk
        yield b"x"
        now[0] += 0.02  # making the second
        yield b"y"

    timer = metrics.GenerationTimer()
    for _ in timer.watch(generator()):
        now[0] += 0.03  # the "upload" of the chunk
    assert timer.generation_seconds == pytest.approx(0.07)
    assert timer.upload_seconds() == pytest.approx(0.06)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        pytest.param(StorageError("S3 denied access"), "storage_error", id="service-error"),
        pytest.param(KeyError("bug"), "internal_error", id="unexpected-error-is-internal"),
    ],
)
def test_an_escaping_error_is_counted_under_its_code(
    error: Exception, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    @metrics.count_failures
    def failing() -> None:
        raise error

    with pytest.raises(type(error)):
        failing()
    (failure,) = emf.metrics(capsys.readouterr().out)
    assert (failure.namespace, failure.name, failure.unit, failure.value) == (
        metrics.NAMESPACE,
        metrics.FAILURES,
        "Count",
        1,
    )
    assert failure.dimensions == {"environment": "dev", "code": code}


def test_success_counts_no_failure(capsys: pytest.CaptureFixture[str]) -> None:
    assert metrics.count_failures(lambda: 7)() == 7
    assert emf.metrics(capsys.readouterr().out) == []


def test_without_the_variable_the_environment_is_named_undefined(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(metrics.ENVIRONMENT_VARIABLE)
    metrics.request_failed("invalid_request")
    (failure,) = emf.metrics(capsys.readouterr().out)
    assert failure.dimensions["environment"] == metrics.UNDEFINED_ENVIRONMENT


def test_the_reader_skips_log_lines_and_reads_list_values() -> None:
    line = (
        '{"_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "n", '
        '"Dimensions": [["d"]], "Metrics": [{"Name": "m", "Unit": "Count"}]}]}, '
        '"d": "x", "m": [1, 2]}'
    )
    log = f'not json\n{{"message": "file written"}}\n[1]\n{line}'
    assert emf.metrics(log) == [
        emf.Metric("n", {"d": "x"}, "m", "Count", 3.0, timestamp_ms=1, request_id=None)
    ]
