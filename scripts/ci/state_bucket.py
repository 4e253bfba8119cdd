#!/usr/bin/env python3
"""The state bucket's other tenants: the saved plan on its way to the apply job, the state lock.

A saved plan holds the state's sensitive values (the API key), so it never travels as an
artifact: `store` puts it in the state bucket under `<state key>.plans/<run>.tfplan`, which the
plan role may write but not read (infra/bootstrap), create-only (If-None-Match, which the bucket
policy requires), and hands its key, S3 version id and sha256 to the apply job as step outputs;
`fetch` (apply role) gets exactly that version back and refuses anything whose sha256 differs;
`discard` deletes it once applied. `lock` reports who holds the state lock (`<state key>.tflock`,
Terraform's S3 lock file) and the command that releases it, optionally waiting for it to be
released first; `own-lock` prints the lock's id only when this machine's user took it
(Terraform's `Who` is user@hostname), so a cancelled apply releases its own lock and never
another run's.

Where the bucket is comes from the environment's backend file (infra/stack/envs/<env>.s3.tfbackend,
read with python-hcl2); credentials, region and endpoint from the usual AWS environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pwd
import re
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import hcl2
from botocore.exceptions import ClientError
from tenacity import RetryError, Retrying, retry_if_result, stop_after_delay, wait_fixed

from scripts.ci.github_api import append_step_summary

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PLANS_SUFFIX = ".plans/"
LOCK_SUFFIX = ".tflock"
LOCK_POLL_SECONDS = 10.0
# Terraform's lock ids are UUIDs; anything else is not passed on to a command.
LOCK_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Backend:
    """The parts of an S3 backend configuration that name the state object."""

    bucket: str
    key: str
    region: str

    @classmethod
    def read(cls, path: Path) -> Backend:
        options = hcl2.SerializationOptions(strip_string_quotes=True)
        settings: dict[str, Any] = hcl2.loads(
            path.read_text(encoding="utf-8"), serialization_options=options
        )
        missing = [name for name in ("bucket", "key", "region") if not settings.get(name)]
        if missing:
            raise SystemExit(f"{path} does not set {', '.join(missing)}")
        return cls(str(settings["bucket"]), str(settings["key"]), str(settings["region"]))

    def plan_key(self, run: str) -> str:
        return f"{self.key}{PLANS_SUFFIX}{run}.tfplan"

    @property
    def lock_key(self) -> str:
        return f"{self.key}{LOCK_SUFFIX}"

    def s3(self) -> S3Client:
        client: S3Client = boto3.client("s3", region_name=self.region)
        return client


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_outputs(values: dict[str, str]) -> None:
    """Step outputs for later jobs (GITHUB_OUTPUT), or stdout outside GitHub Actions."""
    lines = "".join(f"{name}={value}\n" for name, value in values.items())
    target = os.environ.get("GITHUB_OUTPUT")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(lines)
    sys.stdout.write(lines)


def store(backend: Backend, plan: Path, run: str) -> None:
    key = backend.plan_key(run)
    digest = sha256(plan)
    try:
        # Create-only: a plan stored under this run's key is never replaced by another upload.
        stored = backend.s3().put_object(
            Bucket=backend.bucket,
            Key=key,
            Body=plan.read_bytes(),
            IfNoneMatch="*",
            Metadata={"sha256": digest},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "PreconditionFailed":
            raise SystemExit(
                f"s3://{backend.bucket}/{key} already exists: a plan is stored once per run "
                "attempt; re-run the whole workflow run to plan again"
            ) from error
        raise
    version = stored.get("VersionId")
    if not version or version == "null":
        # The apply must fetch exactly this upload: without versions a key names whatever is there.
        raise SystemExit(f"s3://{backend.bucket} is not versioned: the bootstrap enables it")
    _write_outputs({"plan-key": key, "plan-version": version, "plan-sha256": digest})


def fetch(backend: Backend, key: str, version: str, expected: str, plan: Path) -> None:
    if not key.startswith(f"{backend.key}{PLANS_SUFFIX}"):
        raise SystemExit(f"{key} is not a saved plan of the state {backend.key}")
    try:
        # The version the plan job stored, not whatever the key names now. A GetObject naming a
        # version is authorised as s3:GetObjectVersion, not s3:GetObject (docs.aws.amazon.com/
        # AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax, versionId): the
        # apply role needs that action on the saved plans (infra/bootstrap).
        answer = backend.s3().get_object(Bucket=backend.bucket, Key=key, VersionId=version)
        body = answer["Body"].read()
    except ClientError as error:
        raise SystemExit(
            f"no saved plan at s3://{backend.bucket}/{key} ({error}): it was applied or expired; "
            "re-run the whole workflow run to plan again"
        ) from error
    digest = hashlib.sha256(body).hexdigest()
    if digest != expected:
        raise SystemExit(
            f"::error title=Not the reviewed plan::s3://{backend.bucket}/{key} has sha256 "
            f"{digest}, the plan job stored {expected}: refusing to apply it"
        )
    plan.parent.mkdir(parents=True, exist_ok=True)
    plan.write_bytes(body)
    print(
        f"fetched the reviewed plan s3://{backend.bucket}/{key} version {version} (sha256 {digest})"
    )


def discard(backend: Backend, key: str) -> None:
    backend.s3().delete_object(Bucket=backend.bucket, Key=key)
    print(f"deleted s3://{backend.bucket}/{key}")


def read_lock(backend: Backend) -> dict[str, Any] | None:
    """Terraform's lock record (ID, Operation, Who, Version, Created, Path), or None if unlocked."""
    try:
        body = backend.s3().get_object(Bucket=backend.bucket, Key=backend.lock_key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise
    record: dict[str, Any] = json.loads(body or b"{}")
    return record


def this_machine() -> str:
    """Terraform's `Who` for a lock taken here: the process user's name (looked up by uid, as Go's
    os/user does) @ the host name."""
    return f"{pwd.getpwuid(os.getuid()).pw_name}@{socket.gethostname()}"


def own_lock_id(record: dict[str, Any] | None) -> str | None:
    """The lock's id when this machine's user holds it (a job's runner is its own machine)."""
    if record is None or record.get("Who") != this_machine():
        return None
    lock_id = str(record.get("ID", ""))
    return lock_id if LOCK_ID.fullmatch(lock_id) else None


def release_command(env: str, lock_id: str) -> str:
    return f"make unlock ENV={env} LOCK_ID={lock_id}"


def lock_report(env: str, backend: Backend, record: dict[str, Any]) -> str:
    lock_id = str(record.get("ID", "?"))
    return (
        f"::warning title=State of {env} is locked::Lock {lock_id} on "
        f"s3://{backend.bucket}/{backend.lock_key}: {record.get('Operation', '?')} by "
        f"{record.get('Who', '?')} since {record.get('Created', '?')} (Terraform "
        f"{record.get('Version', '?')}). If no run is deploying {env} (a killed apply leaves "
        f"its lock behind), release it with the unlock workflow (environment {env}, lock id "
        f"{lock_id}), whose job in the environment runs, with the apply role: "
        f"{release_command(env, lock_id)}"
    )


def wait_for_unlock(backend: Backend, seconds: float) -> dict[str, Any] | None:
    """The lock record still held after ``seconds`` (None as soon as the state is unlocked)."""
    retrying = Retrying(
        retry=retry_if_result(lambda record: record is not None),
        stop=stop_after_delay(seconds),
        wait=wait_fixed(LOCK_POLL_SECONDS),
    )
    try:
        return retrying(read_lock, backend)
    except RetryError as error:
        record: dict[str, Any] | None = error.last_attempt.result()
        return record


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["store", "fetch", "discard", "lock", "own-lock"])
    parser.add_argument("--env", required=True)
    parser.add_argument("--backend-config", required=True, type=Path)
    parser.add_argument("--plan", type=Path, help="store, fetch: the local saved plan file")
    parser.add_argument("--run", help="store: the run and attempt the plan belongs to")
    parser.add_argument("--key", help="fetch, discard: the key `store` reported")
    parser.add_argument("--version", help="fetch: the S3 version id `store` reported")
    parser.add_argument("--sha256", help="fetch: the sha256 `store` reported")
    parser.add_argument(
        "--wait", type=float, default=0.0, help="lock: seconds to wait for an unlock first"
    )
    args = parser.parse_args(argv)
    backend = Backend.read(args.backend_config)

    def need(*names: str) -> None:
        missing = [f"--{name}" for name in names if not getattr(args, name)]
        if missing:
            parser.error(f"{args.command} needs {', '.join(missing)}")

    if args.command == "store":
        need("plan", "run")
        store(backend, args.plan, args.run)
    elif args.command == "fetch":
        need("plan", "key", "version", "sha256")
        fetch(backend, args.key, args.version, args.sha256, args.plan)
    elif args.command == "discard":
        need("key")
        discard(backend, args.key)
    elif args.command == "own-lock":
        print(own_lock_id(read_lock(backend)) or "")
    else:
        record = wait_for_unlock(backend, args.wait) if args.wait else read_lock(backend)
        if record is None:
            print(f"the state of {args.env} is not locked")
            return 0
        report = lock_report(args.env, backend, record)
        print(report)
        append_step_summary(f"### State lock: `{args.env}`\n\n:lock: {report.split('::', 2)[2]}\n")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
