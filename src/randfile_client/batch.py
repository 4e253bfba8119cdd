"""Many files at once: a pool of workers, a manifest line per file, a summary at the end."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from randfile_client.client import RandfileClient
from randfile_client.errors import ApiError, RandfileError, TransportError
from randfile_client.models import CreatedFile

MAX_SEED = 2**63 - 1


@dataclass
class Summary:
    requested: int
    files: int = 0
    bytes: int = 0
    elapsed_seconds: float = 0.0
    # "429", "503", "transport", ... -> how many files failed that way (after retries).
    failures: Counter[str] = field(default_factory=Counter)

    @property
    def files_per_second(self) -> float:
        return self.files / self.elapsed_seconds if self.elapsed_seconds else 0.0

    @property
    def megabytes_per_second(self) -> float:
        return self.bytes / 1e6 / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "requested": self.requested,
            "files": self.files,
            "bytes": self.bytes,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "files_per_second": round(self.files_per_second, 3),
            "megabytes_per_second": round(self.megabytes_per_second, 3),
            "failures": dict(self.failures),
        }


def failure_kind(error: RandfileError) -> str:
    if isinstance(error, ApiError):
        return str(error.status)
    if isinstance(error, TransportError):
        return "transport"
    return "invalid_response"


def manifest_line(created: CreatedFile) -> str:
    """key, size, sha256 and seed first: what a test needs to find and check a file."""
    record = asdict(created)
    ordered = {"key": record.pop("key"), "size": record.pop("size_bytes")}
    ordered |= {"sha256": record.pop("sha256"), "seed": record.pop("seed"), **record}
    return json.dumps(ordered, separators=(",", ":"))


def seeds(first: int | None, count: int) -> Iterator[int | None]:
    """With a first seed, file i gets first + i, so the batch is reproducible; else the API
    draws one per file (and reports it)."""
    if first is not None and first + count - 1 > MAX_SEED:
        raise ValueError(f"seeds {first}..{first + count - 1} go past {MAX_SEED}")
    for index in range(count):
        yield None if first is None else first + index


def run(
    client: RandfileClient,
    *,
    count: int,
    parallel: int,
    size_bytes: int | None,
    file_format: str | None,
    seed: int | None,
    manifest: IO[str] | None,
    mode: str | None = None,
    on_result: Callable[[CreatedFile | RandfileError], None] | None = None,
) -> tuple[Summary, list[RandfileError]]:
    """Create `count` files with at most `parallel` in flight (a job counts until it is done);
    each file's manifest line is written (and flushed) as soon as it exists, so an interrupted run
    still lists what it made."""
    summary = Summary(requested=count)
    errors: list[RandfileError] = []
    pending_seeds = seeds(seed, count)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        in_flight: set[Future[CreatedFile]] = set()

        def submit_next() -> None:
            for next_seed in pending_seeds:
                in_flight.add(pool.submit(client.create, size_bytes, file_format, next_seed, mode))
                return

        # Only `parallel` futures at a time: a run of a million files holds no million futures.
        for _ in range(parallel):
            submit_next()
        try:
            while in_flight:
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    in_flight.discard(future)
                    submit_next()
                    outcome: CreatedFile | RandfileError
                    try:
                        outcome = future.result()
                    except RandfileError as error:
                        outcome = error
                        errors.append(error)
                        summary.failures[failure_kind(error)] += 1
                    else:
                        summary.files += 1
                        summary.bytes += outcome.size_bytes
                        if manifest is not None:
                            manifest.write(manifest_line(outcome) + "\n")
                            manifest.flush()
                    if on_result is not None:
                        on_result(outcome)
        finally:
            for future in in_flight:
                future.cancel()
            summary.elapsed_seconds = time.monotonic() - started
    return summary, errors
