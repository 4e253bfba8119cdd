"""The dataset client (`RandfileClient.create_dataset`, `wait_dataset`, `randfile dataset
create`) against a stand-in API that checks every SigV4 signature, and the manifest read back
from a moto bucket in-process for the report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from click.testing import CliRunner, Result
from moto import mock_aws

from localcloud import sigv4
from randfile_client import (
    AcceptedDataset,
    ApiError,
    DatasetStatus,
    DatasetTimeoutError,
    RandfileClient,
    RandfileError,
    manifests,
    targets,
)
from randfile_client.cli import S3Reader, main
from tests.http_stand_in import Recorder, serve
from tests.local_checkout import local_checkout
from tests.stand_in_client import API_KEY, HOST, REGION, stand_in_client

CREDENTIALS = Credentials("AKIDDATASETTEST", "dataset-secret", "dataset-token")
DATASET_ID = "01JE0AAAAAAAAAAAAAAAAAAAAA"
BUCKET = "randfile-test-data"
PREFIX = f"random/datasets/{DATASET_ID}/"
MANIFEST_KEY = f"{PREFIX}manifest.jsonl"
STATUS_PATH = f"/datasets/{DATASET_ID}"
ACCEPTED = {
    "dataset_id": DATASET_ID,
    "status": "queued",
    "bucket": BUCKET,
    "prefix": PREFIX,
    "manifest_key": MANIFEST_KEY,
    "manifest_csv_key": f"{PREFIX}manifest.csv",
    "status_url": STATUS_PATH,
    "count": 4,
    "format": "binary",
    "seed": 7,
    "total_bytes": 4 * 65536,
    "created_at": "2026-12-06T10:00:00.000Z",
}


def status(state: str, done: int = 0, failed: int = 0, **fields: Any) -> dict[str, Any]:
    """A GET /datasets/{id} answer: `done` files succeeded, `failed` failed, the rest waiting."""
    answer = {key: value for key, value in ACCEPTED.items() if key != "status_url"}
    return {
        **answer,
        "status": state,
        "files_succeeded": done,
        "files_failed": failed,
        "files_waiting": 4 - done - failed,
        "bytes_written": done * 65536,
        "updated_at": "2026-12-06T10:00:02.000Z",
        **fields,
    }


class StandIn:
    """Answers POST /datasets from `posts` (then 202 ACCEPTED) and GET from `gets`, checking
    each request's signature as API Gateway would."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, Any]] = []
        self.gets: list[tuple[int, Any]] = []

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        try:
            sigv4.verify(
                sigv4.parse(headers, REGION),
                CREDENTIALS,
                method=method,
                url=f"https://{headers['host']}{path}",
                headers=headers,
                body=body,
            )
        except sigv4.SignatureRejected as rejected:
            return 403, {"message": rejected.message}
        if method == "POST" and path == "/datasets":
            return self.posts.pop(0) if self.posts else (202, ACCEPTED)
        if method == "GET" and path == STATUS_PATH:
            return self.gets.pop(0)
        return 404, {"error": {"code": "not_found", "message": path}}


@pytest.fixture
def api() -> Iterator[tuple[str, StandIn, Recorder]]:
    stand_in = StandIn()
    with serve(stand_in) as (url, recorder):
        yield url, stand_in, recorder


def client(url: str, **overrides: Any) -> RandfileClient:
    settings: dict[str, Any] = {"credentials": CREDENTIALS, "poll_interval": 0.01}
    return stand_in_client(url, **(settings | overrides))


def posted(recorder: Recorder) -> list[tuple[dict[str, str], Any]]:
    return [
        (headers, json.loads(body))
        for method, _, headers, body in recorder.requests
        if method == "POST"
    ]


def gets(recorder: Recorder) -> list[str]:
    return [path for method, path, _, _ in recorder.requests if method == "GET"]


def test_a_dataset_is_posted_signed_and_its_202_parsed(
    api: tuple[str, StandIn, Recorder],
) -> None:
    url, _, recorder = api
    with client(url) as randfile:
        accepted = randfile.create_dataset(4, "binary", size_bytes=65536, seed=7)

    assert accepted == AcceptedDataset(**ACCEPTED)  # type: ignore[arg-type]
    [(headers, body)] = posted(recorder)
    assert body == {"count": 4, "format": "binary", "size_bytes": 65536, "seed": 7}
    assert headers["x-api-key"] == API_KEY
    assert re.fullmatch(r'"[0-9a-f-]{36}"', headers["idempotency-key"])


def test_a_size_range_is_sent_as_its_two_bounds(api: tuple[str, StandIn, Recorder]) -> None:
    url, _, recorder = api
    with client(url) as randfile:
        randfile.create_dataset(4, min_size_bytes=1000, max_size_bytes=5000)
    [(_, body)] = posted(recorder)
    assert body == {"count": 4, "min_size_bytes": 1000, "max_size_bytes": 5000}


@pytest.mark.parametrize(
    "sizes",
    [{}, {"size_bytes": 1, "min_size_bytes": 1, "max_size_bytes": 2}, {"min_size_bytes": 1}],
)
def test_exactly_one_form_of_size_is_sent(
    api: tuple[str, StandIn, Recorder], sizes: dict[str, Any]
) -> None:
    url, _, recorder = api
    with client(url) as randfile, pytest.raises(RandfileError, match="either size_bytes"):
        randfile.create_dataset(4, None, **sizes)
    assert recorder.requests == []


def test_retries_carry_the_same_idempotency_key(api: tuple[str, StandIn, Recorder]) -> None:
    url, stand_in, recorder = api
    stand_in.posts = [
        (503, {"error": {"code": "storage_unavailable", "message": "slow down"}}),
        (409, {"error": {"code": "idempotency_key_in_use", "message": "in progress"}}),
    ]
    with client(url) as randfile:
        randfile.create_dataset(4, size_bytes=65536)
        randfile.create_dataset(4, size_bytes=65536)

    keys = [headers["idempotency-key"] for headers, _ in posted(recorder)]
    assert len(keys) == 4
    assert keys[0] == keys[1] == keys[2] != keys[3]


def test_a_refusal_is_not_retried(api: tuple[str, StandIn, Recorder]) -> None:
    url, stand_in, recorder = api
    limit = "count must be at most 10000 (max_dataset_files)"
    stand_in.posts = [(400, {"error": {"code": "invalid_request", "message": limit}})]
    with client(url) as randfile, pytest.raises(ApiError, match="max_dataset_files"):
        randfile.create_dataset(20000, size_bytes=1)
    assert len(posted(recorder)) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"prefix": None},
        {"count": "4"},
        {"count": True},
        {"status": "done"},
        {"dataset_id": "../../admin"},
    ],
)
def test_a_malformed_202_is_an_error(
    api: tuple[str, StandIn, Recorder], change: dict[str, Any]
) -> None:
    url, stand_in, _ = api
    malformed = {key: value for key, value in {**ACCEPTED, **change}.items() if value is not None}
    stand_in.posts = [(202, malformed)]
    with client(url) as randfile, pytest.raises(RandfileError, match="does not describe a dataset"):
        randfile.create_dataset(4, size_bytes=65536)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (status("running", done=2, files_waiting=5), "do not add up"),
        (status("running", bytes_written=-1), "does not describe a dataset"),
        (status("failed", failed=1, failed_files=[{"index": 0}]), "does not describe a dataset"),
    ],
)
def test_a_malformed_status_is_an_error(
    api: tuple[str, StandIn, Recorder], answer: dict[str, Any], message: str
) -> None:
    url, stand_in, _ = api
    stand_in.gets = [(200, answer)]
    with client(url) as randfile, pytest.raises(RandfileError, match=message):
        randfile.dataset_status(DATASET_ID)


def test_wait_follows_the_dataset_through_throttling_to_its_end(
    api: tuple[str, StandIn, Recorder],
) -> None:
    url, stand_in, recorder = api
    stand_in.gets = [
        (200, status("queued")),
        (429, {"error": {"code": "throttled", "message": "Too Many Requests"}}),
        (200, status("running", done=2)),
        (200, status("succeeded", done=4)),
    ]
    heard: list[DatasetStatus] = []
    with client(url) as randfile:
        final = randfile.wait_dataset(
            randfile.create_dataset(4, size_bytes=65536), timeout=10, on_progress=heard.append
        )

    assert (final.status, final.files_succeeded, final.bytes_written) == ("succeeded", 4, 262144)
    assert [(seen.status, seen.files_done) for seen in heard] == [
        ("queued", 0),
        ("running", 2),
        ("succeeded", 4),
    ]
    assert gets(recorder) == [STATUS_PATH] * 4


def test_wait_stops_at_its_timeout_naming_the_status_url(
    api: tuple[str, StandIn, Recorder],
) -> None:
    url, stand_in, _ = api
    stand_in.gets = [(200, status("running", done=1))] * 200
    with client(url, poll_interval=0.05) as randfile, pytest.raises(DatasetTimeoutError) as caught:
        randfile.wait_dataset(DATASET_ID, timeout=0.2)
    assert (caught.value.dataset_id, caught.value.status) == (DATASET_ID, "running")
    assert caught.value.status_url == f"https://{HOST}{STATUS_PATH}"


# --- the command ------------------------------------------------------------------------------


def manifest_lines(write_ms: list[float]) -> bytes:
    lines = [
        {
            "index": index,
            "bucket": BUCKET,
            "key": f"{PREFIX}{index}.bin",
            "size_bytes": 65536,
            "sha256": "ab" * 32,
            "checksum_crc64nvme": "AAAAAAAAAAA=",
            "seed": 100 + index,
            "etag": '"e"',
            "version_id": "v",
            "write_ms": ms,
        }
        for index, ms in enumerate(write_ms)
    ]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


@pytest.fixture
def bucket() -> Iterator[Any]:
    """The data bucket, in moto in-process, with the dataset's manifest in it."""
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_object(Bucket=BUCKET, Key=MANIFEST_KEY, Body=manifest_lines([10, 20, 30, 400]))
        yield s3


def run(url: str, *args: str) -> Result:
    environment = {
        "AWS_ACCESS_KEY_ID": CREDENTIALS.access_key,
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS.secret_key,
        "AWS_SESSION_TOKEN": str(CREDENTIALS.token),
        "RANDFILE_ENV": None,
    }
    common = [f"--endpoint={url}", f"--host={HOST}", f"--region={REGION}", f"--api-key={API_KEY}"]
    return CliRunner().invoke(
        main,
        ["dataset", "create", *common, "--max-wait=1", "--poll-interval=0.1", *args],
        env=environment,
    )


def test_the_command_follows_the_dataset_and_reports_it(
    api: tuple[str, StandIn, Recorder], bucket: Any, tmp_path: Path
) -> None:
    url, stand_in, recorder = api
    stand_in.gets = [
        (200, status("running", done=1)),
        (200, status("succeeded", done=4)),
    ]
    saved = tmp_path / "out" / "manifest.jsonl"
    result = run(url, "--count=4", "--size=64KiB", "--seed=7", f"--manifest={saved}")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"dataset {DATASET_ID} succeeded: 4 of 4 files, 262.1 kB in 2.0 s",
        "  throughput   2.0 files/s, 131.1 kB/s",
        "  write time   p50 25.0 ms, p90 289.0 ms, p99 388.9 ms, max 400.0 ms (4 files)",
        f"  manifest     s3://{BUCKET}/{MANIFEST_KEY}",
        f"  saved to     {saved}",
    ]
    assert saved.read_bytes() == manifest_lines([10, 20, 30, 400])
    [(_, body)] = posted(recorder)
    assert body == {"count": 4, "size_bytes": 65536, "seed": 7}


def test_the_report_as_json(api: tuple[str, StandIn, Recorder], bucket: Any) -> None:
    url, stand_in, recorder = api
    stand_in.gets = [(200, status("succeeded", done=4))]
    result = run(url, "--count=4", "--min-size=1kB", "--max-size=64KiB", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["files"], report["bytes"], report["seconds"]) == (4, 262144, 2.0)
    assert report["write_ms"] == {"p50": 25.0, "p90": 289.0, "p99": 388.9, "max": 400.0}
    assert report["failed_files"] == []
    [(_, body)] = posted(recorder)
    assert body == {"count": 4, "min_size_bytes": 1000, "max_size_bytes": 65536}


def test_a_failed_dataset_exits_5_listing_at_most_ten_files(
    api: tuple[str, StandIn, Recorder], bucket: Any
) -> None:
    url, stand_in, _ = api
    failed = [
        {"index": i, "key": f"{PREFIX}{i}.bin", "error_code": "storage_error", "message": ""}
        for i in range(12)
    ]
    for entry in failed:
        entry["error_message"] = "S3 refused"
        del entry["message"]
    answer = status("failed", done=0, failed=12, count=12, files_waiting=0, failed_files=failed)
    stand_in.gets = [(200, answer)]
    result = run(url, "--count=12", "--size=64KiB")

    assert result.exit_code == 5, result.output
    listed = [line for line in result.stderr.splitlines() if " failed: storage_error" in line]
    assert len(listed) == 10
    assert (
        listed[0]
        == f"randfile: file 0 s3://{BUCKET}/{PREFIX}0.bin failed: storage_error: S3 refused"
    )
    assert f"dataset {DATASET_ID} failed: 12 of 12 files failed (10 shown)" in result.stderr
    assert result.stdout.startswith(f"dataset {DATASET_ID} failed: 0 of 12 files, 12 failed")


def test_no_wait_prints_the_accepted_dataset(api: tuple[str, StandIn, Recorder]) -> None:
    url, _, recorder = api
    result = run(url, "--count=4", "--size=64KiB", "--no-wait")

    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"accepted dataset {DATASET_ID}: 4 files, 262.1 kB, binary, seed 7, under "
        f"s3://{BUCKET}/{PREFIX}; status https://{HOST}{STATUS_PATH}\n"
    )
    assert gets(recorder) == []


def test_the_command_exits_6_at_its_timeout(api: tuple[str, StandIn, Recorder]) -> None:
    url, stand_in, _ = api
    stand_in.gets = [(200, status("running", done=1))] * 100
    result = run(url, "--count=4", "--size=64KiB", "--timeout=0.3")

    assert result.exit_code == 6, result.output
    assert f"it goes on: https://{HOST}{STATUS_PATH}" in result.stderr
    assert result.stdout == ""


def test_a_refused_dataset_exits_4(api: tuple[str, StandIn, Recorder]) -> None:
    url, stand_in, _ = api
    stand_in.posts = [(400, {"error": {"code": "invalid_request", "message": "too many files"}})]
    result = run(url, "--count=20000", "--size=64KiB")

    assert result.exit_code == 4
    assert "HTTP 400 invalid_request: too many files" in result.stderr


@pytest.mark.parametrize(
    "sizes",
    [[], ["--size=1KiB", "--min-size=1KiB", "--max-size=2KiB"], ["--min-size=1KiB"]],
)
def test_sizes_are_one_of_two_forms(api: tuple[str, StandIn, Recorder], sizes: list[str]) -> None:
    url, _, recorder = api
    result = run(url, "--count=4", *sizes)
    assert result.exit_code == 2
    assert recorder.requests == []


def test_without_access_to_the_bucket_the_report_has_no_write_times(
    api: tuple[str, StandIn, Recorder],
) -> None:
    url, stand_in, _ = api
    stand_in.gets = [(200, status("succeeded", done=4))]
    with mock_aws():  # no bucket: GetObject answers NoSuchBucket
        result = run(url, "--count=4", "--size=64KiB")

    assert result.exit_code == 0, result.output
    assert "no write times" in result.stderr
    assert "write time" not in result.stdout
    assert "throughput   2.0 files/s" in result.stdout


def test_a_manifest_asked_for_but_unreadable_exits_5(
    api: tuple[str, StandIn, Recorder], tmp_path: Path
) -> None:
    url, stand_in, _ = api
    stand_in.gets = [(200, status("succeeded", done=4))]
    with mock_aws():
        result = run(url, "--count=4", "--size=64KiB", f"--manifest={tmp_path / 'm.jsonl'}")
    assert result.exit_code == 5
    assert not (tmp_path / "m.jsonl").exists()


@pytest.mark.parametrize(("profile", "code"), [("owner", 0), ("nobody", 5)])
def test_s3_profile_names_who_reads_the_bucket(
    api: tuple[str, StandIn, Recorder], bucket: Any, tmp_path: Path, profile: str, code: int
) -> None:
    url, stand_in, _ = api
    stand_in.gets = [(200, status("succeeded", done=4))]
    credentials = tmp_path / "credentials"
    credentials.write_text("[owner]\naws_access_key_id = OWNER\naws_secret_access_key = o\n")
    saved = tmp_path / "m.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
        result = run(
            url, "--count=4", "--size=64KiB", f"--s3-profile={profile}", f"--manifest={saved}"
        )

    assert result.exit_code == code, result.output
    assert saved.exists() == (code == 0)
    if code:
        assert "could not be found" in result.stderr


def test_env_local_reads_the_bucket_as_the_data_account(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = local_checkout(
        tmp_path,
        {
            "endpoint": "http://127.0.0.1:1",
            "host": HOST,
            "region": REGION,
            "api_key": "k",
            "aws_endpoint": "http://127.0.0.1:2",
        },
        "[randfile-local]\naws_access_key_id = CALLER\naws_secret_access_key = c\n"
        f"[{targets.LOCAL_DATA_PROFILE}]\naws_access_key_id = OWNER\naws_secret_access_key = o\n",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_PROFILE", "randfile-local")

    s3 = S3Reader(targets.LOCAL_ENV, None, REGION).client()

    assert s3.meta.endpoint_url == "http://127.0.0.1:2"
    # The reader signs with the data profile's keys, whatever AWS_PROFILE (the API's) says.
    assert s3._get_credentials().access_key == "OWNER"


def test_write_times_leave_out_files_found_rather_than_written() -> None:
    lines = manifests.entries(manifest_lines([10, 20]) + b'{"index": 2, "write_ms": null}\n')
    assert manifests.write_times(lines) == [10.0, 20.0]
    with pytest.raises(RandfileError, match="manifest entry 0 has no write_ms"):
        manifests.write_times([{"index": 0, "write_ms": "fast"}])
    with pytest.raises(RandfileError, match="line 1 is not JSON"):
        manifests.entries(b"{not json\n")
