#!/usr/bin/env python3
"""After a deploy: ask the API, through its custom domain, for a small file; pass on 201.

The request is made by the randfile client (randfile_client: SigV4 by botocore with the job's
own AWS credentials, the API key when the stack created one), the same client people use. Targets
come from `terraform output -json` of the environment just applied.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.credentials import Credentials
from botocore.session import Session

from randfile_client import ConfigurationError, RandfileClient, RetryPolicy, TransportError
from randfile_client.client import FILES_PATH

SIZE_BYTES = 1024
TIMEOUT_SECONDS = 30
EXPECTED_STATUS = 201


@dataclass(frozen=True)
class Target:
    """Where to send the request and how to authenticate it."""

    url: str
    region: str
    api_key_id: str | None


def target_from_outputs(outputs: Mapping[str, Any]) -> Target:
    """The custom domain's /files route, from `terraform output -json`."""

    def value(name: str) -> Any:
        return outputs.get(name, {}).get("value")

    domain, region = value("custom_domain_name"), value("region")
    if not domain or not region:
        raise SystemExit("no custom_domain_name or region in the outputs: was the stack applied?")
    return Target(f"https://{domain}/files", str(region), value("api_key_id"))


def api_key_value(api_key_id: str, region: str) -> str:
    """The key's secret value, read with the job's credentials (never stored in the repository)."""
    client = boto3.client("apigateway", region_name=region)
    value: str = client.get_api_key(apiKey=api_key_id, includeValue=True)["value"]
    return value


def client_for(target: Target, credentials: Credentials, api_key: str | None) -> RandfileClient:
    """The randfile client for the target; it signs every request afresh (SigV4, execute-api).
    It does not retry: whatever retries the smoke test makes wrap `send`."""
    try:
        return RandfileClient(
            target.url.removesuffix(FILES_PATH),
            region=target.region,
            api_key=api_key,
            credentials=credentials,
            timeout=TIMEOUT_SECONDS,
            retry=RetryPolicy(attempts=1),
        )
    except ConfigurationError as error:
        raise SystemExit(str(error)) from error


def send(client: RandfileClient) -> tuple[int, bytes]:
    """One signed POST /files; return status and body."""
    try:
        response = client.send({"size_bytes": SIZE_BYTES})
    except TransportError as error:
        return 0, str(error).encode()
    return response.status, response.body


def check(status: int, body: bytes) -> str | None:
    """None when the response is the expected 201 for our file; otherwise what is wrong."""
    if status != EXPECTED_STATUS:
        return f"expected HTTP {EXPECTED_STATUS}, got {status}: {body[:500]!r}"
    try:
        document = json.loads(body)
    except ValueError:
        return f"the 201 response is not JSON: {body[:500]!r}"
    if document.get("size_bytes") != SIZE_BYTES or not document.get("key"):
        return f"the 201 response does not describe a {SIZE_BYTES}-byte file: {document}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--outputs", required=True, type=Path, help="file written by `terraform output -json`"
    )
    parser.add_argument("--url", help="send here instead of the custom domain (tests)")
    args = parser.parse_args(argv)

    target = target_from_outputs(json.loads(args.outputs.read_text(encoding="utf-8")))
    if args.url:
        target = Target(args.url, target.region, target.api_key_id)
    credentials = Session().get_credentials()
    if credentials is None:
        raise SystemExit("no AWS credentials: the smoke test signs its request with the job's role")
    api_key = api_key_value(target.api_key_id, target.region) if target.api_key_id else None

    with client_for(target, credentials, api_key) as client:
        status, body = send(client)
    problem = check(status, body)
    if problem:
        print(f"::error title=Smoke test failed::POST {target.url}: {problem}")
        return 1
    print(f"smoke test passed: POST {target.url} -> {status} {json.loads(body)['key']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
