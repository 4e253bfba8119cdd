"""The dataset report's figures: percentiles of write times, rates over the wall time."""

from __future__ import annotations

import pytest

from randfile_client.dataset_report import DatasetReport, WriteTimes, seconds_between
from randfile_client.models import DatasetStatus


def final(**fields: object) -> DatasetStatus:
    values: dict[str, object] = {
        "dataset_id": "01JE0AAAAAAAAAAAAAAAAAAAAA",
        "status": "succeeded",
        "bucket": "b",
        "prefix": "p/",
        "count": 1000,
        "format": "binary",
        "seed": 1,
        "total_bytes": 1000 * 65536,
        "files_succeeded": 1000,
        "files_failed": 0,
        "files_waiting": 0,
        "bytes_written": 1000 * 65536,
        "created_at": "2026-12-06T10:00:00.000Z",
        "updated_at": "2026-12-06T10:00:08.000Z",
        "manifest_key": "p/manifest.jsonl",
        "manifest_csv_key": "p/manifest.csv",
    }
    return DatasetStatus(**(values | fields))  # type: ignore[arg-type]


def test_percentiles_interpolate_between_ranks() -> None:
    times = WriteTimes.of([float(ms) for ms in range(100, 0, -1)])
    assert times is not None
    assert (times.files, times.max) == (100, 100.0)
    assert (times.p50, times.p90, times.p99) == pytest.approx((50.5, 90.1, 99.01))


def test_one_file_is_its_own_percentiles_and_none_has_none() -> None:
    assert WriteTimes.of([12.5]) == WriteTimes(1, 12.5, 12.5, 12.5, 12.5)
    assert WriteTimes.of([]) is None


def test_wall_time_reads_the_api_s_times_with_their_offsets() -> None:
    assert seconds_between("2026-12-06T10:00:00.000Z", "2026-12-06T10:00:01.250Z") == 1.25
    assert seconds_between("2026-12-06T10:00:00+00:00", "2026-12-06T11:00:00+01:00") == 0


def test_rates_are_over_the_dataset_s_wall_time() -> None:
    report = DatasetReport.of(final(), [5.0] * 1000)
    assert (report.seconds, report.files_per_second, report.bytes_per_second) == (
        8.0,
        125.0,
        8192000.0,
    )
    assert report.lines() == [
        "dataset 01JE0AAAAAAAAAAAAAAAAAAAAA succeeded: 1000 of 1000 files, 65.5 MB in 8.0 s",
        "  throughput   125.0 files/s, 8.2 MB/s",
        "  write time   p50 5.0 ms, p90 5.0 ms, p99 5.0 ms, max 5.0 ms (1000 files)",
    ]


def test_the_json_report_rounds_the_percentiles_to_microseconds() -> None:
    report = DatasetReport.of(final(), [18.0065, 18.0065000001, 33.041, 55.4772899])
    # Unrounded: 25.52375000005, 48.74640293, 54.804201203, 55.4772899.
    assert report.as_json()["write_ms"] == {
        "p50": 25.524,
        "p90": 48.746,
        "p99": 54.804,
        "max": 55.477,
    }


def test_no_time_elapsed_is_no_rate_rather_than_a_division_by_zero() -> None:
    report = DatasetReport.of(final(updated_at="2026-12-06T10:00:00.000Z"))
    assert (report.files_per_second, report.bytes_per_second, report.write_times) == (0, 0, None)
    assert report.as_json()["write_ms"] is None
