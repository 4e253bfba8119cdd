"""python -m randfile_localcloud demo|invoke|down: randfile's stack on a local two-account cloud."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from botocore.credentials import Credentials

from localcloud.cloud import NotRunningError
from localcloud.emulator import EmulatorError
from localcloud.endpoint import Published
from localcloud.gateway import Response
from localcloud.model import WiringError
from localcloud.paths import Paths
from localcloud.runtime import InvocationError
from localcloud.stack import UnsupportedResourceError
from localcloud.terraform import TerraformError
from randfile_client import DatasetStatus, RandfileClient, RandfileError
from randfile_client.dataset_report import seconds_between
from randfile_localcloud.cloud import FILES_PATH, Cloud
from randfile_localcloud.settings import (
    DATA_ACCOUNT_ID,
    DEFAULT_STATE_DIR,
    DEFAULT_ZIP,
    HOSTED_ZONE,
    WORKLOAD_ACCOUNT_ID,
)
from randfile_localcloud.verify import VerificationError

DEMO_BODY = '{"size_bytes": 2048, "format": "csv"}'
# The demo's dataset: a few small files, made by the worker through the jobs queue.
DEMO_DATASET_FILES = 5
DEMO_DATASET_BYTES = 1024
DEMO_DATASET_TIMEOUT_SECONDS = 180.0


class Progress:
    def __init__(self) -> None:
        self._started = time.monotonic()

    def __call__(self, message: str) -> None:
        print(f"[{time.monotonic() - self._started:6.1f}s] {message}", flush=True)


def client_command(published: Published) -> str:
    """The `randfile` client's call of the local API, under the published profile."""
    return f"{published.environment} randfile create --env local --size 10KiB --format csv --seed 7"


def dataset_command(published: Published) -> str:
    """The same for a dataset (docs/client.md): its report reads the manifest as the data
    account, whose profile the endpoint file names."""
    return f"{published.environment} randfile dataset create --env local --count 100 --size 64KiB"


def make_dataset(published: Published) -> DatasetStatus:
    """A dataset of a few files through the published endpoint, as the client makes one, waited
    for until it has ended (RandfileError when it cannot be made or waited for)."""
    keys = published.credentials
    client = RandfileClient(
        published.api_url,
        region=published.region,
        api_key=published.api_key,
        host=published.domain,
        credentials=Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token),
        poll_interval=0.5,
    )
    with client:
        accepted = client.create_dataset(
            DEMO_DATASET_FILES, "csv", size_bytes=DEMO_DATASET_BYTES, seed=7
        )
        return client.wait_dataset(accepted, timeout=DEMO_DATASET_TIMEOUT_SECONDS)


def _print_response(response: Response) -> None:
    print(f"HTTP {response.status}")
    try:
        print(json.dumps(response.json(), indent=2))
    except json.JSONDecodeError:
        print(response.body)


def demo(local: Cloud, body: str) -> int:
    progress = Progress()
    progress("starting the local cloud (moto server) ...")
    running = local.up()
    progress(
        f"local cloud up: {running.endpoint_url} (pid {running.pid}); workload account "
        f"{WORKLOAD_ACCOUNT_ID} and data account {DATA_ACCOUNT_ID} with their deploy roles, "
        f"hosted zone {HOSTED_ZONE}"
    )
    progress("deploying infra/stack with Terraform (about a minute on first run) ...")
    outputs = local.deploy()
    progress(f"stack deployed: {outputs['api_url']} -> function {outputs['function_name']}")
    published = local.publish_endpoint()
    progress(
        f"API served over HTTP at {published.api_url} for Host {published.domain} "
        f"(endpoint saved in {published.endpoint_file})"
    )
    response = local.call(body)
    route = response.route
    progress(
        f"request made: POST {outputs['custom_domain_name']}/files -> mapping {route.base_path} -> "
        f"REST API {route.rest_api_id} stage {route.stage_name} -> {route.function.name}: "
        f"HTTP {response.status}"
    )
    progress(f"function ran on {response.interpreter.describe(route.function.runtime)}")
    if response.status != 201:
        _print_response(response)
        print(response.logs, file=sys.stderr)
        return 1
    stored = local.verify(response)
    progress(
        f"object verified with the data account's credentials ({stored.owner_account}): "
        f"s3://{stored.bucket}/{stored.key}"
    )
    try:
        dataset = make_dataset(published)
    except RandfileError as error:
        print(f"dataset: {error}", file=sys.stderr)
        return 1
    if dataset.status != "succeeded":
        print(f"dataset {dataset.dataset_id} {dataset.status}: {dataset}", file=sys.stderr)
        return 1
    progress(
        f"dataset made by the worker: POST /datasets -> {dataset.files_succeeded} files in "
        f"{seconds_between(dataset.created_at, dataset.updated_at):.1f} s under "
        f"s3://{dataset.bucket}/{dataset.prefix} (manifest {dataset.manifest_key})"
    )
    print(
        "\nrandfile is running on the local cloud\n"
        f"  API URL    {outputs['invoke_url']}\n"
        f"  bucket     {stored.bucket} (account {stored.owner_account})\n"
        f"  key        {stored.key}\n"
        f"  size       {stored.size_bytes} bytes\n"
        f"  sha256     {stored.sha256}\n"
        f"\nthe API over HTTP: {published.api_url}/files (Host: {published.domain})\n"
        "  the randfile client (pip install . or make venv):\n"
        f"    {client_command(published)}\n"
        f"    {dataset_command(published)}\n"
        "  awscurl, signing on its own (201):\n"
        f"    {published.awscurl_command(FILES_PATH, DEMO_BODY)}\n"
        "  curl without a signature (403):\n"
        f"    {published.curl_command(FILES_PATH, DEMO_BODY)}\n"
        '\ncall again:  make invoke BODY=\'{"size_bytes": 4096, "format": "jsonl"}\'\n'
        "tear down:   make demo-down"
    )
    return 0


def invoke(local: Cloud, body: str) -> int:
    response = local.call(body)
    _print_response(response)
    return 0 if response.status < 400 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m randfile_localcloud", description=__doc__)
    parser.add_argument("command", choices=("demo", "invoke", "down"))
    parser.add_argument("--body", default=DEMO_BODY, help="JSON body of POST /files")
    parser.add_argument("--state-dir", type=Path, default=DEFAULT_STATE_DIR)
    parser.add_argument("--zip", type=Path, default=DEFAULT_ZIP, help="the built function package")
    args = parser.parse_args(argv)
    local = Cloud(Paths(args.state_dir.resolve()), args.zip)
    try:
        if args.command == "demo":
            return demo(local, args.body)
        if args.command == "invoke":
            return invoke(local, args.body)
        local.down()
        print(f"local cloud stopped; {args.state_dir} removed")
        return 0
    except (
        EmulatorError,
        InvocationError,
        NotRunningError,
        TerraformError,
        UnsupportedResourceError,
        VerificationError,
        WiringError,
    ) as error:
        print(f"localcloud {args.command}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
