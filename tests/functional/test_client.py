"""The randfile client against a local HTTP server that checks each SigV4 signature with botocore
(localcloud.sigv4) and answers from a script: retries, errors, batches, the command's exit codes."""

from __future__ import annotations

import inspect
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials
from click.testing import CliRunner

from localcloud import sigv4
from randfile_client import (
    AcceptedJob,
    ApiError,
    ConfigurationError,
    JobFailedError,
    JobTimeoutError,
    RandfileClient,
    RandfileError,
    RetryPolicy,
    TransportError,
    parse_size,
    targets,
)
from randfile_client.cli import main
from tests.http_stand_in import local_server
from tests.local_checkout import local_checkout
from tests.stand_in_client import API_KEY, HOST, REGION, stand_in_client

CREDENTIALS = Credentials("AKIDCLIENTTEST", "client-secret", "client-token")


@dataclass
class Api:
    """Answers POST /files from `script` (status, headers, body), then 201s; records requests."""

    script: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # GET /files/{job_id}: answered from `polls`, each request's path kept in `polled`.
    polls: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    polled: list[str] = field(default_factory=list)

    def answer_get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        try:
            sigv4.verify(
                sigv4.parse(headers, REGION),
                CREDENTIALS,
                method="GET",
                url=f"https://{headers['Host']}{path}",
                headers=headers,
                body=b"",
            )
        except sigv4.SignatureRejected as rejected:
            return 403, {"x-amzn-ErrorType": rejected.error_type}, {"message": rejected.message}
        with self.lock:
            self.polled.append(path)
            return self.polls.pop(0)

    def answer(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        try:
            authorization = sigv4.parse(headers, REGION)
            sigv4.verify(
                authorization,
                CREDENTIALS,
                method="POST",
                url=f"https://{headers['Host']}/files",
                headers=headers,
                body=body,
            )
        except sigv4.SignatureRejected as rejected:
            return 403, {"x-amzn-ErrorType": rejected.error_type}, {"message": rejected.message}
        document = json.loads(body or b"{}")
        with self.lock:
            self.requests.append({"headers": headers, "body": document})
            if self.script:
                return self.script.pop(0)
            index = len(self.requests)
        size = document.get("size_bytes", 1048576)
        return (
            201,
            {},
            {
                "bucket": "b",
                "key": f"random/{index:04d}.bin",
                "size_bytes": size,
                "format": document.get("format", "binary"),
                "seed": document.get("seed", 1000 + index),
                "sha256": "0" * 64,
                "checksum_crc64nvme": "AAAAAAAAAAA=",
                "etag": '"e"',
                "version_id": None,
                "content_type": "application/octet-stream",
            },
        )


@pytest.fixture
def api() -> Iterator[tuple[str, Api]]:
    state = Api()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.reply(*state.answer(dict(self.headers.items()), body))

        def do_GET(self) -> None:
            self.reply(*state.answer_get(self.path, dict(self.headers.items())))

        def reply(self, status: int, headers: dict[str, str], document: Any) -> None:
            payload = json.dumps(document).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    with local_server(Handler) as url:
        yield url, state


def client(url: str, **overrides: Any) -> RandfileClient:
    return stand_in_client(url, **({"credentials": CREDENTIALS} | overrides))


@pytest.mark.parametrize(
    ("text", "size"),
    [("512", 512), ("10MiB", 10 * 1024**2), ("1GB", 10**9), ("1.5 KiB", 1536), ("2kB", 2000)],
)
def test_human_sizes(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize(("text", "reason"), [("10Mb", "bits"), ("0.5B", "whole"), ("ten", "size")])
def test_sizes_that_are_not_bytes_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_size(text)


def test_a_request_is_signed_over_the_host_and_api_key(api: tuple[str, Api]) -> None:
    url, state = api
    with client(url) as randfile:
        created = randfile.create(2048, "csv", 7)

    assert created.size_bytes == 2048
    assert created.seed == 7
    [request] = state.requests
    assert request["body"] == {"size_bytes": 2048, "format": "csv", "seed": 7}
    assert request["headers"]["Host"] == HOST
    assert request["headers"]["x-api-key"] == API_KEY
    signed = sigv4.parse(request["headers"], REGION).signed_headers
    assert {"host", "x-api-key", "x-amz-date", "x-amz-security-token"} <= set(signed)


def test_a_wrong_secret_is_refused_by_the_verifier(api: tuple[str, Api]) -> None:
    url, _ = api
    wrong = Credentials(CREDENTIALS.access_key, "another-secret", CREDENTIALS.token)
    with client(url, credentials=wrong) as randfile, pytest.raises(ApiError) as raised:
        randfile.create(10, "text")

    assert raised.value.status == 403
    assert raised.value.code == "InvalidSignatureException"


def test_throttling_is_retried_honouring_retry_after(api: tuple[str, Api]) -> None:
    url, state = api
    throttled = {"error": {"code": "throttled", "message": "Too Many Requests"}}
    state.script = [(429, {"Retry-After": "0"}, throttled), (503, {}, throttled)]
    with client(url) as randfile:
        created = randfile.create(10, "text")

    assert created.key == "random/0003.bin"
    assert len(state.requests) == 3


def test_retries_are_bounded(api: tuple[str, Api]) -> None:
    url, state = api
    unavailable = {"error": {"code": "storage_unavailable", "message": "S3 is slow"}}
    state.script = [(503, {"Retry-After": "0"}, unavailable)] * 5
    with client(url) as randfile, pytest.raises(ApiError) as raised:
        randfile.create(10, "text")

    assert raised.value.code == "storage_unavailable"
    assert len(state.requests) == 3


def test_a_throttled_request_goes_on_past_the_attempts_for_throttled_for(
    api: tuple[str, Api],
) -> None:
    url, state = api
    throttled = {"error": {"code": "throttled", "message": "Too Many Requests"}}
    state.script = [(429, {}, throttled)] * 5
    with client(url) as randfile:
        created = randfile.create(10, "text")

    assert created.key == "random/0006.bin"
    assert len(state.requests) == 6


@pytest.mark.parametrize(
    ("policy", "requests"),
    [
        (RetryPolicy(attempts=3, initial_wait=0.01, max_wait=1, throttled_for=0), 3),
        (RetryPolicy(attempts=1, initial_wait=0.01, max_wait=1), 1),
    ],
)
def test_throttled_retries_end_after_throttled_for_and_never_without_retries(
    api: tuple[str, Api], policy: RetryPolicy, requests: int
) -> None:
    url, state = api
    throttled = {"error": {"code": "throttled", "message": "Too Many Requests"}}
    state.script = [(429, {}, throttled)] * 5
    with client(url, retry=policy) as randfile, pytest.raises(ApiError) as raised:
        randfile.create(10, "text")

    assert raised.value.code == "throttled"
    assert len(state.requests) == requests


@pytest.mark.parametrize(
    ("status", "headers", "code"),
    [
        (429, {}, "quota_exceeded"),
        (503, {"Retry-After": "3600"}, "storage_unavailable"),
        (400, {}, "invalid_request"),
        (502, {}, "storage_error"),
    ],
)
def test_final_answers_are_not_retried(
    api: tuple[str, Api], status: int, headers: dict[str, str], code: str
) -> None:
    url, state = api
    state.script = [(status, headers, {"error": {"code": code, "message": "the API's words"}})]
    with client(url) as randfile, pytest.raises(ApiError) as raised:
        randfile.create(10, "text")

    assert (raised.value.status, raised.value.code) == (status, code)
    assert raised.value.message == "the API's words"
    assert len(state.requests) == 1


def test_api_gateways_own_answer_is_read_from_its_header(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [(403, {"x-amzn-ErrorType": "ForbiddenException"}, {"message": "Forbidden"})]
    with client(url) as randfile, pytest.raises(ApiError) as raised:
        randfile.create(10, "text")

    assert (raised.value.code, raised.value.message) == ("ForbiddenException", "Forbidden")


def test_credentials_never_go_over_plain_http_to_another_host() -> None:
    with pytest.raises(ConfigurationError, match="plain http"):
        client("http://files.example.com")


def test_an_unreachable_api_is_a_transport_error() -> None:
    with client("http://127.0.0.1:9", timeout=2) as randfile, pytest.raises(TransportError):
        randfile.create(10, "text")


def _cli(url: str, *args: str, tmp_path: Path, command: str = "create") -> Any:
    environment = {
        "AWS_ACCESS_KEY_ID": CREDENTIALS.access_key,
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS.secret_key,
        "AWS_SESSION_TOKEN": str(CREDENTIALS.token),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    common = [command, f"--endpoint={url}", f"--host={HOST}", f"--region={REGION}"]
    return CliRunner().invoke(
        main, [*common, f"--api-key={API_KEY}", "--max-wait=1", *args], env=environment
    )


def test_a_batch_writes_a_manifest_line_per_file(api: tuple[str, Api], tmp_path: Path) -> None:
    url, state = api
    manifest = tmp_path / "made.jsonl"
    state.script = [(400, {}, {"error": {"code": "invalid_request", "message": "no"}})]

    result = _cli(
        url,
        "--count=6",
        "--parallel=3",
        "--size=1KiB",
        "--format=text",
        "--seed=40",
        f"--manifest={manifest}",
        "--json",
        tmp_path=tmp_path,
    )

    assert result.exit_code == 4, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["files"], summary["bytes"], summary["failures"]) == (5, 5 * 1024, {"400": 1})
    lines = [json.loads(line) for line in manifest.read_text().splitlines()]
    assert len(lines) == 5
    assert list(lines[0])[:4] == ["key", "size", "sha256", "seed"]
    # What `randfile verify` compares with S3's stored checksum.
    assert lines[0]["checksum_crc64nvme"] == "AAAAAAAAAAA="
    sent_seeds = sorted(request["body"]["seed"] for request in state.requests)
    assert sent_seeds == list(range(40, 46))
    assert {line["seed"] for line in lines} < set(sent_seeds)


def test_one_file_prints_a_short_line(api: tuple[str, Api], tmp_path: Path) -> None:
    url, _ = api
    result = _cli(url, "--size=512", "--format=csv", tmp_path=tmp_path)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("created s3://b/random/0001.bin (512 bytes, csv")


@pytest.mark.parametrize(
    ("script", "code"),
    [
        ((403, {}, {"error": {"code": "invalid_api_key", "message": "Forbidden"}}), 4),
        ((502, {}, {"error": {"code": "storage_error", "message": "S3 refused"}}), 5),
    ],
)
def test_exit_codes_say_who_failed(
    api: tuple[str, Api], tmp_path: Path, script: tuple[int, dict[str, str], Any], code: int
) -> None:
    url, state = api
    state.script = [script]
    result = _cli(url, "--size=512", tmp_path=tmp_path)

    assert result.exit_code == code
    assert script[2]["error"]["message"] in result.stderr


def test_no_endpoint_is_a_configuration_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["create", "--region=eu-west-1"], env={"RANDFILE_ENV": None})

    assert result.exit_code == 3
    assert "no endpoint" in result.stderr


def test_a_bad_size_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["create", "--endpoint=https://x.test", "--size=10Mb"])

    assert result.exit_code == 2
    assert "bits" in result.stderr


def resolve_given(**given: Any) -> targets.Target:
    """`targets.resolve` as the command calls it: every option it takes, None where not given."""
    options: dict[str, Any] = dict.fromkeys(inspect.signature(targets.resolve).parameters)
    return targets.resolve(**(options | given))


def test_env_local_reads_the_endpoint_file_above_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local_checkout(
        tmp_path, {"endpoint": "http://127.0.0.1:1", "host": HOST, "region": REGION, "api_key": "k"}
    )
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path / "docs")

    target = resolve_given(env="local")

    assert target == targets.Target("http://127.0.0.1:1", REGION, HOST, "k")


def test_stack_outputs_give_the_endpoint_region_and_key_id(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "api_url": {"value": "https://files.dev.example.com"},
                "region": {"value": REGION},
                "api_key_id": {"value": None},
            }
        )
    )

    target = resolve_given(
        outputs_file=outputs,
        api_key="flag-key",
        api_key_ssm_parameter="/ignored/when/a/flag/is/given",
    )

    assert target == targets.Target("https://files.dev.example.com", REGION, api_key="flag-key")


JOB_ID = "01JDZQ5V8X6M3N2P4R7S9T0W1Y"
JOB = {
    "job_id": JOB_ID,
    "bucket": "b",
    "key": f"random/2026/11/28/{JOB_ID}.bin",
    "size_bytes": 2 * 1024**3,
    "format": "binary",
    "seed": 7,
    "content_type": "application/octet-stream",
}


def accepted(status_url: str = f"https://{HOST}/files/{JOB_ID}") -> tuple[int, dict[str, str], Any]:
    return 202, {"Location": status_url}, {**JOB, "status": "queued", "status_url": status_url}


def job_state(status: str, **fields: Any) -> tuple[int, dict[str, str], Any]:
    times = {"created_at": "2026-11-28T09:00:00.000Z", "updated_at": "2026-11-28T09:01:00.000Z"}
    return 200, {}, {**JOB, **times, "status": status, **fields}


SUCCEEDED = job_state("succeeded", sha256="ab" * 32, etag="e-256", version_id="v1")


def test_a_job_is_polled_until_it_succeeds_through_throttling(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [accepted()]
    state.polls = [
        job_state("queued"),
        (429, {"Retry-After": "0"}, {"error": {"code": "throttled", "message": "slow down"}}),
        job_state("running"),
        SUCCEEDED,
    ]
    heard: list[str] = []
    with client(url, poll_interval=0.01) as randfile:
        created = randfile.create(2 * 1024**3, mode="async", on_status=heard.append)

    assert (created.key, created.size_bytes, created.sha256, created.version_id) == (
        JOB["key"],
        2 * 1024**3,
        "ab" * 32,
        "v1",
    )
    assert state.requests[0]["body"] == {"size_bytes": 2 * 1024**3, "mode": "async"}
    assert state.polled == [f"/files/{JOB_ID}"] * 4
    assert heard == ["queued", "running", "succeeded"]


def test_a_failed_job_is_an_error_with_the_api_s_code(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [accepted()]
    message = "stopped before part 900: 2500 ms left"
    state.polls = [job_state("failed", error={"code": "deadline_exceeded", "message": message})]
    with client(url, poll_interval=0.01) as randfile, pytest.raises(JobFailedError) as caught:
        randfile.create(2 * 1024**3)
    assert (caught.value.job_id, caught.value.code, caught.value.message) == (
        JOB_ID,
        "deadline_exceeded",
        message,
    )


def test_a_status_url_keeps_the_api_s_base_path(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [accepted(f"https://{HOST}/v2/files/{JOB_ID}")]
    state.polls = [SUCCEEDED]
    with client(url, poll_interval=0.01) as randfile:
        randfile.create(2 * 1024**3)
    assert state.polled == [f"/v2/files/{JOB_ID}"]


def test_a_status_url_on_another_host_is_never_sent_a_signed_request(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [accepted(f"https://elsewhere.example/files/{JOB_ID}")]
    with client(url) as randfile, pytest.raises(RandfileError, match="not on the API's host"):
        randfile.create(2 * 1024**3)
    assert state.polled == []


def test_the_command_waits_for_a_job_and_prints_its_file(
    api: tuple[str, Api], tmp_path: Path
) -> None:
    url, state = api
    state.script = [accepted()]
    state.polls = [job_state("running"), SUCCEEDED]
    result = _cli(url, "--size=2GiB", "--poll-interval=0.1", tmp_path=tmp_path)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"created s3://b/{JOB['key']} (2.1 GB, binary, seed 7")
    assert len(state.polled) == 2


def test_no_wait_prints_the_job_and_exits(api: tuple[str, Api], tmp_path: Path) -> None:
    url, state = api
    state.script = [accepted()]
    result = _cli(url, "--size=2GiB", "--no-wait", "--json", tmp_path=tmp_path)

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["job_id"], printed["status_url"]) == (JOB_ID, f"https://{HOST}/files/{JOB_ID}")
    assert state.polled == []


def test_a_failed_job_exits_5_with_its_reason(api: tuple[str, Api], tmp_path: Path) -> None:
    url, state = api
    state.script = [accepted()]
    state.polls = [job_state("failed", error={"code": "storage_error", "message": "S3 refused"})]
    result = _cli(url, "--size=2GiB", "--mode=async", "--poll-interval=0.1", tmp_path=tmp_path)

    assert result.exit_code == 5
    assert f"job {JOB_ID} failed: storage_error: S3 refused" in result.stderr
    assert state.requests[0]["body"]["mode"] == "async"


def test_no_wait_is_for_one_file() -> None:
    result = CliRunner().invoke(
        main, ["create", "--endpoint=https://x.test", "--no-wait", "--count=2"]
    )
    assert result.exit_code == 2
    assert "--no-wait" in result.stderr


def test_a_wait_stops_at_its_timeout_naming_the_job_and_its_status_url(
    api: tuple[str, Api],
) -> None:
    url, state = api
    state.script = [accepted()]
    state.polls = [job_state("running")] * 100
    with client(url, poll_interval=0.05) as randfile:
        job = randfile.submit(2 * 1024**3)
        assert isinstance(job, AcceptedJob)
        started = time.monotonic()
        with pytest.raises(JobTimeoutError) as caught:
            randfile.wait(job, timeout=0.3)
        waited = time.monotonic() - started

    assert (caught.value.job_id, caught.value.status, caught.value.status_url) == (
        JOB_ID,
        "running",
        f"https://{HOST}/files/{JOB_ID}",
    )
    assert 0.3 <= waited < 2
    # Polled until the limit, and the last read is at the limit, not a poll interval past it.
    assert 4 <= len(state.polled) <= 8


def test_the_client_s_job_timeout_bounds_create(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [accepted()]
    state.polls = [job_state("queued")] * 100
    expected = f"job {JOB_ID} still queued after"
    with (
        client(url, poll_interval=0.05, job_timeout=0.2) as randfile,
        pytest.raises(JobTimeoutError, match=expected),
    ):
        randfile.create(2 * 1024**3)


def test_the_command_exits_6_when_a_job_outlasts_its_timeout(
    api: tuple[str, Api], tmp_path: Path
) -> None:
    url, state = api
    state.script = [accepted()]
    state.polls = [job_state("running")] * 100
    result = _cli(url, "--size=2GiB", "--poll-interval=0.1", "--timeout=0.3", tmp_path=tmp_path)

    assert result.exit_code == 6, result.output
    assert f"it goes on: https://{HOST}/files/{JOB_ID}" in result.stderr
    assert f"randfile status {JOB_ID} --wait" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("answer", "code", "printed"),
    [
        (job_state("running"), 0, f"job {JOB_ID}: running"),
        (SUCCEEDED, 0, f"job {JOB_ID}: succeeded; created s3://b/{JOB['key']} (2.1 GB"),
        (
            job_state("failed", error={"code": "storage_error", "message": "S3 refused"}),
            5,
            f"job {JOB_ID}: failed: storage_error: S3 refused",
        ),
    ],
)
def test_status_prints_a_job_s_state(
    api: tuple[str, Api],
    tmp_path: Path,
    answer: tuple[int, dict[str, str], Any],
    code: int,
    printed: str,
) -> None:
    url, state = api
    state.polls = [answer]
    result = _cli(url, JOB_ID, tmp_path=tmp_path, command="status")

    assert result.exit_code == code, result.output
    assert result.stdout.startswith(printed)
    assert state.polled == [f"/files/{JOB_ID}"]


def test_status_of_an_unknown_job_exits_4(api: tuple[str, Api], tmp_path: Path) -> None:
    url, state = api
    state.polls = [(404, {}, {"error": {"code": "not_found", "message": f"no job {JOB_ID}"}})]
    result = _cli(url, JOB_ID, "--json", tmp_path=tmp_path, command="status")

    assert result.exit_code == 4
    assert f"HTTP 404 not_found: no job {JOB_ID}" in result.stderr


def test_status_wait_follows_the_job_to_its_file(api: tuple[str, Api], tmp_path: Path) -> None:
    url, state = api
    state.polls = [job_state("queued"), job_state("running"), SUCCEEDED]
    result = _cli(
        url, JOB_ID, "--wait", "--json", "--poll-interval=0.1", tmp_path=tmp_path, command="status"
    )

    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert (printed["key"], printed["sha256"]) == (JOB["key"], "ab" * 32)
    assert len(state.polled) == 3


def test_status_wait_exits_6_at_its_timeout(api: tuple[str, Api], tmp_path: Path) -> None:
    url, state = api
    state.polls = [job_state("running")] * 100
    result = _cli(
        url,
        JOB_ID,
        "--wait",
        "--poll-interval=0.1",
        "--timeout=0.2",
        tmp_path=tmp_path,
        command="status",
    )

    assert result.exit_code == 6
    assert f"it goes on: https://{HOST}/files/{JOB_ID}" in result.stderr


def test_status_refuses_what_is_not_a_job_id(api: tuple[str, Api], tmp_path: Path) -> None:
    url, state = api
    result = _cli(url, "../../admin", tmp_path=tmp_path, command="status")

    assert result.exit_code == 2
    assert "26-character ULID" in result.stderr
    assert state.polled == []


def _keys(state: Api) -> list[str]:
    return [request["headers"]["Idempotency-Key"] for request in state.requests]


def test_every_try_of_one_request_carries_the_same_idempotency_key(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [
        (503, {"Retry-After": "0"}, {"error": {"code": "storage_unavailable", "message": "x"}}),
        (409, {"Retry-After": "0"}, {"error": {"code": "idempotency_key_in_use", "message": "y"}}),
    ]
    with client(url) as randfile:
        randfile.create(10, "text")
        randfile.create(10, "text")

    first, retried, in_progress, other = _keys(state)
    # A Structured Field String, signed with the rest (the stand-in checks every signature).
    assert re.fullmatch(r'"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}"', first)
    assert first == retried == in_progress != other


def test_a_key_given_is_sent_escaped_as_the_draft_says(api: tuple[str, Api]) -> None:
    url, state = api
    with client(url) as randfile:
        randfile.submit(10, idempotency_key='order "7" \\ retry')
    assert _keys(state) == ['"order \\"7\\" \\\\ retry"']


def test_a_reused_key_is_a_refusal_not_retried(api: tuple[str, Api]) -> None:
    url, state = api
    state.script = [(422, {}, {"error": {"code": "idempotency_key_reused", "message": "other"}})]
    with client(url) as randfile, pytest.raises(ApiError) as caught:
        randfile.submit(10, idempotency_key="k")
    assert (caught.value.status, caught.value.code, len(state.requests)) == (
        422,
        "idempotency_key_reused",
        1,
    )
