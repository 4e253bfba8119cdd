"""randfile's own client, set up for the local cloud's published endpoint as `make demo` hands
it out (the API's domain served on 127.0.0.1, the caller's keys, the API key)."""

from __future__ import annotations

from typing import Any

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
