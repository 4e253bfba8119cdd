"""Benchmark: a dataset beside `randfile create --count` of the same files, on a local cloud.

Run by `make bench` after the generation benchmarks (issue 27). It starts a local cloud of its
own (tools/randfile_localcloud, as `make demo` does, in build/bench-localcloud; the demo's is
left alone), deploys infra/stack into it with the local environment's settings, the usage
plan's daily quota raised so that both runs fit in one day's (its rate and burst stay the
stack's defaults, 5/s and 10, the throttle a caller of `create --count` meets; `--api-rate R`
raises them and the stage's to R/s, burst 2R, to see the API path without it), then runs, as a
user runs them (the caller's credentials profile, the published endpoint, the data account's
profile for the manifest):

    randfile create --count 1000 --parallel 8 --size 64KiB
    randfile dataset create --count 1000 --size 64KiB

(with the client's defaults, as a user runs it: with 8 requests in flight against 5/s a share of
them is throttled all along, and the client sends a throttled request again for up to 120 s; a
file still throttled out is printed, and the create's files/s counts the files it made.)

and prints both wall times, files/s and their ratio side by side with the target (the dataset at
least 3 times faster). The create's time is the command's own (its summary line); the dataset's
is the service's, created_at to its final status (the command's report), and the command's
wall time is printed beside it. docs/performance.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess  # nosec B404
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "src"), str(REPO / "tools" / "localcloud" / "src"), str(REPO / "tools")]

from localcloud.paths import Paths  # noqa: E402
from randfile_client.sizes import parse_size  # noqa: E402
from randfile_localcloud.cloud import DATA_PROFILE, Cloud  # noqa: E402
from randfile_localcloud.settings import DEFAULT_ZIP  # noqa: E402

TARGET_RATIO = 3.0
"""Issue 27: the dataset at least 3 times faster than `randfile create --count --parallel 8`."""
STATE_DIR = REPO / "build" / "bench-localcloud"
# Both runs, their polls and a retry or two, within one day's quota.
DAILY_QUOTA = 100_000
# The command's summary line: "1000 of 1000 files, 65.5 MB in 80.1 s: 12.5 files/s, ..."
_SUMMARY = re.compile(r"(\d+) of (\d+) files, .* in ([0-9.]+) s: ([0-9.]+) files/s")
_FAILURES = re.compile(r"; failures: (.*?); manifest")


@dataclass(frozen=True)
class Measured:
    """One way of making the files: how many, in how long, and the command's own wall time."""

    files: int
    seconds: float
    command_seconds: float

    @property
    def files_per_second(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


def comparison(create: Measured, dataset: Measured, size_bytes: int, target: float) -> list[str]:
    """The side-by-side table and the verdict, as `make bench` prints its other figures."""
    ratio = dataset.files_per_second / create.files_per_second if create.files_per_second else 0
    verdict = "met" if round(ratio, 1) >= target else "NOT MET"

    def row(name: str, run: Measured) -> str:
        rate = run.files_per_second * size_bytes / 1e6
        return (
            f"| {name} | {run.files} | {run.seconds:.1f} | {run.command_seconds:.1f} | "
            f"{run.files_per_second:.1f} | {rate:.2f} |"
        )

    return [
        "| run | files | wall time s | command's wall time s | files/s | MB/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        row("randfile create --count --parallel 8", create),
        row("randfile dataset create", dataset),
        "",
        f"dataset / create: {ratio:.1f}x faster   target >= {target:g}x: {verdict}",
    ]


def _environment(credentials_file: Path, profile: str) -> dict[str, str]:
    # The worktree's client, whatever the virtualenv installed: src first on the path.
    return {
        **os.environ,
        "PYTHONPATH": str(REPO / "src"),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials_file),
        "AWS_PROFILE": profile,
    }


def _randfile(
    arguments: list[str], environment: dict[str, str], accept: frozenset[int] = frozenset({0})
) -> tuple[str, float]:
    """Runs the `randfile` command; its output and wall time. Fails with its output unless it
    exits with a code of `accept`."""
    started = time.perf_counter()
    done = subprocess.run(  # nosec B603
        [str(Path(sys.executable).parent / "randfile"), *arguments],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode not in accept:
        raise RuntimeError(
            f"randfile {' '.join(arguments[:2])} exited {done.returncode}:\n"
            f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return done.stdout + done.stderr, seconds


def worker_concurrency(cloud: Cloud, outputs: dict[str, Any]) -> int:
    """The jobs queue's mapping's MaximumConcurrency: how many workers write the dataset."""
    sqs = cloud.workload().sqs()
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=outputs["jobs_queue_url"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    worker = f":function:{outputs['worker_function_name']}"
    [maximum] = [
        mapping["ScalingConfig"]["MaximumConcurrency"]
        for mapping in cloud.workload()
        .lambda_()
        .list_event_source_mappings()["EventSourceMappings"]
        if mapping["EventSourceArn"] == queue_arn and mapping["FunctionArn"].endswith(worker)
    ]
    return int(maximum)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--size", default="64KiB")
    parser.add_argument("--parallel", type=int, default=8)
    parser.add_argument("--state-dir", type=Path, default=STATE_DIR)
    parser.add_argument("--keep", action="store_true", help="leave the local cloud running")
    parser.add_argument(
        "--api-rate",
        type=float,
        default=None,
        help="usage plan and stage rate limit, requests/s (default: the stack's, 5 and 10)",
    )
    args = parser.parse_args()
    size_bytes = parse_size(args.size)
    if not DEFAULT_ZIP.is_file():
        raise SystemExit(f"{DEFAULT_ZIP} is missing: run `make build` first")
    print(
        f"\ndataset vs create, {args.count} files of {args.size} on a local cloud of its own "
        f"(load average {os.getloadavg()[0]:.2f} at the start):\n",
        flush=True,
    )
    overrides: dict[str, Any] = {"api_usage_plan_daily_quota": DAILY_QUOTA}
    if args.api_rate is not None:
        burst = max(1, round(2 * args.api_rate))
        overrides |= {
            "api_usage_plan_rate_limit": args.api_rate,
            "api_usage_plan_burst_limit": burst,
            "api_throttling_rate_limit": args.api_rate,
            "api_throttling_burst_limit": burst,
        }
    cloud = Cloud(Paths(args.state_dir.resolve()), DEFAULT_ZIP, overrides)
    try:
        cloud.up()
        outputs = cloud.deploy()
        published = cloud.publish_endpoint()
        api = [
            f"--endpoint={published.api_url}",
            f"--host={published.domain}",
            f"--region={published.region}",
            f"--api-key={published.api_key}",
        ]
        caller = _environment(published.credentials_file, published.profile)
        rate = "the stack's" if args.api_rate is None else f"{args.api_rate:g}/s"
        print(
            f"deployed: the worker's concurrency {worker_concurrency(cloud, outputs)}, the API's "
            f"rate limit {rate}; {os.cpu_count()} cores",
            flush=True,
        )
        with tempfile.TemporaryDirectory(prefix="bench-datasets-") as scratch:
            made, create_seconds = _randfile(
                [
                    "create",
                    *api,
                    f"--size={args.size}",
                    f"--count={args.count}",
                    f"--parallel={args.parallel}",
                    f"--manifest={Path(scratch) / 'create.jsonl'}",
                ],
                caller,
                # 4: a file refused, which the summary's failures name (429s past the retries).
                accept=frozenset({0, 4}),
            )
        summary = _SUMMARY.search(made)
        failures = _FAILURES.search(made)
        if summary is None or failures is None or summary[2] != str(args.count):
            raise SystemExit(f"randfile create did not report its files:\n{made}")
        if failures[1] != "none":
            print(f"randfile create: failures {failures[1]}")
        create = Measured(int(summary[1]), float(summary[3]), create_seconds)
        try:
            report, dataset_seconds = _randfile(
                [
                    "dataset",
                    "create",
                    *api,
                    f"--size={args.size}",
                    f"--count={args.count}",
                    "--poll-interval=1",
                    # The manifest is read as the bucket's owner, on the emulator.
                    f"--s3-profile={DATA_PROFILE}",
                    "--json",
                ],
                {**caller, "AWS_ENDPOINT_URL_S3": cloud.endpoint_url},
            )
        except RuntimeError as error:
            print(f"create: {create.files_per_second:.1f} files/s; dataset not measured: {error}")
            return 1
        measured = json.loads(report.strip().splitlines()[-1])
        dataset = Measured(measured["files"], measured["seconds"], dataset_seconds)
        for line in comparison(create, dataset, size_bytes, TARGET_RATIO):
            print(line)
        write_ms = measured.get("write_ms")
        if write_ms:
            percentiles = ", ".join(f"{name} {write_ms[name]:.1f} ms" for name in write_ms)
            print(f"dataset's per-file write time: {percentiles}")
        return 0 if dataset.files == args.count else 1
    finally:
        if not args.keep:
            cloud.discard()


if __name__ == "__main__":
    sys.exit(main())
