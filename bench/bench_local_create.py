"""Benchmark: `randfile create` on the local cloud of `make demo`, with warm execution environments.

Run with `make bench-local` once `make demo` has deployed. It runs the command issue 23 measured,

    randfile create --env local --size 1MiB --count 20 --parallel 4

against the demo's HTTP endpoint, as a user runs it (the `randfile-local` credentials profile),
``--rounds`` times (2), and prints each round's files per second, as the command itself reports
them, next to the target. Side by side, from the function's REPORT lines that each round wrote to
its log group: how many invocations started an execution environment (cold starts, the lines with
Init Duration) and the median Duration and Init Duration of the cold and the warm ones. The first
round after `make demo` starts the emulator's environments; the next finds them warm.
docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess  # nosec B404
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tools" / "localcloud" / "src"), str(REPO / "tools")]

from localcloud.paths import Paths  # noqa: E402
from randfile_localcloud.cloud import Cloud  # noqa: E402
from randfile_localcloud.settings import DEFAULT_STATE_DIR  # noqa: E402

TARGET_FILES_PER_SECOND = 5.0
"""Issue 23: at least 5 files/s (1.1 before warm environments)."""
_FIELD = re.compile(r"(Duration|Init Duration): ([0-9.]+) ms")
# The command's summary line: "20 of 20 files, 21.0 MB in 2.8 s: 7.0 files/s, ..."
_SUMMARY = re.compile(r"(\d+) of (\d+) files, .* in ([0-9.]+) s: ([0-9.]+) files/s")


def report_fields(line: str) -> dict[str, float]:
    """{"Duration": ms, "Init Duration": ms (cold starts only)} of one REPORT line."""
    return {name: float(value) for name, value in _FIELD.findall(line)}


def run_create(size: str, count: int, parallel: int) -> float:
    """Files per second as the command reports them; fails unless every file was made."""
    state = DEFAULT_STATE_DIR
    environment = {
        **os.environ,
        "AWS_SHARED_CREDENTIALS_FILE": str(state / "aws" / "credentials"),
        "AWS_PROFILE": "randfile-local",
    }
    with tempfile.TemporaryDirectory(prefix="bench-local-") as scratch:
        done = subprocess.run(  # nosec B603
            [
                str(Path(sys.executable).parent / "randfile"),
                "create",
                "--env",
                "local",
                "--size",
                size,
                "--count",
                str(count),
                "--parallel",
                str(parallel),
                "--manifest",
                str(Path(scratch) / "made.jsonl"),
            ],
            env=environment,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
    summary = _SUMMARY.search(done.stdout + done.stderr)
    if summary is None or {summary[1], summary[2]} != {str(count)}:
        raise SystemExit(f"not every file was made:\n{done.stdout}{done.stderr}")
    return float(summary[4])


def reports_since(cloud: Cloud, log_group: str, since_ms: int) -> list[str]:
    pages = (
        cloud.workload()
        .logs()
        .get_paginator("filter_log_events")
        .paginate(logGroupName=log_group, startTime=since_ms, filterPattern='"REPORT RequestId"')
    )
    return [event["message"] for page in pages for event in page["events"]]


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} ms" if values else "       - "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1MiB")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    cloud = Cloud(Paths(DEFAULT_STATE_DIR))
    log_group = cloud.outputs()["function_log_group_name"]
    print(f"randfile create --size {args.size} --count {args.count} --parallel {args.parallel}")
    rates = []
    for round_number in range(1, args.rounds + 1):
        load = os.getloadavg()[0]
        since_ms = int(time.time() * 1000)
        rate = run_create(args.size, args.count, args.parallel)
        rates.append(rate)
        reports = [report_fields(line) for line in reports_since(cloud, log_group, since_ms)]
        cold = [report for report in reports if "Init Duration" in report]
        warm = [report for report in reports if "Init Duration" not in report]
        verdict = "met" if rate >= TARGET_FILES_PER_SECOND else "NOT met"
        print(
            f"  round {round_number}: {rate:4.1f} files/s   target >= "
            f"{TARGET_FILES_PER_SECOND:.0f}: {verdict}   (load average {load:.1f} at its start)"
        )
        print(
            f"    cold starts {len(cold):3}   median Duration "
            f"{_median([r['Duration'] for r in cold])}   median Init Duration "
            f"{_median([r['Init Duration'] for r in cold])}"
        )
        print(
            f"    warm        {len(warm):3}   median Duration "
            f"{_median([r['Duration'] for r in warm])}"
        )
    # The last round is the one with warm environments, what the target is about.
    return 0 if rates[-1] >= TARGET_FILES_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
