"""Where the client sends requests and with which API key, so nothing is copied by hand.

- `--env <name>`: the outputs of that environment's stack, read as `make smoke` reads them
  (`scripts/terraform -chdir=infra/stack output -json` with the environment's TF_DATA_DIR, run in
  the repository found above the working directory), or from a file written by that command.
- `--env local`: the endpoint file that `make demo` writes for the local cloud.
- The API key: a flag or RANDFILE_API_KEY, else an SSM parameter name, else the stack's key
  (`api_key_id` output) read with the caller's credentials.
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from botocore.session import Session

from randfile_client.errors import ConfigurationError

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient
    from mypy_boto3_ssm import SSMClient

LOCAL_ENV = "local"
# Relative to the repository root; `make demo` writes it (localcloud.endpoint).
LOCAL_ENDPOINT_FILE = Path("build") / "localcloud" / "endpoint.json"
# Beside it, the credentials profiles `make demo` writes; the data account's reads the bucket.
LOCAL_CREDENTIALS_FILE = Path("build") / "localcloud" / "aws" / "credentials"
LOCAL_DATA_PROFILE = "randfile-local-data"
STACK_DIR = Path("infra") / "stack"
TERRAFORM = Path("scripts") / "terraform"


@dataclass(frozen=True)
class Target:
    endpoint: str
    region: str | None = None
    host: str | None = None
    api_key: str | None = None
    api_key_id: str | None = None


def find_repository(start: Path | None = None) -> Path:
    """The randfile checkout holding the working directory (it has infra/stack)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / STACK_DIR / "main.tf").is_file() and (candidate / TERRAFORM).is_file():
            return candidate
    raise ConfigurationError(
        f"--env needs a randfile checkout: no infra/stack above {here} "
        "(run from the repository, or pass --outputs or --endpoint)"
    )


def stack_outputs(env: str, repository: Path) -> dict[str, Any]:
    """`terraform output -json` of ENV's stack, from the working directory `make plan` uses."""
    environment = {**os.environ, "TF_DATA_DIR": str(repository / "build" / "terraform" / env)}
    try:
        result = subprocess.run(  # noqa: S603  # nosec B603
            [str(repository / TERRAFORM), f"-chdir={repository / STACK_DIR}", "output", "-json"],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
            timeout=300,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ConfigurationError(f"terraform output for {env} failed: {error}") from error
    if result.returncode != 0:
        raise ConfigurationError(
            f"terraform output for {env} failed (was `make plan ENV={env}` run here?): "
            f"{result.stderr.strip()[-500:]}"
        )
    outputs: dict[str, Any] = json.loads(result.stdout or "{}")
    return outputs


def target_from_outputs(outputs: Mapping[str, Any]) -> Target:
    """The API's URL, region and key ID from `terraform output -json` (or plain values)."""

    def value(name: str) -> Any:
        entry = outputs.get(name)
        return entry.get("value") if isinstance(entry, Mapping) else entry

    endpoint = value("api_url") or (
        f"https://{value('custom_domain_name')}" if value("custom_domain_name") else None
    )
    if not endpoint:
        raise ConfigurationError("the outputs have no api_url: has the stack been applied?")
    return Target(
        endpoint=str(endpoint),
        region=value("region"),
        api_key_id=value("api_key_id"),
    )


def local_target(repository: Path) -> Target:
    path = repository / LOCAL_ENDPOINT_FILE
    if not path.is_file():
        raise ConfigurationError(f"{path} does not exist: start the local cloud with `make demo`")
    saved = json.loads(path.read_text(encoding="utf-8"))
    return Target(
        endpoint=saved["endpoint"],
        region=saved["region"],
        host=saved.get("host"),
        api_key=saved.get("api_key"),
    )


@dataclass(frozen=True)
class LocalS3:
    """How to read the local cloud's buckets: its emulator's URL and the data account's profile."""

    endpoint_url: str
    region: str
    profile: str
    credentials_file: Path


def local_s3(repository: Path) -> LocalS3:
    path = repository / LOCAL_ENDPOINT_FILE
    if not path.is_file():
        raise ConfigurationError(f"{path} does not exist: start the local cloud with `make demo`")
    saved = json.loads(path.read_text(encoding="utf-8"))
    if "aws_endpoint" not in saved:
        raise ConfigurationError(
            f"{path} names no AWS endpoint (written by an older `make demo`): run `make demo` again"
        )
    return LocalS3(
        endpoint_url=saved["aws_endpoint"],
        region=saved["region"],
        profile=LOCAL_DATA_PROFILE,
        credentials_file=repository / LOCAL_CREDENTIALS_FILE,
    )


def default_region() -> str | None:
    """The region of the standard chain (AWS_REGION, AWS_DEFAULT_REGION, the profile's)."""
    region = Session().get_config_variable("region")
    return str(region) if region else None


def api_key_from_ssm(name: str, region: str) -> str:
    client: SSMClient = boto3.client("ssm", region_name=region)
    try:
        value = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except (BotoCoreError, ClientError) as error:
        raise ConfigurationError(f"cannot read the API key from SSM {name}: {error}") from error
    return str(value)


def api_key_from_id(api_key_id: str, region: str) -> str:
    client: APIGatewayClient = boto3.client("apigateway", region_name=region)
    try:
        value = client.get_api_key(apiKey=api_key_id, includeValue=True)["value"]
    except (BotoCoreError, ClientError) as error:
        raise ConfigurationError(f"cannot read API key {api_key_id}: {error}") from error
    return str(value)


def resolve(
    *,
    env: str | None,
    endpoint: str | None,
    outputs_file: Path | None,
    region: str | None,
    host: str | None,
    api_key: str | None,
    api_key_ssm_parameter: str | None,
) -> Target:
    """Explicit values win over the environment's; the key is read last, in the target region."""
    if outputs_file is not None:
        base = target_from_outputs(json.loads(outputs_file.read_text(encoding="utf-8")))
    elif env == LOCAL_ENV:
        base = local_target(find_repository())
    elif env:
        base = target_from_outputs(stack_outputs(env, find_repository()))
    elif endpoint:
        base = Target(endpoint=endpoint)
    else:
        raise ConfigurationError("no endpoint: pass --env ENV or --endpoint URL")
    target = replace(
        base,
        endpoint=endpoint or base.endpoint,
        region=region or base.region or default_region(),
        host=host or base.host,
    )
    if not target.region:
        raise ConfigurationError("no region: pass --region or set AWS_REGION")
    if api_key:
        return replace(target, api_key=api_key)
    if api_key_ssm_parameter:
        return replace(target, api_key=api_key_from_ssm(api_key_ssm_parameter, target.region))
    if target.api_key is None and target.api_key_id:
        return replace(target, api_key=api_key_from_id(target.api_key_id, target.region))
    return target
