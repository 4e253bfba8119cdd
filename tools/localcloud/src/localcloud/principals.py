"""Who signed a request: the credentials moto issued for an access key, read in its own process.

API Gateway knows every key's secret; on the emulator only moto's backends do, so this module is
used inside the emulator process (localcloud.server), where the HTTP front door runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.credentials import Credentials
from moto.iam import models as iam_models
from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
from moto.sts.models import sts_backends

from localcloud.sigv4 import SignatureRejected

PARTITION = "aws"


@dataclass(frozen=True)
class Principal:
    arn: str
    account_id: str
    credentials: Credentials


def _invalid_token() -> SignatureRejected:
    # The knowledge center lists this message with x-amzn-ErrorType AccessDeniedException
    # (https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden).
    return SignatureRejected(
        "ACCESS_DENIED",
        "AccessDeniedException",
        "The security token included in the request is invalid.",
    )


def lookup(access_key_id: str, session_token: str | None) -> Principal:
    """The identity and secret of a key; refuses unknown keys, wrong and expired tokens."""
    account_id = iam_models.get_account_id_from(access_key_id)
    headers = {"X-Amz-Security-Token": session_token} if session_token else {}
    try:
        key = create_access_key(account_id, PARTITION, access_key_id, headers)
    except CreateAccessKeyFailure:
        raise _invalid_token() from None
    role = sts_backends[account_id][PARTITION].get_assumed_role_from_access_key(access_key_id)
    if role is not None and role.expiration.replace(tzinfo=UTC) < datetime.now(UTC):
        raise SignatureRejected(
            "EXPIRED_TOKEN",
            "ExpiredTokenException",
            "The security token included in the request is expired",
        )
    return Principal(key.arn, account_id, key.create_credentials())
