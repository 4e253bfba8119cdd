"""Benchmarks: generation throughput per format against os.urandom, and streaming peak memory.

Run with `make bench`. Throughput is measured in this process, each format beside os.urandom in
the same run so the ratio is meaningful on any machine. Peak memory is measured in a fresh child
process that streams a 1 GiB object through BucketWriter into a client that discards the bytes,
so the figure is what generation, hashing and part buffering hold, not what S3 or moto would.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from randfile.content import Format, generate  # noqa: E402
from randfile.storage import BucketWriter, Deadline, ObjectSpec  # noqa: E402

MIB = 1024 * 1024


def throughput(produce: Callable[[], Iterable[bytes]], repeats: int) -> float:
    """Best MB/s over `repeats` runs: the least disturbed run is the closest to the true cost."""
    best = float("inf")
    total = 0
    for _ in range(repeats):
        started = time.perf_counter()
        total = sum(len(chunk) for chunk in produce())
        best = min(best, time.perf_counter() - started)
    return total / best / 1e6


def urandom_chunks(size: int) -> Iterable[bytes]:
    for _ in range(size // MIB):
        yield os.urandom(MIB)


class DiscardingS3:
    """Accepts the calls BucketWriter makes and drops the bytes."""

    def put_object(self, **_: Any) -> dict[str, Any]:
        return {"ETag": '"sink"'}

    def create_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"UploadId": "sink"}

    def upload_part(self, **_: Any) -> dict[str, Any]:
        return {"ETag": '"part"'}

    def complete_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {"ETag": '"sink-n"'}

    def abort_multipart_upload(self, **_: Any) -> dict[str, Any]:
        return {}


def stream_to_sink(fmt: Format, size: int) -> None:
    writer = BucketWriter(DiscardingS3(), "sink", "000000000000")  # type: ignore[arg-type]
    spec = ObjectSpec("sink", "application/octet-stream", {})
    stored = writer.write(spec, generate(fmt, size, seed=1), Deadline(None))
    if stored.size_bytes != size:
        raise RuntimeError(f"streamed {stored.size_bytes} bytes, expected {size}")


def peak_rss_mib(fmt: Format, size: int) -> tuple[float, float]:
    """Runs one streaming write in a child; returns (peak RSS MiB, baseline RSS MiB)."""
    code = (
        "import resource, sys; sys.path[:0] = [{src!r}, {bench!r}];"
        "from bench_generate import stream_to_sink; from randfile.content import Format;"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "stream_to_sink(Format({fmt!r}), {size});"
        "print(base, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    ).format(src=str(REPO / "src"), bench=str(REPO / "bench"), fmt=fmt.value, size=size)
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    return int(out[1]) / 1024, int(out[0]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=128, help="MiB generated per throughput run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stream-mib", type=int, default=1024, help="MiB streamed for memory")
    args = parser.parse_args()
    size = args.mib * MIB

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.mib} MiB per run,"
        f" best of {args.repeats}\n"
    )
    print("| format | MB/s | os.urandom MB/s (same run) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for fmt in Format:
        # Large formats are fast; records are slow: size the record runs so the bench stays short.
        fmt_size = size if fmt in (Format.BINARY, Format.TEXT) else size // 8
        ours = throughput(partial(generate, fmt, fmt_size, 1), args.repeats)
        kernel = throughput(partial(urandom_chunks, size), args.repeats)
        print(f"| {fmt.value} | {ours:.0f} | {kernel:.0f} | {ours / kernel:.2f} |")

    print(f"\npeak RSS streaming {args.stream_mib} MiB to a sink (fresh process):\n")
    print("| format | peak RSS MiB | interpreter + imports MiB |")
    print("| --- | ---: | ---: |")
    for fmt in (Format.BINARY, Format.CSV):
        peak, base = peak_rss_mib(fmt, args.stream_mib * MIB)
        print(f"| {fmt.value} | {peak:.0f} | {base:.0f} |")
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
