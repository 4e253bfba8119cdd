"""The report `randfile dataset create` prints when a dataset has ended, as benchmarking tools
print theirs: files and bytes per second over the dataset's wall time (created_at to its final
status), and the percentiles of the files' write times from its manifest."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.filesize import decimal

from randfile_client.models import DatasetStatus

# The percentiles load-testing tools print (warp, wrk, hey): the median, the tail, the worst.
PERCENTILES = (50, 90, 99)


@dataclass(frozen=True)
class WriteTimes:
    """Per-file write times in milliseconds: p50, p90, p99 (interpolated between the two
    nearest ranks, statistics.quantiles' "inclusive" method, numpy's default) and the maximum."""

    files: int
    p50: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, milliseconds: Sequence[float]) -> WriteTimes | None:
        if not milliseconds:
            return None
        if len(milliseconds) == 1:
            only = float(milliseconds[0])
            return cls(1, only, only, only, only)
        cuts = statistics.quantiles(milliseconds, n=100, method="inclusive")
        p50, p90, p99 = (cuts[percentile - 1] for percentile in PERCENTILES)
        return cls(len(milliseconds), p50, p90, p99, float(max(milliseconds)))


def seconds_between(start: str, end: str) -> float:
    """Seconds from one of the API's ISO 8601 times to another (…Z or an offset)."""
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


@dataclass(frozen=True)
class DatasetReport:
    dataset_id: str
    status: str
    count: int
    files: int
    failed: int
    bytes: int
    seconds: float
    write_times: WriteTimes | None

    @classmethod
    def of(cls, final: DatasetStatus, write_ms: Sequence[float] | None = None) -> DatasetReport:
        return cls(
            dataset_id=final.dataset_id,
            status=final.status,
            count=final.count,
            files=final.files_succeeded,
            failed=final.files_failed,
            bytes=final.bytes_written,
            seconds=max(0.0, seconds_between(final.created_at, final.updated_at)),
            write_times=WriteTimes.of(write_ms or []),
        )

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0

    @property
    def bytes_per_second(self) -> float:
        return self.bytes / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        """The report as printed: decimal units, as the rest of the command prints sizes."""
        failed = f", {self.failed} failed" if self.failed else ""
        printed = [
            f"dataset {self.dataset_id} {self.status}: {self.files} of {self.count} files"
            f"{failed}, {decimal(self.bytes)} in {self.seconds:.1f} s",
            f"  throughput   {self.files_per_second:.1f} files/s, "
            f"{decimal(round(self.bytes_per_second))}/s",
        ]
        times = self.write_times
        if times is not None:
            printed.append(
                f"  write time   p50 {times.p50:.1f} ms, p90 {times.p90:.1f} ms, "
                f"p99 {times.p99:.1f} ms, max {times.max:.1f} ms ({times.files} files)"
            )
        return printed

    def as_json(self) -> dict[str, Any]:
        times = self.write_times
        return {
            "dataset_id": self.dataset_id,
            "status": self.status,
            "count": self.count,
            "files": self.files,
            "failed": self.failed,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "files_per_second": round(self.files_per_second, 3),
            "bytes_per_second": round(self.bytes_per_second, 1),
            "write_ms": None
            if times is None
            else {
                name: round(value, 3)
                for name, value in (
                    ("p50", times.p50),
                    ("p90", times.p90),
                    ("p99", times.p99),
                    ("max", times.max),
                )
            },
        }
