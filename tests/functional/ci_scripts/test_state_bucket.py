"""scripts/ci/state_bucket.py against a moto state bucket: saved plans and state locks."""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from scripts.ci import state_bucket
from tests.functional.ci_scripts.script_runner import CREDENTIALS, REPO

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
