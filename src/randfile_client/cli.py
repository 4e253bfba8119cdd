"""The `randfile` command: `create` files, follow a job's `status`, `verify` a manifest's objects,
`dataset create`; EXIT_CODES (VERIFY_EXIT_CODES for verify, DATASET_EXIT_CODES for dataset create)
lists how it ends."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

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

from randfile_client import batch, manifests, targets
from randfile_client import verify as verification
from randfile_client.client import DEFAULT_JOB_TIMEOUT_SECONDS, RandfileClient
from randfile_client.dataset_report import DatasetReport
from randfile_client.errors import (
    ApiError,
    ConfigurationError,
    DatasetTimeoutError,
    JobTimeoutError,
    RandfileError,
)
from randfile_client.models import (
    AcceptedDataset,
    AcceptedJob,
    CreatedFile,
    DatasetStatus,
    is_job_id,
)
from randfile_client.retries import RetryPolicy
from randfile_client.sizes import parse_size

EXIT_OK = 0
EXIT_CONFIGURATION = 3
EXIT_REFUSED = 4
EXIT_FAILED = 5
EXIT_JOB_TIMEOUT = 6
EXIT_INTERRUPTED = 130
FORMATS = ("binary", "text", "csv", "jsonl")
MODES = ("sync", "async")

stderr = Console(stderr=True)

EXIT_CODES = """\b
Exit codes:
  0  every requested file was created
  1  unexpected failure (a bug: please report it)
  2  bad usage (an unknown option, a size or format that is not valid)
  3  configuration: no endpoint, region, credentials or API key could be found
  4  the API refused a request (4xx: its code and message are printed), including a 429
     that retries did not get past
  5  the API failed (5xx) or could not be reached, after retries, or a job ended failed
  6  a job had not ended within --timeout: it goes on, and its status URL is printed
     (`randfile status JOB_ID --wait` follows it again)
  130 interrupted (Ctrl-C); the manifest lists every file created until then
In a batch, 5 wins over 6, and 6 over 4, when several happened.
"""


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
    refused = [isinstance(error, ApiError) and error.status < 500 for error in errors]
    timed_out = [isinstance(error, JobTimeoutError) for error in errors]
    if all(a or b for a, b in zip(refused, timed_out, strict=True)):
        return EXIT_JOB_TIMEOUT if any(timed_out) else EXIT_REFUSED
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


def describe_status(job_id: str, document: dict[str, Any]) -> str:
    """One line for `randfile status`: the job's status and what it has come to."""
    status = str(document["status"])
    if status == "succeeded":
        return f"job {job_id}: succeeded; {describe(CreatedFile.from_json(document))}"
    error = document.get("error") or {}
    reason = f": {error.get('code')}: {error.get('message')}" if error else ""
    return f"job {job_id}: {status}{reason}"


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


def _seconds_option(
    flag: str, *, at_least: float, default: float, help_text: str, dest: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """An option in seconds, at least `at_least`, whose default --help shows."""
    names = (flag,) if dest is None else (flag, dest)
    return click.option(
        *names, type=click.FloatRange(at_least), default=default, show_default=True, help=help_text
    )


def _api_options(command: Callable[..., None]) -> Callable[..., None]:
    """Where the API is and how to talk to it: the options every command that calls it takes,
    gathered into one `Connection` argument."""
    options: list[Callable[[Callable[..., None]], Callable[..., None]]] = [
        click.option(
            "--env",
            "env",
            envvar="RANDFILE_ENV",
            metavar="ENV",
            help="Read endpoint, region and API key from ENV's stack outputs "
            "(`local`: the local cloud of `make demo`).",
        ),
        click.option(
            "--endpoint",
            envvar="RANDFILE_ENDPOINT",
            metavar="URL",
            help="The API's base URL, e.g. https://files.example.com.",
        ),
        click.option(
            "--outputs",
            "outputs_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A file written by `terraform output -json` instead of --env.",
        ),
        click.option(
            "--region",
            envvar="RANDFILE_REGION",
            help="Region to sign for (default: the outputs', else AWS_REGION or the profile's).",
        ),
        click.option(
            "--host", help="Host header to send, when the URL's host is not the API's domain."
        ),
        click.option("--api-key", envvar="RANDFILE_API_KEY", help="The API key (x-api-key)."),
        click.option(
            "--api-key-ssm-parameter",
            envvar="RANDFILE_API_KEY_SSM_PARAMETER",
            metavar="NAME",
            help="SSM parameter (SecureString) holding the API key.",
        ),
        _seconds_option(
            "--poll-interval",
            at_least=0.1,
            default=2.0,
            help_text="Seconds between two reads of a job's status.",
        ),
        _seconds_option(
            "--timeout",
            dest="job_timeout",
            at_least=0,
            default=DEFAULT_JOB_TIMEOUT_SECONDS,
            help_text="Longest wait for a job to end, seconds (default: above the 2,973 s within "
            "which a job that a worker has received ends, with the stack's defaults; "
            "docs/operations.md); reached, the command exits 6 and prints the job's status URL.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 20),
            default=4,
            show_default=True,
            help="Retries of a request unavailable (503), still in progress (409) or whose "
            "connection was lost; each carries the same Idempotency-Key. A request the API's "
            "rate limit throttles (429) is also sent again past them, for up to 120 s.",
        ),
        _seconds_option(
            "--max-wait",
            at_least=0,
            default=20.0,
            help_text="Longest wait before a retry, seconds.",
        ),
        _seconds_option(
            "--request-timeout",
            at_least=1,
            default=60.0,
            help_text="Seconds to wait for one answer.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@dataclass(frozen=True)
class Connection:
    """The API options of a command, as click parsed them."""

    env: str | None
    endpoint: str | None
    outputs_file: Path | None
    region: str | None
    host: str | None
    api_key: str | None
    api_key_ssm_parameter: str | None
    poll_interval: float
    job_timeout: float
    retries: int
    max_wait: float
    request_timeout: float

    @classmethod
    def of(cls, options: dict[str, Any]) -> Connection:
        return cls(**{name: options.pop(name) for name in cls.__dataclass_fields__})

    def target(self) -> targets.Target:
        """Where these options point (ConfigurationError when they point nowhere)."""
        return targets.resolve(
            env=self.env,
            endpoint=self.endpoint,
            outputs_file=self.outputs_file,
            region=self.region,
            host=self.host,
            api_key=self.api_key,
            api_key_ssm_parameter=self.api_key_ssm_parameter,
        )

    def client(
        self, max_connections: int = 1, target: targets.Target | None = None
    ) -> RandfileClient:
        """The client for these options (or the target already resolved from them); exits 3
        when one cannot be made."""
        try:
            target = target or self.target()
            return RandfileClient(
                target.endpoint,
                region=str(target.region),
                api_key=target.api_key,
                host=target.host,
                timeout=self.request_timeout,
                retry=RetryPolicy(attempts=self.retries + 1, max_wait=self.max_wait),
                max_connections=max_connections,
                poll_interval=self.poll_interval,
                job_timeout=self.job_timeout,
            )
        except ConfigurationError as error:
            report_error(error)
            sys.exit(EXIT_CONFIGURATION)


_format_option = click.option(
    "--format",
    "file_format",
    type=click.Choice(FORMATS),
    default=None,
    help="Content format (default: binary).",
)
"""The content format of `create` and `dataset create`."""


def _s3_profile_option(help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`--s3-profile` (RANDFILE_S3_PROFILE): the AWS profile that reads the data bucket, which is
    another account's; `verify` and `dataset create` read with it, each saying what for."""
    return click.option(
        "--s3-profile",
        "s3_profile",
        envvar="RANDFILE_S3_PROFILE",
        metavar="NAME",
        default=None,
        help=help_text,
    )


@main.command(epilog=EXIT_CODES)
@_api_options
@click.option(
    "--size",
    "size_bytes",
    type=SizeType(),
    default=None,
    help="File size: 512, 10KiB, 10MiB, 1GB ... (default: the API's, 1 MiB).",
)
@_format_option
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
def create(
    *,
    size_bytes: int | None,
    file_format: str | None,
    seed: int | None,
    mode: str | None,
    no_wait: bool,
    count: int,
    parallel: int,
    manifest: Path | None,
    as_json: bool,
    **api: Any,
) -> None:
    """Create COUNT files (POST /files) and report each one; a file past the API's synchronous
    limit is a job, waited for with a progress indicator."""
    if no_wait and count > 1:
        raise click.UsageError("--no-wait creates one file: leave out --count")
    client = Connection.of(api).client(max_connections=parallel)
    if count > 1 and manifest is None:
        manifest = Path(f"randfile-manifest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.jsonl")
    with client:
        run = CreateRun(size_bytes, file_format, seed, manifest, as_json, mode, no_wait)
        sys.exit(_one(client, run) if count == 1 else _many(client, run, count, parallel))


def _job_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not is_job_id(value):
        raise click.BadParameter("a job id is the 26-character ULID that `create` printed")
    return value


@main.command(epilog=EXIT_CODES)
@click.argument("job_id", callback=_job_id)
@_api_options
@click.option(
    "--wait",
    "wait_for_it",
    is_flag=True,
    help="Wait (at most --timeout) until the job has ended, then print its file as `create` does.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the API's JSON answer.")
def status(*, job_id: str, wait_for_it: bool, as_json: bool, **api: Any) -> None:
    """Print the status of job JOB_ID (GET /files/JOB_ID): queued, running, succeeded (exit 0)
    or failed (exit 5); with --wait, follow it until it has ended."""
    with Connection.of(api).client() as client:
        try:
            if wait_for_it:
                sys.exit(_report(_follow(client, job_id), as_json))
            document = client.job_status(job_id)
        except RandfileError as error:
            return _exit_for(error)
    click.echo(json.dumps(document) if as_json else describe_status(job_id, document))
    sys.exit(EXIT_FAILED if document["status"] == "failed" else EXIT_OK)


def _exit_for(error: RandfileError) -> None:
    report_error(error)
    sys.exit(exit_code_for([error]))


@dataclass(frozen=True)
class CreateRun:
    """One run of `randfile create`: what each of its files is made of, and where its report
    goes (a job the API accepts is an AcceptedJob)."""

    size_bytes: int | None
    file_format: str | None
    seed: int | None
    manifest: Path | None
    as_json: bool
    mode: str | None = None
    no_wait: bool = False


def _one(client: RandfileClient, run: CreateRun) -> int:
    try:
        outcome = client.submit(run.size_bytes, run.file_format, run.seed, run.mode)
        if isinstance(outcome, AcceptedJob):
            if run.no_wait:
                click.echo(json.dumps(asdict(outcome)) if run.as_json else describe_job(outcome))
                return EXIT_OK
            created: CreatedFile | int = _follow(client, outcome)
        else:
            created = outcome
    except RandfileError as error:
        report_error(error)
        return exit_code_for([error])
    if isinstance(created, CreatedFile):
        with _manifest(run.manifest) as handle:
            if handle is not None:
                handle.write(batch.manifest_line(created) + "\n")
    return _report(created, run.as_json)


def _report(created: CreatedFile | int, as_json: bool) -> int:
    """Prints a file, or passes on the exit code of a wait that did not end with one."""
    if not isinstance(created, CreatedFile):
        return created
    click.echo(json.dumps(asdict(created)) if as_json else describe(created))
    return EXIT_OK


def _follow(client: RandfileClient, job: AcceptedJob | str) -> CreatedFile | int:
    """Waits for the job with a spinner: its file, or the exit code when the wait stopped first
    (the job going on, its status URL printed). A failed job raises JobFailedError."""
    try:
        return _wait(client, job)
    except KeyboardInterrupt:
        click.echo(
            f"randfile: stopped waiting; the job goes on: {client.status_url(job)}", err=True
        )
        return EXIT_INTERRUPTED
    except JobTimeoutError as error:
        report_error(error)
        click.echo(f"randfile: follow it with: randfile status {error.job_id} --wait", err=True)
        return EXIT_JOB_TIMEOUT


def _wait(client: RandfileClient, job: AcceptedJob | str) -> CreatedFile:
    """Polls the job with a spinner, its status and the time it has taken."""
    job_id = job.job_id if isinstance(job, AcceptedJob) else job
    size = f" ({decimal(job.size_bytes)})" if isinstance(job, AcceptedJob) else ""
    progress = Progress(
        SpinnerColumn(),
        TextColumn(f"job {job_id}{size}: {{task.fields[status]}}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    task = progress.add_task("job", total=None, status="queued")
    with progress:
        return client.wait(job, lambda status: progress.update(task, status=status))


def _progress_bar(title: str, figures_field: str) -> Progress:
    """The bar `create --count`, `verify` and `dataset create` show on stderr until they end:
    `title` (a column template), the bar, done of total, the task's field `figures_field`, the
    time taken and the time left."""
    return Progress(
        TextColumn(title),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(f"{{task.fields[{figures_field}]}}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
    )


def _many(client: RandfileClient, run: CreateRun, count: int, parallel: int) -> int:
    progress = _progress_bar("[progress.description]{task.description}", "volume")
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
        with progress, _manifest(run.manifest) as handle:
            summary, errors = batch.run(
                client,
                count=count,
                parallel=parallel,
                size_bytes=run.size_bytes,
                file_format=run.file_format,
                seed=run.seed,
                mode=run.mode,
                manifest=handle,
                on_result=advance,
            )
    except KeyboardInterrupt:
        click.echo(
            f"randfile: interrupted; files made so far are listed in {run.manifest}", err=True
        )
        return EXIT_INTERRUPTED
    if run.as_json:
        click.echo(json.dumps({**summary.as_json(), "manifest": str(run.manifest)}))
    else:
        failures = ", ".join(f"{kind}: {n}" for kind, n in sorted(summary.failures.items()))
        click.echo(
            f"{summary.files} of {count} files, {decimal(summary.bytes)} in "
            f"{summary.elapsed_seconds:.1f} s: {summary.files_per_second:.1f} files/s, "
            f"{summary.megabytes_per_second:.1f} MB/s; failures: {failures or 'none'}; "
            f"manifest {run.manifest}"
        )
    return exit_code_for(errors)


# --- randfile verify ----------------------------------------------------------------------------

EXIT_MISMATCH = 1
VERIFY_EXIT_CODES = """\b
Exit codes:
  0  every object is there, of its size and content
  1  an object is missing or different (listed in --mismatches)
  2  bad usage, or a manifest that cannot be read or has a line that is no object
  3  configuration: no region or credentials for S3 could be found
  5  an object could not be checked (access denied, S3 unreachable after retries)
  130 interrupted (Ctrl-C)
"""
SHOWN_MISMATCHES = 10


@main.command(epilog=VERIFY_EXIT_CODES)
@click.argument("manifest_source", metavar="MANIFEST")
@click.option(
    "--bucket",
    "replica",
    metavar="BUCKET",
    help="Check the objects in BUCKET (a replica, by key) instead of the manifest's bucket.",
)
@click.option(
    "--mismatches",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write each missing or different object as a JSON line (key, problem, expected, found).",
)
@click.option(
    "--parallel",
    type=click.IntRange(1, 256),
    default=verification.DEFAULT_PARALLEL,
    show_default=True,
    help="Objects checked at once.",
)
@click.option(
    "--env",
    "env",
    envvar="RANDFILE_ENV",
    metavar="ENV",
    help="`local`: read with the data account's credentials on the local cloud of `make demo`; "
    "otherwise the standard AWS credential chain (or --s3-profile) is used.",
)
@_s3_profile_option(
    "AWS profile to read S3 with, as `dataset create` names it (default: the standard chain)."
)
@click.option("--region", envvar="RANDFILE_REGION", help="Region of the S3 client.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def verify(
    *,
    manifest_source: str,
    replica: str | None,
    mismatches: Path | None,
    parallel: int,
    env: str | None,
    s3_profile: str | None,
    region: str | None,
    as_json: bool,
) -> None:
    """Check that every object MANIFEST lists (a JSON Lines file, local or s3://BUCKET/KEY) is
    there with its size and checksum: a HEAD each, with S3's stored CRC64NVME, or a read and its
    SHA-256 where no checksum is stored."""
    try:
        s3 = _verify_s3(env, s3_profile, region, parallel)
        entries = verification.read_manifest(manifest_source, s3)
    except verification.ManifestError as error:
        report_error(error)
        sys.exit(2)
    except ConfigurationError as error:
        report_error(error)
        sys.exit(EXIT_CONFIGURATION)
    try:
        result = _verify_with_progress(entries, s3, replica, parallel)
    except KeyboardInterrupt:
        click.echo("randfile: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    if mismatches is not None:
        mismatches.parent.mkdir(parents=True, exist_ok=True)
        mismatches.write_text(
            "".join(mismatch.json_line() + "\n" for mismatch in result.mismatches),
            encoding="utf-8",
        )
    for mismatch in result.mismatches[:SHOWN_MISMATCHES]:
        click.echo(f"randfile: {_describe_mismatch(mismatch)}", err=True)
    for unchecked in result.unchecked[:SHOWN_MISMATCHES]:
        click.echo(
            f"randfile: s3://{unchecked.bucket}/{unchecked.key} not checked: {unchecked.reason}",
            err=True,
        )
    summary = result.summary()
    if as_json:
        click.echo(json.dumps({**summary, "mismatches": str(mismatches) if mismatches else None}))
    else:
        click.echo(
            f"checked {result.checked} objects, {decimal(result.bytes_ok)} intact, in "
            f"{result.elapsed_seconds:.1f} s ({result.objects_per_second:.0f} objects/s): "
            f"ok {result.ok}, missing {result.missing}, different {result.different}, "
            f"not checked {len(result.unchecked)}; read and hashed {result.read}"
            + (f"; mismatches in {mismatches}" if mismatches and result.mismatches else "")
        )
    sys.exit(EXIT_MISMATCH if result.mismatches else EXIT_FAILED if result.unchecked else EXIT_OK)


def _verify_s3(env: str | None, profile: str | None, region: str | None, parallel: int) -> Any:
    """The S3 client verify and dataset create read with: the local cloud's data account for
    `--env local`, else the caller's own credentials (or `profile`)."""
    if env == targets.LOCAL_ENV:
        local = targets.local_s3(targets.find_repository())
        return verification.s3_client(
            parallel=parallel,
            profile=local.profile,
            region=region or local.region,
            endpoint_url=local.endpoint_url,
            credentials_file=local.credentials_file,
        )
    client = verification.s3_client(parallel=parallel, profile=profile, region=region)
    if client.meta.region_name is None:
        raise ConfigurationError("no region for S3: pass --region or set AWS_REGION")
    return client


def _verify_with_progress(
    entries: list[verification.ManifestEntry], s3: Any, replica: str | None, parallel: int
) -> verification.VerifyResult:
    progress = _progress_bar("verifying", "problems")
    task = progress.add_task("verify", total=len(entries), problems="")
    problems = 0

    def checked(_entry: verification.ManifestEntry, outcome: object) -> None:
        nonlocal problems
        problems += outcome is not None
        progress.update(task, advance=1, problems=f"{problems} not ok" if problems else "")

    with progress:
        return verification.verify(
            entries, s3, bucket=replica, parallel=parallel, on_checked=checked
        )


def _describe_mismatch(mismatch: verification.Mismatch) -> str:
    where = f"s3://{mismatch.bucket}/{mismatch.key}"
    if mismatch.problem == "missing":
        return f"{where} is missing"
    return f"{where}: {mismatch.problem} {mismatch.found}, the manifest says {mismatch.expected}"


# --- randfile dataset ------------------------------------------------------------------------


@dataclass(frozen=True)
class S3Reader:
    """Who reads the dataset's manifest: as `randfile verify` reads (`_verify_s3`), made only
    when the report needs it."""

    env: str | None
    profile: str | None
    region: str | None

    def client(self) -> Any:
        return _verify_s3(self.env, self.profile, self.region, parallel=1)


DATASET_EXIT_CODES = """\b
Exit codes:
  0  the dataset succeeded (with --no-wait: the API accepted it)
  1  unexpected failure (a bug: please report it)
  2  bad usage (an unknown option, a size or format that is not valid)
  3  configuration: no endpoint, region, credentials or API key could be found
  4  the API refused the dataset (4xx: its code and message are printed, e.g. a limit)
  5  the dataset ended failed (its failed files are printed), the API failed (5xx) or could
     not be reached after retries, or --manifest could not be saved
  6  the dataset had not ended within --timeout: it goes on, and its status URL is printed
  130 interrupted (Ctrl-C); the dataset goes on
"""
# Failed files printed at the end; the status lists up to 100, the manifest all of them.
SHOWN_FAILED_FILES = 10


@main.group()
def dataset() -> None:
    """Datasets: many files under one prefix, made by the service (POST /datasets)."""


@dataset.command("create", epilog=DATASET_EXIT_CODES)
@_api_options
@click.option(
    "--count", type=click.IntRange(1), required=True, help="How many files the dataset has."
)
@click.option(
    "--size", "size_bytes", type=SizeType(), default=None, help="Every file's size: 64KiB, 10MB ..."
)
@click.option(
    "--min-size",
    "min_size_bytes",
    type=SizeType(),
    default=None,
    help="With --max-size: each file's size is drawn from this range, reproducibly from the seed.",
)
@click.option("--max-size", "max_size_bytes", type=SizeType(), default=None)
@_format_option
@click.option(
    "--seed",
    type=click.IntRange(0, batch.MAX_SEED),
    default=None,
    help="The dataset's seed; each file's seed (and size, for a range) derives from it and the "
    "file's index (default: the API's choice, printed).",
)
@click.option(
    "--no-wait", is_flag=True, help="Print the accepted dataset (id, status URL, prefix) and exit."
)
@click.option(
    "--manifest",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Save the dataset's JSON Lines manifest (read from the bucket) to this file.",
)
@_s3_profile_option(
    "AWS profile that reads the bucket (the manifest), when the API's credentials cannot: "
    "the bucket is the data account's (default: the API's credentials; with --env local, the "
    "local data account's profile). AWS_ENDPOINT_URL_S3 sets where S3 is."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of lines.")
def dataset_create(
    *,
    count: int,
    size_bytes: int | None,
    min_size_bytes: int | None,
    max_size_bytes: int | None,
    file_format: str | None,
    seed: int | None,
    no_wait: bool,
    manifest: Path | None,
    s3_profile: str | None,
    as_json: bool,
    **api: Any,
) -> None:
    """Create a dataset of COUNT files (POST /datasets), follow it with a progress bar (GET
    /datasets/{id}) and report its throughput and the files' write times."""
    ranged = min_size_bytes is not None or max_size_bytes is not None
    if (size_bytes is None) == (not ranged):
        raise click.UsageError("give either --size or both --min-size and --max-size")
    if ranged and (min_size_bytes is None or max_size_bytes is None):
        raise click.UsageError("--min-size and --max-size go together")
    connection = Connection.of(api)
    try:
        target = connection.target()
    except ConfigurationError as error:
        report_error(error)
        sys.exit(EXIT_CONFIGURATION)
    with connection.client(target=target) as client:
        try:
            accepted = client.create_dataset(
                count,
                file_format,
                size_bytes=size_bytes,
                min_size_bytes=min_size_bytes,
                max_size_bytes=max_size_bytes,
                seed=seed,
            )
        except RandfileError as error:
            _exit_for(error)
            return
        if no_wait:
            click.echo(_describe_accepted(client, accepted, as_json))
            sys.exit(EXIT_OK)
        final = _follow_dataset(client, accepted)
    if isinstance(final, int):
        sys.exit(final)
    reader = S3Reader(connection.env, s3_profile, target.region)
    sys.exit(_dataset_report(final, reader, manifest, as_json))


def _describe_accepted(client: RandfileClient, accepted: AcceptedDataset, as_json: bool) -> str:
    url = client.dataset_url(accepted)
    if as_json:
        return json.dumps({**asdict(accepted), "status_url": url})
    return (
        f"accepted dataset {accepted.dataset_id}: {accepted.count} files, "
        f"{decimal(accepted.total_bytes)}, {accepted.format}, seed {accepted.seed}, under "
        f"s3://{accepted.bucket}/{accepted.prefix}; status {url}"
    )


def _follow_dataset(client: RandfileClient, accepted: AcceptedDataset) -> DatasetStatus | int:
    """Waits for the dataset with a progress bar of files done and bytes written: its final
    status, or the exit code when the wait stopped first (the dataset going on)."""
    progress = _progress_bar(f"dataset {accepted.dataset_id}: {{task.fields[status]}}", "volume")
    total = decimal(accepted.total_bytes)
    task = progress.add_task(
        "dataset", total=accepted.count, status=accepted.status, volume=f"0 bytes of {total}"
    )

    def show(status: DatasetStatus) -> None:
        progress.update(
            task,
            completed=status.files_done,
            status=status.status,
            volume=f"{decimal(status.bytes_written)} of {total}",
        )

    try:
        with progress:
            return client.wait_dataset(accepted, on_progress=show)
    except KeyboardInterrupt:
        click.echo(
            f"randfile: stopped waiting; the dataset goes on: {client.dataset_url(accepted)}",
            err=True,
        )
        return EXIT_INTERRUPTED
    except DatasetTimeoutError as error:
        report_error(error)
        return EXIT_JOB_TIMEOUT
    except RandfileError as error:
        report_error(error)
        return exit_code_for([error])


def _dataset_report(
    final: DatasetStatus, reader: S3Reader, manifest: Path | None, as_json: bool
) -> int:
    """Prints the report (and the failed files), saves the manifest; the command's exit code.
    The write times come from the manifest: without read access to the bucket the report has
    the throughput only, unless --manifest asked for the file."""
    code = EXIT_OK if final.status == "succeeded" else EXIT_FAILED
    write_ms: list[float] | None = None
    try:
        data = manifests.download(reader.client(), final.bucket, final.manifest_key)
        write_ms = manifests.write_times(manifests.entries(data))
        if manifest is not None:
            manifest.parent.mkdir(parents=True, exist_ok=True)
            manifest.write_bytes(data)
    except (RandfileError, OSError) as error:
        click.echo(f"randfile: no write times: {error}", err=True)
        if manifest is not None:
            code = EXIT_FAILED
    report = DatasetReport.of(final, write_ms)
    if as_json:
        click.echo(
            json.dumps(
                {
                    **report.as_json(),
                    "manifest": f"s3://{final.bucket}/{final.manifest_key}",
                    "failed_files": [asdict(failed) for failed in final.failed_files],
                }
            )
        )
    else:
        for line in report.lines():
            click.echo(line)
        click.echo(f"  manifest     s3://{final.bucket}/{final.manifest_key}")
        if manifest is not None and code == EXIT_OK:
            click.echo(f"  saved to     {manifest}")
    if final.status == "failed":
        shown = final.failed_files[:SHOWN_FAILED_FILES]
        for failed in shown:
            click.echo(
                f"randfile: file {failed.index} s3://{final.bucket}/{failed.key} failed: "
                f"{failed.error_code}: {failed.error_message}",
                err=True,
            )
        click.echo(
            f"randfile: dataset {final.dataset_id} failed: {final.files_failed} of "
            f"{final.count} files failed ({len(shown)} shown)",
            err=True,
        )
    return code
