"""The `randfile` command.

\b
Exit codes:
  0  every requested file was created
  1  unexpected failure (a bug: please report it)
  2  bad usage (an unknown option, a size or format that is not valid)
  3  configuration: no endpoint, region, credentials or API key could be found
  4  the API refused a request (4xx: its code and message are printed), including a 429
     that retries did not get past
  5  the API failed (5xx) or could not be reached, after retries, or a job ended failed
  130 interrupted (Ctrl-C); the manifest lists every file created until then
In a batch, 5 wins over 4 when both happened.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import click
from rich.console import Console
from rich.filesize import decimal
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from randfile_client import batch, targets
from randfile_client.client import (
    AcceptedJob,
    ApiError,
    ConfigurationError,
    CreatedFile,
    RandfileClient,
    RandfileError,
    RetryPolicy,
)
from randfile_client.sizes import parse_size

EXIT_OK = 0
EXIT_CONFIGURATION = 3
EXIT_REFUSED = 4
EXIT_FAILED = 5
EXIT_INTERRUPTED = 130
FORMATS = ("binary", "text", "csv", "jsonl")
MODES = ("sync", "async")

stderr = Console(stderr=True)


class SizeType(click.ParamType[int]):
    name = "size"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


def exit_code_for(errors: list[RandfileError]) -> int:
    if not errors:
        return EXIT_OK
    if all(isinstance(error, ApiError) and error.status < 500 for error in errors):
        return EXIT_REFUSED
    return EXIT_FAILED


def describe(created: CreatedFile) -> str:
    return (
        f"created s3://{created.bucket}/{created.key} ({decimal(created.size_bytes)}, "
        f"{created.format}, seed {created.seed}, sha256 {created.sha256[:12]}…)"
    )


def describe_job(job: AcceptedJob) -> str:
    return (
        f"accepted job {job.job_id}: s3://{job.bucket}/{job.key} ({decimal(job.size_bytes)}, "
        f"{job.format}, seed {job.seed}); status {job.status_url}"
    )


def report_error(error: RandfileError) -> None:
    click.echo(f"randfile: {error}", err=True)
    if isinstance(error, ApiError) and error.request_id:
        click.echo(f"randfile: request id {error.request_id}", err=True)


@contextmanager
def _manifest(path: Path | None) -> Iterator[IO[str] | None]:
    if path is None:
        yield None
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        yield handle


@click.group()
@click.version_option(package_name="randfile")
def main() -> None:
    """Create files of random data through the randfile API."""


@main.command()
@click.option(
    "--env",
    "env",
    envvar="RANDFILE_ENV",
    metavar="ENV",
    help="Read endpoint, region and API key from ENV's stack outputs "
    "(`local`: the local cloud of `make demo`).",
)
@click.option(
    "--endpoint",
    envvar="RANDFILE_ENDPOINT",
    metavar="URL",
    help="The API's base URL, e.g. https://files.example.com.",
)
@click.option(
    "--outputs",
    "outputs_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file written by `terraform output -json` instead of --env.",
)
@click.option(
    "--region",
    envvar="RANDFILE_REGION",
    help="Region to sign for (default: the outputs', else AWS_REGION or the profile's).",
)
@click.option("--host", help="Host header to send, when the URL's host is not the API's domain.")
@click.option("--api-key", envvar="RANDFILE_API_KEY", help="The API key (x-api-key).")
@click.option(
    "--api-key-ssm-parameter",
    envvar="RANDFILE_API_KEY_SSM_PARAMETER",
    metavar="NAME",
    help="SSM parameter (SecureString) holding the API key.",
)
@click.option(
    "--size",
    "size_bytes",
    type=SizeType(),
    default=None,
    help="File size: 512, 10KiB, 10MiB, 1GB ... (default: the API's, 1 MiB).",
)
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default=None,
    help="Content format (default: binary).",
)
@click.option(
    "--seed",
    type=click.IntRange(0, batch.MAX_SEED),
    default=None,
    help="Seed of the first file; file i of a batch gets seed + i.",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=None,
    help="sync: written before the answer; async: a job the command waits for "
    "(default: the API's choice, async past its synchronous limit, 100 MiB).",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="For a job: print it (its id and status URL) and exit without waiting for it.",
)
@click.option(
    "--poll-interval",
    type=click.FloatRange(0.1),
    default=2.0,
    show_default=True,
    help="Seconds between two reads of a job's status.",
)
@click.option(
    "--count", type=click.IntRange(1), default=1, show_default=True, help="How many files."
)
@click.option(
    "--parallel",
    type=click.IntRange(1, 256),
    default=4,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="JSON Lines file, one object per file (key, size, sha256, seed, ...), appended "
    "to; default with --count > 1: randfile-manifest-<UTC time>.jsonl.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a short line.")
@click.option(
    "--retries",
    type=click.IntRange(0, 20),
    default=4,
    show_default=True,
    help="Retries of a throttled (429) or unavailable (503) request.",
)
@click.option(
    "--max-wait",
    type=click.FloatRange(0),
    default=20.0,
    show_default=True,
    help="Longest wait before a retry, seconds.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(1),
    default=60.0,
    show_default=True,
    help="Seconds to wait for one answer.",
)
def create(
    *,
    env: str | None,
    endpoint: str | None,
    outputs_file: Path | None,
    region: str | None,
    host: str | None,
    api_key: str | None,
    api_key_ssm_parameter: str | None,
    size_bytes: int | None,
    file_format: str | None,
    seed: int | None,
    mode: str | None,
    no_wait: bool,
    poll_interval: float,
    count: int,
    parallel: int,
    manifest: Path | None,
    as_json: bool,
    retries: int,
    max_wait: float,
    timeout: float,
) -> None:
    """Create COUNT files (POST /files) and report each one; a file past the API's synchronous
    limit is a job, waited for with a progress indicator."""
    if no_wait and count > 1:
        raise click.UsageError("--no-wait creates one file: leave out --count")
    try:
        target = targets.resolve(
            env=env,
            endpoint=endpoint,
            outputs_file=outputs_file,
            region=region,
            host=host,
            api_key=api_key,
            api_key_ssm_parameter=api_key_ssm_parameter,
        )
        client = RandfileClient(
            target.endpoint,
            region=str(target.region),
            api_key=target.api_key,
            host=target.host,
            timeout=timeout,
            retry=RetryPolicy(attempts=retries + 1, max_wait=max_wait),
            max_connections=parallel,
            poll_interval=poll_interval,
        )
    except ConfigurationError as error:
        report_error(error)
        sys.exit(EXIT_CONFIGURATION)
    if count > 1 and manifest is None:
        manifest = Path(f"randfile-manifest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl")
    with client:
        job = Job(size_bytes, file_format, seed, manifest, as_json, mode, no_wait)
        sys.exit(_one(client, job) if count == 1 else _many(client, job, count, parallel))


@dataclass(frozen=True)
class Job:
    """What every file of the run is made of, and where its report goes."""

    size_bytes: int | None
    file_format: str | None
    seed: int | None
    manifest: Path | None
    as_json: bool
    mode: str | None = None
    no_wait: bool = False


def _one(client: RandfileClient, job: Job) -> int:
    try:
        outcome = client.submit(job.size_bytes, job.file_format, job.seed, job.mode)
        if isinstance(outcome, AcceptedJob):
            if job.no_wait:
                click.echo(json.dumps(asdict(outcome)) if job.as_json else describe_job(outcome))
                return EXIT_OK
            try:
                created = _wait(client, outcome)
            except KeyboardInterrupt:
                click.echo(
                    f"randfile: stopped waiting; the job goes on: {outcome.status_url}", err=True
                )
                return EXIT_INTERRUPTED
        else:
            created = outcome
    except RandfileError as error:
        report_error(error)
        return exit_code_for([error])
    with _manifest(job.manifest) as handle:
        if handle is not None:
            handle.write(batch.manifest_line(created) + "\n")
    click.echo(json.dumps(asdict(created)) if job.as_json else describe(created))
    return EXIT_OK


def _wait(client: RandfileClient, job: AcceptedJob) -> CreatedFile:
    """Polls the job with a spinner, its status and the time it has taken."""
    progress = Progress(
        SpinnerColumn(),
        TextColumn(f"job {job.job_id} ({decimal(job.size_bytes)}): {{task.fields[status]}}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    task = progress.add_task("job", total=None, status="queued")
    with progress:
        return client.wait(job, lambda status: progress.update(task, status=status))


def _many(client: RandfileClient, job: Job, count: int, parallel: int) -> int:
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[volume]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )
    task = progress.add_task("creating", total=count, volume="0 bytes")
    written = 0

    def advance(outcome: CreatedFile | RandfileError) -> None:
        nonlocal written
        if isinstance(outcome, CreatedFile):
            written += outcome.size_bytes
        else:
            report_error(outcome)
        progress.update(task, advance=1, volume=decimal(written))

    try:
        with progress, _manifest(job.manifest) as handle:
            summary, errors = batch.run(
                client,
                count=count,
                parallel=parallel,
                size_bytes=job.size_bytes,
                file_format=job.file_format,
                seed=job.seed,
                mode=job.mode,
                manifest=handle,
                on_result=advance,
            )
    except KeyboardInterrupt:
        click.echo(
            f"randfile: interrupted; files made so far are listed in {job.manifest}", err=True
        )
        return EXIT_INTERRUPTED
    if job.as_json:
        click.echo(json.dumps({**summary.as_json(), "manifest": str(job.manifest)}))
    else:
        failures = ", ".join(f"{kind}: {n}" for kind, n in sorted(summary.failures.items()))
        click.echo(
            f"{summary.files} of {count} files, {decimal(summary.bytes)} in "
            f"{summary.elapsed_seconds:.1f} s: {summary.files_per_second:.1f} files/s, "
            f"{summary.megabytes_per_second:.1f} MB/s; failures: {failures or 'none'}; "
            f"manifest {job.manifest}"
        )
    return exit_code_for(errors)
