#!/usr/bin/env python3
"""After a deploy: ask the API, through its custom domain, for a small file; pass on 201.

The request is made by the randfile client (randfile_client: SigV4 by botocore with the job's
own AWS credentials, the API key when the stack created one), the same client people use. Targets
come from `terraform output -json` of the environment just applied.

Right after a first apply the new domain, its DNS record or the stage can answer errors for a
while, so a failed try is repeated, with exponential backoff and jitter (tenacity), for at most
--max-seconds, on what such a delay looks like: no DNS answer or no connection, HTTP 403 and
5xx. Any other answer fails at once. The failure message lists every try and what it got.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.credentials import Credentials
from botocore.session import Session
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    retry_if_result,
    stop_after_delay,
    wait_exponential_jitter,
)

from randfile_client import ConfigurationError, RandfileClient, RetryPolicy, TransportError
from randfile_client.client import FILES_PATH
from scripts.ci.github_api import mask

SIZE_BYTES = 1024
TIMEOUT_SECONDS = 30
EXPECTED_STATUS = 201
# Long enough for a new custom domain's DNS record and base path mapping to be served.
MAX_SECONDS = 300.0
FIRST_WAIT_SECONDS = 2.0
MAX_WAIT_SECONDS = 30.0


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


class NetworkError(Exception):
    """No HTTP answer at all: no DNS record yet, connection refused or timed out."""


def describe(error: BaseException) -> str:
    """What a failed connection was: a DNS error (no record yet) or no answer."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return f"DNS error: {cause}"
        cause = cause.__cause__ or cause.__context__
    return f"no answer: {error}"


def send(client: RandfileClient) -> tuple[int, bytes]:
    """One signed POST /files; return status and body, or raise NetworkError."""
    try:
        response = client.send({"size_bytes": SIZE_BYTES})
    except TransportError as error:
        raise NetworkError(describe(error)) from error
    return response.status, response.body


def transient(status: int) -> bool:
    """Answers a deployment still settling gives: 403 before the mapping exists, 5xx."""
    return status == 403 or status >= 500


@dataclass
class Tries:
    """What each try got, for the final message."""

    started: float = field(default_factory=time.monotonic)
    seen: list[str] = field(default_factory=list)

    def record(self, outcome: str) -> None:
        elapsed = time.monotonic() - self.started
        self.seen.append(f"try {len(self.seen) + 1} at {elapsed:.1f}s: {outcome}")
        print(self.seen[-1], flush=True)

    def __str__(self) -> str:
        return "; ".join(self.seen)


def send_with_retries(
    attempt: Callable[[], tuple[int, bytes]],
    max_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[tuple[int, bytes] | None, Tries]:
    """The first lasting answer (None if every try failed to connect) and the record of tries.

    The client signs every try afresh: SigV4 signatures expire after five minutes.
    """
    tries = Tries()

    def once() -> tuple[int, bytes]:
        try:
            status, body = attempt()
        except NetworkError as error:
            tries.record(str(error))
            raise
        tries.record(f"HTTP {status} {body[:200]!r}")
        return status, body

    def before_sleep(state: RetryCallState) -> None:
        wait = state.next_action.sleep if state.next_action else 0.0
        print(f"  retrying in {wait:.1f}s", flush=True)

    retrying = Retrying(
        retry=retry_if_exception_type(NetworkError) | retry_if_result(lambda r: transient(r[0])),
        stop=stop_after_delay(max_seconds),
        wait=wait_exponential_jitter(multiplier=FIRST_WAIT_SECONDS, max=MAX_WAIT_SECONDS),
        before_sleep=before_sleep,
        sleep=sleep,
    )
    try:
        return retrying(once), tries
    except RetryError as error:
        last = error.last_attempt
        return (None if last.failed else last.result()), tries


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
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=MAX_SECONDS,
        help=f"give up retrying after this long (default {MAX_SECONDS:.0f})",
    )
    args = parser.parse_args(argv)

    target = target_from_outputs(json.loads(args.outputs.read_text(encoding="utf-8")))
    if args.url:
        target = Target(args.url, target.region, target.api_key_id)
    credentials = Session().get_credentials()
    if credentials is None:
        raise SystemExit("no AWS credentials: the smoke test signs its request with the job's role")
    api_key = api_key_value(target.api_key_id, target.region) if target.api_key_id else None
    if api_key:
        mask(api_key)

    with client_for(target, credentials, api_key) as client:
        answer, tries = send_with_retries(lambda: send(client), args.max_seconds)
    problem = "no HTTP answer" if answer is None else check(*answer)
    if answer is None or problem:
        print(
            f"::error title=Smoke test failed::POST {target.url}: {problem}. Gave up after "
            f"{len(tries.seen)} tries in {time.monotonic() - tries.started:.1f}s "
            f"(limit {args.max_seconds:.0f}s): {tries}"
        )
        return 1
    status, body = answer
    print(f"smoke test passed: POST {target.url} -> {status} {json.loads(body)['key']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
