"""scripts/ci/smoke_test.py against a stand-in API Gateway endpoint on 127.0.0.1 that checks
the SigV4 signature it receives."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from moto import mock_aws

from scripts.ci import smoke_test
from tests.functional.ci_scripts.script_runner import CREDENTIALS, run_script
from tests.http_stand_in import Recorder

SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=AKIDSMOKETEST/(\d{8})/eu-west-1/execute-api/aws4_request, "
    r"SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}"
)


def api_gateway(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    signature = SIGV4.fullmatch(headers.get("authorization", ""))
    if method != "POST" or path != "/files" or signature is None:
        return 403, {"message": "Missing Authentication Token"}
    signed = signature.group(2).split(";")
    if not {"host", "x-amz-date", "x-amz-security-token"} <= set(signed):
        return 403, {"message": f"unsigned headers: {signed}"}
    if headers.get("x-amz-security-token") != "session-token":
        return 403, {"message": "The security token included in the request is invalid"}
    if not headers.get("x-amz-date", "").startswith(signature.group(1)):
        return 403, {"message": "date mismatch"}
    request = json.loads(body)
    return 201, {"key": "random/abc.bin", "size_bytes": request["size_bytes"]}


def rejects(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    return 403, {"message": "User is not authorized to access this resource"}


def outputs_file(tmp_path: Path, api_key_id: str | None = None) -> Path:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(
        json.dumps(
            {
                "custom_domain_name": {"value": "files.dev.example.com", "sensitive": False},
                "region": {"value": "eu-west-1", "sensitive": False},
                "api_key_id": {"value": api_key_id, "sensitive": False},
            }
        )
    )
    return outputs


def smoke_test_of(url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The script as the deploy job runs it, with the job's credentials, but against `url`."""
    return run_script(
        "smoke_test.py", f"--outputs={outputs_file(tmp_path)}", f"--url={url}", *args, **CREDENTIALS
    )


def test_the_target_is_the_custom_domain(tmp_path: Path) -> None:
    target = smoke_test.target_from_outputs(json.loads(outputs_file(tmp_path, "k1").read_text()))
    assert target == smoke_test.Target("https://files.dev.example.com/files", "eu-west-1", "k1")


@pytest.mark.parametrize("server", [api_gateway], indirect=True)
def test_smoke_test_signs_with_sigv4_and_passes_on_201(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    result = smoke_test_of(f"{url}/files", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
    [(_, _, headers, body)] = recorder.requests
    assert json.loads(body) == {"size_bytes": smoke_test.SIZE_BYTES}
    assert headers["content-type"] == "application/json"
    assert "x-api-key" not in headers


@pytest.mark.parametrize("server", [api_gateway], indirect=True)
def test_the_api_key_is_masked_in_the_log_before_it_is_used(
    server: tuple[str, Recorder],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, recorder = server
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setattr(smoke_test, "api_key_value", lambda *_: "secret-key-value")
    outputs = outputs_file(tmp_path, api_key_id="k1")
    assert smoke_test.main([f"--outputs={outputs}", f"--url={url}/files"]) == 0
    [(_, _, headers, _)] = recorder.requests
    assert headers["x-api-key"] == "secret-key-value"
    assert capsys.readouterr().out.splitlines()[0] == "::add-mask::secret-key-value"


@pytest.mark.parametrize("server", [rejects], indirect=True)
def test_smoke_test_retries_a_403_for_a_bounded_time_then_lists_each_try(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    result = smoke_test_of(f"{url}/files", tmp_path, "--max-seconds=3")
    assert result.returncode == 1
    [error] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert error.startswith("::error title=Smoke test failed::")
    assert "expected HTTP 201, got 403" in error
    assert len(recorder.requests) >= 2
    assert f"Gave up after {len(recorder.requests)} tries" in error
    assert f"try {len(recorder.requests)} at " in error


class SettlesAfterTwoTries:
    """A new deployment: 503, then 403 (no mapping yet), then the real answer."""

    def __init__(self) -> None:
        self.answers = [(503, {"message": "Service Unavailable"}), (403, {"message": "Forbidden"})]

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        return self.answers.pop(0) if self.answers else api_gateway(method, path, headers, body)


@pytest.mark.parametrize("server", [SettlesAfterTwoTries()], indirect=True)
def test_smoke_test_passes_once_the_deployment_settles(
    server: tuple[str, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, recorder = server
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    target = smoke_test.Target(f"{url}/files", "eu-west-1", None)
    credentials = Credentials("AKIDSMOKETEST", "secret", "session-token")
    slept: list[float] = []
    with smoke_test.client_for(target, credentials, None) as client:
        answer, tries = smoke_test.send_with_retries(
            lambda: smoke_test.send(client), 60, slept.append
        )
    assert answer is not None
    assert answer[0] == 201
    assert [line.split(": ", 1)[1][:8] for line in tries.seen] == [
        "HTTP 503",
        "HTTP 403",
        "HTTP 201",
    ]
    assert len(slept) == 2
    assert all(0 < wait <= smoke_test.MAX_WAIT_SECONDS for wait in slept)
    assert len(recorder.requests) == 3


def bad_request(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    return 400, {"error": {"code": "invalid_request"}}


@pytest.mark.parametrize("server", [bad_request], indirect=True)
def test_smoke_test_fails_at_once_on_an_answer_retrying_cannot_fix(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    result = smoke_test_of(f"{url}/files", tmp_path)
    assert result.returncode == 1
    assert "expected HTTP 201, got 400" in result.stdout
    assert "Gave up after 1 tries" in result.stdout
    assert len(recorder.requests) == 1


def test_smoke_test_retries_dns_errors_then_gives_up(tmp_path: Path) -> None:
    result = smoke_test_of("https://randfile.invalid/files", tmp_path, "--max-seconds=3")
    assert result.returncode == 1
    [error] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert "no HTTP answer" in error
    assert len(re.findall(r"try \d+ at [\d.]+s: DNS error", error)) >= 2


def test_smoke_test_never_sends_credentials_over_plain_http(tmp_path: Path) -> None:
    result = smoke_test_of("http://files.dev.example.com/files", tmp_path)
    assert result.returncode != 0
    assert "refusing to send a signed request over plain http" in result.stderr


def test_a_201_for_another_file_is_a_failure() -> None:
    assert smoke_test.check(201, b'{"key": "k", "size_bytes": 1024}') is None
    assert "does not describe" in str(smoke_test.check(201, b'{"key": "k", "size_bytes": 1}'))
    assert "not JSON" in str(smoke_test.check(201, b"<html>"))


def test_the_api_key_value_is_read_with_the_job_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        created = boto3.client("apigateway", region_name="eu-west-1").create_api_key(
            name="randfile-dev", value="a-very-secret-api-key-value", enabled=True
        )
        assert smoke_test.api_key_value(created["id"], "eu-west-1") == "a-very-secret-api-key-value"


def test_the_api_key_header_is_signed_in() -> None:
    target = smoke_test.Target("https://files.dev.example.com/files", "eu-west-1", "k1")
    client = smoke_test.client_for(target, Credentials("AKIDSMOKETEST", "secret"), "key-value")
    request = client.signed_request(b"{}")
    assert request.headers["x-api-key"] == "key-value"
    assert "x-api-key" in str(request.headers["Authorization"])
