"""randfile's own client, set up for the local cloud's published endpoint as `make demo` hands
it out (the API's domain served on 127.0.0.1, the caller's keys, the API key)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from localcloud.endpoint import Published
from randfile_client import RandfileClient, RetryPolicy
from randfile_localcloud.settings import REGION


def api_client(published: Published, **overrides: Any) -> RandfileClient:
    keys = published.credentials
    settings: dict[str, Any] = {
        "region": REGION,
        "host": published.domain,
        "api_key": published.api_key,
        "credentials": Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token),
        "retry": RetryPolicy(attempts=1),
    }
    return RandfileClient(published.api_url, **(settings | overrides))


def signed_call(
    published: Published, method: str, path: str, body: Any = None
) -> tuple[int, dict[str, str], Any]:
    """One request to any route of the API, signed with SigV4 and carrying the API key as a
    caller's would (the client's routes beyond /files are its own helper's): the status, the
    headers (lower-case names) and the JSON answer."""
    keys = published.credentials
    payload = b"" if body is None else json.dumps(body).encode()
    headers = {"Host": published.domain, "x-api-key": str(published.api_key)}
    if payload:
        headers["Content-Type"] = "application/json"
    url = published.api_url.rstrip("/") + path
    request = AWSRequest(method=method, url=url, data=payload, headers=headers)
    SigV4Auth(
        Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token),
        "execute-api",
        REGION,
    ).add_auth(request)
    response = httpx.request(
        method, url, content=payload or None, headers=dict(request.headers.items()), timeout=60
    )
    answer = {name.lower(): value for name, value in response.headers.items()}
    return response.status_code, answer, response.json()
