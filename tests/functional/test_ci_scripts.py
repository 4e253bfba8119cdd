"""The scripts the workflows call (scripts/ci), run the way the workflows run them.

The plan fixture is a real `terraform show -json` of a saved plan over `terraform_data`
resources (built into Terraform, no provider or cloud needed); the GitHub API and the API
Gateway endpoint are local HTTP servers on 127.0.0.1 that check what they receive.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pwd
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from moto import mock_aws

from scripts.ci import (
    drift_issue,
    environment_gate,
    smoke_test,
    state_bucket,
    terraform_version,
    tfplan,
)
from tests.http_stand_in import Recorder, serve

REPO = Path(__file__).resolve().parents[2]
CI = REPO / "scripts" / "ci"
TERRAFORM = REPO / "scripts" / "terraform"

CONFIG_BEFORE = """
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "updated" { input = "v1" }
resource "terraform_data" "replaced" { triggers_replace = "v1" }
resource "terraform_data" "deleted" { input = "soon gone" }
"""
CONFIG_AFTER = """
resource "terraform_data" "kept" { input = "same" }
resource "terraform_data" "updated" { input = "v2" }
resource "terraform_data" "replaced" { triggers_replace = "v2" }
resource "terraform_data" "created" {
  for_each = toset(["a|b"])
  input    = each.key
}
"""


@dataclass(frozen=True)
class Plans:
    changes: Path
    no_changes: Path


def _terraform(workdir: Path, *args: str) -> str:
    result = subprocess.run(
        [str(TERRAFORM), f"-chdir={workdir}", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def plans(tmp_path_factory: pytest.TempPathFactory) -> Plans:
    workdir = tmp_path_factory.mktemp("tfplan")
    (workdir / "main.tf").write_text(CONFIG_BEFORE)
    _terraform(workdir, "init", "-input=false")
    _terraform(workdir, "apply", "-input=false", "-auto-approve")
    _terraform(workdir, "plan", "-input=false", "-out=same.tfplan")
    (workdir / "same.json").write_text(_terraform(workdir, "show", "-json", "same.tfplan"))
    (workdir / "main.tf").write_text(CONFIG_AFTER)
    _terraform(workdir, "plan", "-input=false", "-out=changes.tfplan")
    (workdir / "changes.json").write_text(_terraform(workdir, "show", "-json", "changes.tfplan"))
    return Plans(changes=workdir / "changes.json", no_changes=workdir / "same.json")


def run_script(name: str, *args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """The script as the Makefile runs it: a module of the repository, from its root."""
    scrubbed = {key: value for key, value in os.environ.items() if not key.startswith("GITHUB_")}
    return subprocess.run(
        [sys.executable, "-m", f"scripts.ci.{name.removesuffix('.py')}", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
        env={**scrubbed, **environment},
    )


# --- tfplan.py summary -----------------------------------------------------------------------


def test_changes_are_read_from_a_real_plan(plans: Plans) -> None:
    found = tfplan.changes(json.loads(plans.changes.read_text()))
    assert [(change.action, change.address) for change in found] == [
        ("create", 'terraform_data.created["a|b"]'),
        ("update", "terraform_data.updated"),
        ("replace", "terraform_data.replaced"),
        ("delete", "terraform_data.deleted"),
    ]
    assert not any(change.drifted for change in found)


def test_summary_counts_and_lists_every_changed_resource(plans: Plans, tmp_path: Path) -> None:
    output, step_summary = tmp_path / "dev.md", tmp_path / "step-summary.md"
    plan_text = tmp_path / "plan.txt"
    plan_text.write_text(
        '  # terraform_data.updated will be updated in-place\n  ~ input = "v1" -> "v2"\n'
    )
    result = run_script(
        "tfplan.py",
        "summary",
        "--env=dev",
        f"--plan-json={plans.changes}",
        f"--plan-text={plan_text}",
        "--commit=89abcdef0123456789abcdef",
        f"--output={output}",
        GITHUB_SERVER_URL="https://github.com",
        GITHUB_REPOSITORY="acme/randfile",
        GITHUB_RUN_ID="42",
        GITHUB_STEP_SUMMARY=str(step_summary),
    )
    assert result.returncode == 0, result.stderr
    markdown = output.read_text()
    assert markdown.splitlines()[0] == "<!-- randfile-plan:dev -->"
    assert ":warning: **1 to create, 1 to update, 1 to replace, 1 to delete.**" in markdown
    assert '| `+` | create | `terraform_data.created["a\\|b"]` |' in markdown
    assert "| `-/+` | replace | `terraform_data.replaced` |" in markdown
    assert "| `-` | delete | `terraform_data.deleted` |" in markdown
    assert "terraform_data.kept" not in markdown
    assert "Full plan: [workflow run](https://github.com/acme/randfile/actions/runs/42)" in markdown
    assert re.search(
        r"Plan of commit `89abcdef0123`, made \d{4}-\d\d-\d\d \d\d:\d\d UTC\.", markdown
    )
    shown = '  # terraform_data.updated will be updated in-place\n  ~ input = "v1" -> "v2"'
    assert f"```text\n{shown}\n```" in markdown
    assert step_summary.read_text() == markdown


def test_a_long_plan_is_cut_in_the_comment_but_whole_in_the_job_summary(plans: Plans) -> None:
    plan = json.loads(plans.changes.read_text())
    text = "".join(f"  ~ line {n}\n" for n in range(20_000))
    comment = tfplan.render_summary(
        "dev", plan, None, plan_text=text, limit=tfplan.MAX_COMMENT_CHARS
    )
    full = tfplan.render_summary("dev", plan, None, plan_text=text)
    assert len(comment) <= tfplan.MAX_COMMENT_CHARS
    assert ":scissors: Cut after" in comment
    assert text.rstrip("\n") in full
    assert ":scissors:" not in full


def test_a_plan_of_multibyte_values_stays_within_the_limits_in_bytes(plans: Plans) -> None:
    plan = json.loads(plans.changes.read_text())
    text = "".join(f'  ~ name = "Zürich €{n}" -> "東京 {n}"\n' for n in range(40_000))
    for limit in (tfplan.MAX_COMMENT_CHARS, tfplan.MAX_STEP_SUMMARY_CHARS):
        markdown = tfplan.render_summary("dev", plan, None, plan_text=text, limit=limit)
        assert len(markdown.encode()) <= limit
        assert ":scissors: Cut after" in markdown


def test_the_plan_cannot_close_its_code_block() -> None:
    markdown = tfplan.render_summary("dev", {}, None, plan_text="```\n# injected heading\n````\n")
    assert "`````text\n```\n# injected heading\n````\n`````" in markdown


def test_summary_of_an_unchanged_plan(plans: Plans) -> None:
    markdown = tfplan.render_summary("prod", json.loads(plans.no_changes.read_text()), None)
    assert "**No changes.**" in markdown
    assert "|" not in markdown
    assert "Full plan" not in markdown


def test_a_missing_plan_reads_as_failed(tmp_path: Path) -> None:
    result = run_script(
        "tfplan.py",
        "summary",
        "--env=prod",
        f"--plan-json={tmp_path / 'none.json'}",
        f"--plan-text={tmp_path / 'none.txt'}",
    )
    assert result.returncode == 0
    assert result.stdout.startswith("<!-- randfile-plan:prod -->\n")
    assert "**The plan failed**" in result.stdout


# --- tfplan.py drift -------------------------------------------------------------------------


def test_drift_fails_and_names_each_resource(plans: Plans, tmp_path: Path) -> None:
    plan = json.loads(plans.changes.read_text())
    # What Terraform records when a refresh finds an object changed outside it.
    plan["resource_drift"] = [
        {"address": "terraform_data.updated", "change": {"actions": ["update"]}},
    ]
    drifted = tmp_path / "drifted.json"
    drifted.write_text(json.dumps(plan))
    step_summary, output = tmp_path / "summary.md", tmp_path / "prod.drift.md"

    result = run_script(
        "tfplan.py",
        "drift",
        "--env=prod",
        f"--plan-json={drifted}",
        f"--output={output}",
        GITHUB_STEP_SUMMARY=str(step_summary),
    )
    assert result.returncode == tfplan.EXIT_CHANGES
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert errors == [
        '::error title=Drift in prod::terraform_data.created["a|b"] would be created'
        " (configuration not applied)",
        "::error title=Drift in prod::terraform_data.updated would be updated"
        " (changed outside Terraform)",
        "::error title=Drift in prod::terraform_data.replaced would be replaced"
        " (configuration not applied)",
        "::error title=Drift in prod::terraform_data.deleted would be deleted"
        " (configuration not applied)",
    ]
    assert "4 resource(s) differ" in step_summary.read_text()
    assert "| update | `terraform_data.updated` | yes |" in step_summary.read_text()
    assert output.read_text() == f"<!-- randfile-drift:prod drift -->\n{step_summary.read_text()}"


def test_no_drift_passes(plans: Plans, tmp_path: Path) -> None:
    output = tmp_path / "dev.drift.md"
    result = run_script(
        "tfplan.py", "drift", "--env=dev", f"--plan-json={plans.no_changes}", f"--output={output}"
    )
    assert result.returncode == tfplan.EXIT_NO_CHANGES, result.stdout
    assert "::notice title=No drift in dev::" in result.stdout
    assert output.read_text().startswith("<!-- randfile-drift:dev clean -->\n")


def test_drift_without_a_plan_is_an_error_not_a_pass(tmp_path: Path) -> None:
    output = tmp_path / "dev.drift.md"
    result = run_script(
        "tfplan.py",
        "drift",
        "--env=dev",
        f"--plan-json={tmp_path / 'no.json'}",
        f"--output={output}",
    )
    assert result.returncode == 1
    assert "::error title=Drift check failed in dev::" in result.stdout
    assert output.read_text() == "<!-- randfile-drift:dev failed -->\n"


# --- tfplan.py zip, apply-failed -------------------------------------------------------------


def _lambda_plan(tmp_path: Path, content: bytes) -> dict[str, Any]:
    (tmp_path / "dist").mkdir(exist_ok=True)
    (tmp_path / "dist" / "randfile.zip").write_bytes(content)
    digest = base64.b64encode(hashlib.sha256(b"planned").digest()).decode()
    after = {"filename": "../dist/randfile.zip", "source_code_hash": digest}
    return {
        "resource_changes": [
            {
                "address": "module.function.aws_lambda_function.this",
                "type": "aws_lambda_function",
                "change": {"actions": ["update"], "after": after},
            }
        ]
    }


def test_the_apply_refuses_a_zip_other_than_the_planned_one(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stack"
    stack_dir.mkdir()
    assert tfplan.zip_problems(_lambda_plan(tmp_path, b"planned"), stack_dir) == []
    [problem] = tfplan.zip_problems(_lambda_plan(tmp_path, b"rebuilt"), stack_dir)
    assert problem.startswith("module.function.aws_lambda_function.this: ")
    assert "the plan was made with" in problem


def test_a_stale_plan_refusal_says_to_rerun(tmp_path: Path) -> None:
    log = tmp_path / "apply.log"
    log.write_text("\x1b[31m│\x1b[0m \x1b[1mError: \x1b[0mSaved plan is stale\n")
    result = run_script("tfplan.py", "apply-failed", "--env=prod", f"--log={log}")
    assert result.returncode == 1
    assert result.stdout.startswith("::error title=Saved plan is stale (prod)::")
    assert "Re-run the whole workflow run" in result.stdout


# --- local HTTP servers ----------------------------------------------------------------------


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[tuple[str, Recorder]]:
    with serve(request.param) as running:
        yield running


# --- pr_comment.py ---------------------------------------------------------------------------


class FakeGitHub:
    """Issue comments of pull request 7 of acme/randfile, with GitHub's pagination."""

    def __init__(self) -> None:
        person = {"login": "octocat", "type": "User"}
        self.comments: list[dict[str, Any]] = [
            {"id": n, "body": f"unrelated {n}", "user": person} for n in range(1, 100)
        ]
        # Someone quoting our marker: never edited.
        self.comments.append(
            {"id": 100, "body": "<!-- randfile-plan:dev -->\nmine", "user": person}
        )

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        if headers.get("authorization") != "Bearer token-123":
            return 401, {"message": "Bad credentials"}
        listing = re.fullmatch(
            r"/repos/acme/randfile/issues/7/comments\?per_page=100&page=(\d+)", path
        )
        if method == "GET" and listing:
            page = int(listing.group(1))
            return 200, self.comments[(page - 1) * 100 : page * 100]
        if method == "POST" and path == "/repos/acme/randfile/issues/7/comments":
            comment = {
                "id": 1000 + len(self.comments),
                "body": json.loads(body)["body"],
                "user": {"login": "github-actions[bot]", "type": "Bot"},
            }
            self.comments.append(comment)
            return 201, comment
        edit = re.fullmatch(r"/repos/acme/randfile/issues/comments/(\d+)", path)
        if method == "PATCH" and edit:
            comment = next(c for c in self.comments if c["id"] == int(edit.group(1)))
            comment["body"] = json.loads(body)["body"]
            return 200, comment
        return 404, {"message": "Not Found"}


@pytest.mark.parametrize("server", [FakeGitHub()], indirect=True)
def test_the_plan_comment_is_created_once_then_updated(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    github = recorder.respond
    assert isinstance(github, FakeGitHub)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "f" * 40}}}))
    body = tmp_path / "dev.md"
    environment = {
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "acme/randfile",
        "GITHUB_TOKEN": "token-123",
        "GITHUB_EVENT_PATH": str(event),
    }

    body.write_text("<!-- randfile-plan:dev -->\nfirst plan\n")
    first = run_script("pr_comment.py", f"--body-file={body}", **environment)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "created comment 1100"

    body.write_text("<!-- randfile-plan:dev -->\nsecond plan\n")
    second = run_script("pr_comment.py", f"--body-file={body}", **environment)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "updated comment 1100"

    ours = [c for c in github.comments if c["user"]["type"] == "Bot"]
    assert [(c["id"], c["body"]) for c in ours] == [
        (1100, "<!-- randfile-plan:dev -->\nsecond plan\n")
    ]
    assert github.comments[99]["body"] == "<!-- randfile-plan:dev -->\nmine"
    assert len(github.comments) == 101
    assert [method for method, *_ in recorder.requests].count("POST") == 1

    stale = run_script("pr_comment.py", "--mark-stale", **environment, GITHUB_RUN_ID="77")
    assert stale.returncode == 0, stale.stderr
    assert stale.stdout.strip() == "marked comment 1100 stale"
    marked = str(ours[0]["body"])
    assert marked.startswith("<!-- randfile-plan:dev -->\n> [!WARNING]\n> **Outdated plan.**")
    assert f"is planning `{'f' * 12}`" in marked
    assert marked.endswith("\n\nsecond plan\n")
    # Marking twice keeps one banner; the next plan replaces the whole body.
    assert run_script("pr_comment.py", "--mark-stale", **environment).returncode == 0
    assert str(ours[0]["body"]).count("Outdated plan") == 1
    assert str(ours[0]["body"]).endswith("\n\nsecond plan\n")
    assert github.comments[99]["body"] == "<!-- randfile-plan:dev -->\nmine"


def test_pr_comment_refuses_a_body_without_marker(tmp_path: Path) -> None:
    body = tmp_path / "x.md"
    body.write_text("no marker\n")
    result = run_script("pr_comment.py", f"--body-file={body}", GITHUB_TOKEN="t")
    assert result.returncode != 0
    assert "hidden marker" in result.stderr


# --- smoke_test.py ---------------------------------------------------------------------------

SIGV4 = re.compile(
    r"AWS4-HMAC-SHA256 Credential=AKIDSMOKETEST/(\d{8})/eu-west-1/execute-api/aws4_request, "
    r"SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}"
)
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIDSMOKETEST",
    "AWS_SECRET_ACCESS_KEY": "secret",
    "AWS_SESSION_TOKEN": "session-token",
    "AWS_DEFAULT_REGION": "eu-west-1",
}


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


def test_the_target_is_the_custom_domain(tmp_path: Path) -> None:
    target = smoke_test.target_from_outputs(json.loads(outputs_file(tmp_path, "k1").read_text()))
    assert target == smoke_test.Target("https://files.dev.example.com/files", "eu-west-1", "k1")


@pytest.mark.parametrize("server", [api_gateway], indirect=True)
def test_smoke_test_signs_with_sigv4_and_passes_on_201(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    result = run_script(
        "smoke_test.py", f"--outputs={outputs_file(tmp_path)}", f"--url={url}/files", **CREDENTIALS
    )
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
    result = run_script(
        "smoke_test.py",
        f"--outputs={outputs_file(tmp_path)}",
        f"--url={url}/files",
        "--max-seconds=3",
        **CREDENTIALS,
    )
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
    result = run_script(
        "smoke_test.py", f"--outputs={outputs_file(tmp_path)}", f"--url={url}/files", **CREDENTIALS
    )
    assert result.returncode == 1
    assert "expected HTTP 201, got 400" in result.stdout
    assert "Gave up after 1 tries" in result.stdout
    assert len(recorder.requests) == 1


def test_smoke_test_retries_dns_errors_then_gives_up(tmp_path: Path) -> None:
    result = run_script(
        "smoke_test.py",
        f"--outputs={outputs_file(tmp_path)}",
        "--url=https://randfile.invalid/files",
        "--max-seconds=3",
        **CREDENTIALS,
    )
    assert result.returncode == 1
    [error] = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert "no HTTP answer" in error
    assert len(re.findall(r"try \d+ at [\d.]+s: DNS error", error)) >= 2


def test_smoke_test_never_sends_credentials_over_plain_http(tmp_path: Path) -> None:
    result = run_script(
        "smoke_test.py",
        f"--outputs={outputs_file(tmp_path)}",
        "--url=http://files.dev.example.com/files",
        **CREDENTIALS,
    )
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


# --- terraform_version.py, fork_notice.py ----------------------------------------------------


def test_the_terraform_version_goes_to_github_output(tmp_path: Path) -> None:
    output = tmp_path / "github-output"
    result = run_script("terraform_version.py", GITHUB_OUTPUT=str(output))
    assert result.returncode == 0, result.stderr
    pinned = (REPO / ".terraform-version").read_text().strip()
    assert output.read_text() == f"version={pinned}\n"


def test_the_terraform_version_file_must_hold_one_exact_version(tmp_path: Path) -> None:
    bad = tmp_path / ".terraform-version"
    bad.write_text("~> 1.11\n")
    with pytest.raises(SystemExit, match="one exact version"):
        terraform_version.pinned_version(bad)


def test_fork_pull_requests_are_told_why_there_is_no_plan(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = run_script("fork_notice.py", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0
    assert result.stdout.startswith("::notice title=No plan for fork pull requests::")
    assert "no AWS credentials" in summary.read_text()


# --- drift_issue.py --------------------------------------------------------------------------

BOT = {"login": "github-actions[bot]", "type": "Bot"}


class FakeIssues:
    """Open issues of acme/randfile; records what the script changes."""

    def __init__(self, issues: list[dict[str, Any]]) -> None:
        self.issues = issues
        self.comments: list[tuple[int, str]] = []
        # Unfinished runs of deploy.yml by status, as "List workflow runs for a workflow" answers,
        # and each run's jobs, as "List jobs for a workflow run attempt" does.
        self.deploys: dict[str, list[dict[str, Any]]] = {}
        self.jobs: dict[int, list[dict[str, Any]]] = {}

    def listing(self, path: str) -> tuple[int, Any]:
        if path.startswith("/repos/acme/randfile/issues?state=open&"):
            return 200, [issue for issue in self.issues if issue["state"] == "open"]
        jobs = re.fullmatch(r"/repos/acme/randfile/actions/runs/(\d+)/jobs\?per_page=100", path)
        if jobs:
            listed_jobs = self.jobs.get(int(jobs.group(1)), [])
            return 200, {"total_count": len(listed_jobs), "jobs": listed_jobs}
        status = re.fullmatch(
            r"/repos/acme/randfile/actions/workflows/deploy\.yml/runs\?status=(\w+)", path
        )
        if not status:
            return 404, {"message": "Not Found"}
        listed = self.deploys.get(status.group(1), [])
        return 200, {"total_count": len(listed), "workflow_runs": listed}

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        if headers.get("authorization") != "Bearer token-123":
            return 401, {"message": "Bad credentials"}
        if method == "GET":
            return self.listing(path)
        if method == "POST" and path == "/repos/acme/randfile/issues":
            issue = {
                **json.loads(body),
                "number": 50 + len(self.issues),
                "state": "open",
                "user": BOT,
            }
            self.issues.append(issue)
            return 201, issue
        number = re.fullmatch(r"/repos/acme/randfile/issues/(\d+)(/comments)?", path)
        if number:
            issue = next(i for i in self.issues if i["number"] == int(number.group(1)))
            if number.group(2):
                self.comments.append((issue["number"], json.loads(body)["body"]))
                return 201, {}
            issue.update(json.loads(body))
            return 200, issue
        return 404, {"message": "Not Found"}


def drift_summary(tmp_path: Path, outcome: str) -> Path:
    path = tmp_path / f"{outcome}.md"
    path.write_text(f"<!-- randfile-drift:prod {outcome} -->\n### Drift check: `prod`\n\nrows\n")
    return path


HUMAN_ISSUE = {
    "number": 3,
    "state": "open",
    "title": "quoting the bot",
    "body": "<!-- randfile-drift-issue:prod -->",
    "user": {"login": "octocat", "type": "User"},
}


@pytest.mark.parametrize("server", [FakeIssues([dict(HUMAN_ISSUE)])], indirect=True)
def test_drift_opens_one_issue_updates_it_and_closes_it_when_clean(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, recorder = server
    github = recorder.respond
    assert isinstance(github, FakeIssues)
    environment = {
        "GITHUB_API_URL": url,
        "GITHUB_REPOSITORY": "acme/randfile",
        "GITHUB_TOKEN": "token-123",
    }

    def run(summary: Path) -> str:
        result = run_script("drift_issue.py", "--env=prod", f"--summary={summary}", **environment)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run(drift_summary(tmp_path, "drift")) == "prod: opened issue #51"
    assert run(tmp_path / "missing.md") == "prod: updated issue #51"
    [issue] = [i for i in github.issues if i["number"] == 51]
    assert issue["title"] == "Drift check of prod failed"
    assert issue["body"].startswith("<!-- randfile-drift-issue:prod -->\nLast checked ")
    assert "**The drift check failed**" in issue["body"]
    assert run(drift_summary(tmp_path, "drift")) == "prod: updated issue #51"
    assert issue["title"] == "Drift in prod"
    assert run(drift_summary(tmp_path, "clean")) == "prod: closed issue #51"
    assert issue["state"] == "closed"
    assert issue["state_reason"] == "completed"
    assert [number for number, _ in github.comments] == [51]
    assert run(drift_summary(tmp_path, "clean")) == "prod: no drift, no open issue"
    # The person's issue that quotes the marker was never touched.
    assert github.issues[0] == HUMAN_ISSUE

    # A deploy of prod waiting for its reviewer: what differs is what it deploys, so no issue.
    github.deploys["waiting"] = [{"id": 9, "html_url": "https://github.com/acme/randfile/runs/9"}]
    github.jobs[9] = [
        {"name": "dev / apply dev", "status": "completed"},
        {"name": "prod / plan prod", "status": "completed"},
        {"name": "prod / apply prod", "status": "waiting"},
    ]
    issues_before = len(github.issues)
    assert run(drift_summary(tmp_path, "drift")) == (
        "::notice title=No drift issue for prod while deploying::a deploy of prod has not "
        "finished (https://github.com/acme/randfile/runs/9): what differs may be what it is "
        "deploying; the next check reports"
    )
    assert len(github.issues) == issues_before
    # A run still deploying dev only does not hold back prod's issue.
    github.jobs[9] = [{"name": "dev / smoke test dev", "status": "in_progress"}]
    assert run(drift_summary(tmp_path, "drift")) == f"prod: opened issue #{50 + issues_before}"


def test_a_drift_issue_body_stays_within_github_s_limit() -> None:
    assert drift_issue.fitted("short") == "short"
    body = drift_issue.fitted("x" * 100_000)
    assert len(body) <= 65_536
    assert body.endswith("the drift run's summary has it all.\n")


def test_a_drift_summary_of_another_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not the drift summary of dev"):
        drift_issue.outcome_of(drift_summary(tmp_path, "drift"), "dev")


# --- state_bucket.py -------------------------------------------------------------------------

STATE = "randfile-tfstate-111111111111-eu-west-1"


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    # The shipped backend file, read as the Makefile does.
    config = REPO / "infra" / "stack" / "envs" / "dev.s3.tfbackend"
    with mock_aws():
        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket=STATE, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        boto3.client("s3", region_name="eu-west-1").put_bucket_versioning(
            Bucket=STATE, VersioningConfiguration={"Status": "Enabled"}
        )
        yield config


def test_a_saved_plan_is_stored_once_and_fetched_only_with_its_sha256(
    backend: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "dev.tfplan"
    plan.write_bytes(b"PK saved plan with secrets")
    common = ["--env=dev", f"--backend-config={backend}"]
    assert state_bucket.main(["store", *common, f"--plan={plan}", "--run=42-1"]) == 0
    outputs = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    s3 = boto3.client("s3", region_name="eu-west-1")
    [stored] = s3.list_object_versions(Bucket=STATE)["Versions"]
    assert outputs == {
        "plan-key": "randfile/dev/terraform.tfstate.plans/42-1.tfplan",
        "plan-version": stored["VersionId"],
        "plan-sha256": hashlib.sha256(b"PK saved plan with secrets").hexdigest(),
    }
    with pytest.raises(SystemExit, match="already exists"):
        state_bucket.main(["store", *common, f"--plan={plan}", "--run=42-1"])

    fetched = tmp_path / "apply" / "dev.tfplan"
    key = f"--key={outputs['plan-key']}"
    version = f"--version={outputs['plan-version']}"
    with pytest.raises(SystemExit, match="Not the reviewed plan"):
        state_bucket.main(
            ["fetch", *common, f"--plan={fetched}", key, version, "--sha256=" + "0" * 64]
        )
    assert not fetched.exists()
    sha = f"--sha256={outputs['plan-sha256']}"
    # Another upload under the key (a writer that skipped If-None-Match) is not what was stored.
    other = s3.put_object(Bucket=STATE, Key=outputs["plan-key"], Body=b"PK other")["VersionId"]
    with pytest.raises(SystemExit, match="Not the reviewed plan"):
        state_bucket.main(["fetch", *common, f"--plan={fetched}", key, f"--version={other}", sha])
    assert state_bucket.main(["fetch", *common, f"--plan={fetched}", key, version, sha]) == 0
    assert fetched.read_bytes() == plan.read_bytes()
    with pytest.raises(SystemExit, match="is not a saved plan of the state"):
        state_bucket.main(
            ["fetch", *common, f"--plan={fetched}", "--key=randfile/prod/x", version, sha]
        )
    with pytest.raises(SystemExit, match="re-run the whole workflow run"):
        state_bucket.main(["fetch", *common, f"--plan={fetched}", key, "--version=nope", sha])


def test_a_held_lock_is_reported_with_the_command_that_releases_it(
    backend: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["lock", "--env=dev", f"--backend-config={backend}"]
    assert state_bucket.main(common) == 0
    assert "not locked" in capsys.readouterr().out
    # What Terraform's S3 backend writes to <key>.tflock.
    record = {
        "ID": "6f1c2a9e-0000-4000-8000-000000000001",
        "Operation": "OperationTypeApply",
        "Who": "runner@fv-az123",
        "Version": "1.11.4",
        "Created": "2026-11-28T06:17:00Z",
        "Path": f"{STATE}/randfile/dev/terraform.tfstate",
    }
    boto3.client("s3", region_name="eu-west-1").put_object(
        Bucket=STATE, Key="randfile/dev/terraform.tfstate.tflock", Body=json.dumps(record)
    )
    assert state_bucket.main(common) == 3
    report = capsys.readouterr().out
    assert report.startswith("::warning title=State of dev is locked::Lock 6f1c2a9e-")
    assert "OperationTypeApply by runner@fv-az123 since 2026-11-28T06:17:00Z" in report
    assert report.rstrip().endswith(
        "make unlock ENV=dev LOCK_ID=6f1c2a9e-0000-4000-8000-000000000001"
    )


def test_only_a_lock_this_machine_took_is_its_own(
    backend: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ["own-lock", "--env=dev", f"--backend-config={backend}"]
    lock_key = "randfile/dev/terraform.tfstate.tflock"
    here = f"{pwd.getpwuid(os.getuid()).pw_name}@{socket.gethostname()}"
    s3 = boto3.client("s3", region_name="eu-west-1")
    for who, lock_id, expected in (
        (here, "6f1c2a9e-0000-4000-8000-000000000002", "6f1c2a9e-0000-4000-8000-000000000002"),
        ("runner@another-machine", "6f1c2a9e-0000-4000-8000-000000000003", ""),
        (here, "$(reboot)", ""),
    ):
        s3.put_object(Bucket=STATE, Key=lock_key, Body=json.dumps({"ID": lock_id, "Who": who}))
        assert state_bucket.main(common) == 0
        assert capsys.readouterr().out == f"{expected}\n"
    s3.delete_object(Bucket=STATE, Key=lock_key)
    assert state_bucket.main(common) == 0
    assert capsys.readouterr().out == "\n"


# --- environment_gate.py ---------------------------------------------------------------------

GATED = {
    "name": "prod",
    "can_admins_bypass": False,
    "deployment_branch_policy": {"protected_branches": False, "custom_branch_policies": True},
    "protection_rules": [
        {"type": "wait_timer", "wait_timer": 0},
        {
            "type": "required_reviewers",
            "prevent_self_review": True,
            "reviewers": [{"type": "Team", "reviewer": {"slug": "release"}}],
        },
        {"type": "branch_policy"},
    ],
}


class FakeEnvironments:
    """GitHub's "Get an environment" and its deployment-branch policies, for acme/randfile."""

    def __init__(self, environment: dict[str, Any] | None, branches: list[str]) -> None:
        self.environment = environment
        self.branches = branches

    def __call__(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any]:
        del body  # only GET requests
        if headers.get("authorization") != "Bearer token-123":
            return 401, {"message": "Bad credentials"}
        if (
            method == "GET"
            and self.environment
            and path == "/repos/acme/randfile/environments/prod"
        ):
            return 200, self.environment
        policies = "/repos/acme/randfile/environments/prod/deployment-branch-policies?per_page=100"
        if method == "GET" and self.environment and path == policies:
            listing = [{"name": name, "type": "branch"} for name in self.branches]
            return 200, {"total_count": len(listing), "branch_policies": listing}
        return 404, {"message": "Not Found"}


def gate(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_script(
        "environment_gate.py",
        "--environment=prod",
        *args,
        GITHUB_API_URL=url,
        GITHUB_REPOSITORY="acme/randfile",
        GITHUB_TOKEN="token-123",
    )


@pytest.mark.parametrize("server", [FakeEnvironments(GATED, ["main"])], indirect=True)
def test_an_environment_with_reviewers_a_branch_policy_and_no_bypass_passes_the_gate(
    server: tuple[str, Recorder],
) -> None:
    url, recorder = server
    result = gate(url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the environment prod has its gate: wait_timer, required_reviewers" in result.stdout
    assert [path for _, path, *_ in recorder.requests] == [
        "/repos/acme/randfile/environments/prod",
        "/repos/acme/randfile/environments/prod/deployment-branch-policies?per_page=100",
    ]


UNGATED = {
    "name": "prod",
    "can_admins_bypass": True,
    "deployment_branch_policy": None,
    "protection_rules": [{"type": "wait_timer", "wait_timer": 5}],
}


@pytest.mark.parametrize("server", [FakeEnvironments(UNGATED, [])], indirect=True)
def test_an_environment_without_its_rules_stops_the_deploy_saying_what_is_missing(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    url, _ = server
    summary = tmp_path / "summary.md"
    result = run_script(
        "environment_gate.py",
        "--environment=prod",
        GITHUB_API_URL=url,
        GITHUB_REPOSITORY="acme/randfile",
        GITHUB_TOKEN="token-123",
        GITHUB_STEP_SUMMARY=str(summary),
    )
    assert result.returncode == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert len(errors) == 3, result.stdout
    assert all(line.startswith("::error title=No gate for prod::") for line in errors)
    assert "no deployment-branch policy" in errors[0]
    assert "no required reviewers" in errors[1]
    assert "required reviewers exist only for public repositories" in errors[1]
    assert "administrators may bypass" in errors[2]
    assert "### Deploy to `prod` refused" in summary.read_text()


@pytest.mark.parametrize("server", [FakeEnvironments(GATED, ["main", "release/*"])], indirect=True)
def test_a_branch_policy_that_admits_other_branches_is_refused(
    server: tuple[str, Recorder],
) -> None:
    result = gate(server[0])
    assert result.returncode == 1
    assert "admits more than `main`: release/*" in result.stdout


def test_reviewers_are_required_only_where_asked() -> None:
    dev = {**UNGATED, "deployment_branch_policy": {"protected_branches": True}}
    assert (
        environment_gate.problems(dev, require_reviewers=False, branch="main", branch_policies=None)
        == []
    )
    assert (
        len(
            environment_gate.problems(
                dev, require_reviewers=True, branch="main", branch_policies=None
            )
        )
        == 2
    )


@pytest.mark.parametrize("server", [FakeEnvironments(None, [])], indirect=True)
def test_a_missing_environment_stops_the_deploy(server: tuple[str, Recorder]) -> None:
    result = gate(server[0])
    assert result.returncode != 0
    assert "::error title=No gate for prod::the GitHub environment prod does not exist" in (
        result.stdout + result.stderr
    )


# --- release_order.py ------------------------------------------------------------------------

HEAD = "c" * 40
OLDER = "b" * 40
UNRELATED = "e" * 40


def branches(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, Any]:
    """main's head is HEAD, OLDER is in its history, UNRELATED is not."""
    if headers.get("authorization") != "Bearer token-123":
        return 401, {"message": "Bad credentials"}
    if method == "GET" and path == "/repos/acme/randfile/branches/main":
        return 200, {"name": "main", "commit": {"sha": HEAD}}
    compare = {f"main...{HEAD}": "identical", f"main...{OLDER}": "behind"}
    found = compare.get(path.removeprefix("/repos/acme/randfile/compare/"))
    if method == "GET" and found:
        return 200, {"status": found}
    if method == "GET" and path == f"/repos/acme/randfile/compare/main...{UNRELATED}":
        return 200, {"status": "diverged"}
    return 404, {"message": "Not Found"}


def order(url: str, commit: str, event: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return run_script(
        "release_order.py",
        "--env=prod",
        f"--commit={commit}",
        GITHUB_API_URL=url,
        GITHUB_REPOSITORY="acme/randfile",
        GITHUB_TOKEN="token-123",
        GITHUB_EVENT_NAME=event,
        **extra,
    )


@pytest.mark.parametrize("server", [branches], indirect=True)
def test_main_s_head_is_deployed(server: tuple[str, Recorder]) -> None:
    result = order(server[0], HEAD, "push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{HEAD[:12]} is main's head: deploying it to prod" in result.stdout


@pytest.mark.parametrize("server", [branches], indirect=True)
def test_a_superseded_run_stops_saying_so_instead_of_reverting(
    server: tuple[str, Recorder], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    result = order(server[0], OLDER, "push", GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"::error title=Superseded (prod)::{OLDER[:12]} is no longer main's head "
        f"({HEAD[:12]} is): the run of {HEAD[:12]} deploys prod"
    )
    assert "### `prod` not deployed" in summary.read_text()


@pytest.mark.parametrize("server", [branches], indirect=True)
def test_a_manual_dispatch_rolls_back_to_a_commit_of_main_only(
    server: tuple[str, Recorder],
) -> None:
    rollback = order(server[0], OLDER, "workflow_dispatch")
    assert rollback.returncode == 0, rollback.stdout + rollback.stderr
    assert f"::notice title=Deploying {OLDER[:12]} to prod by hand::" in rollback.stdout
    for commit in (UNRELATED, "d" * 40):
        refused = order(server[0], commit, "workflow_dispatch")
        assert refused.returncode == 1
        assert refused.stdout.startswith("::error title=Not a commit of main (prod)::")


def test_the_commit_must_be_a_full_id() -> None:
    result = order("http://127.0.0.1:9", "HEAD; true", "push")
    assert result.returncode != 0
    assert "--commit must be a full commit id" in result.stderr
