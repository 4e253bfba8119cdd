"""SigV4 verification of a request to an AWS_IAM method: recomputed with botocore's own signer.

The Authorization header names the key, the credential scope and the signed headers; the
signature is computed again by botocore (canonical request, string to sign, HMAC chain) from
exactly those headers and the body, with the key's secret, and compared in constant time. Nothing
of SigV4 is re-implemented here. API Gateway's answers for each failure follow
https://repost.aws/knowledge-center/api-gateway-troubleshoot-403-forbidden (x-amzn-ErrorType and
message) and the gateway response types of
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "execute-api"
# AWS refuses a signature whose X-Amz-Date is more than 15 minutes off the server's clock.
MAX_CLOCK_SKEW = timedelta(minutes=15)
_AUTHORIZATION = re.compile(
    rf"^{ALGORITHM} Credential=(?P<key>[^/\s]+)/(?P<date>\d{{8}})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;._-]+),\s*"
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)
INVALID_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)


class SignatureRejected(Exception):
    """API Gateway's answer to a request it cannot authenticate."""

    def __init__(self, response_type: str, error_type: str, message: str) -> None:
        super().__init__(message)
        self.response_type = response_type
        self.error_type = error_type
        self.message = message


def _missing() -> SignatureRejected:
    return SignatureRejected(
        "MISSING_AUTHENTICATION_TOKEN",
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    )


def _incomplete(message: str) -> SignatureRejected:
    # No gateway response type of its own: API Gateway answers it as DEFAULT_4XX.
    return SignatureRejected("DEFAULT_4XX", "IncompleteSignatureException", message)


def _invalid(message: str = INVALID_SIGNATURE_MESSAGE) -> SignatureRejected:
    return SignatureRejected("INVALID_SIGNATURE", "InvalidSignatureException", message)


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: datetime
    session_token: str | None


def parse(headers: Mapping[str, str], region: str, now: datetime | None = None) -> Authorization:
    """The Authorization header's parts, checked for form, scope and freshness."""
    lowered = {name.lower(): value for name, value in headers.items()}
    value = lowered.get("authorization")
    if not value:
        raise _missing()
    match = _AUTHORIZATION.match(value.strip())
    if match is None:
        raise _incomplete(
            f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' "
            f"parameters of a {ALGORITHM} signature. Authorization={value[:200]}"
        )
    signed = tuple(match["signed"].split(";"))
    if "host" not in signed:
        raise _incomplete("'Host' must be a signed header.")
    missing = [name for name in signed if name not in lowered]
    if missing:
        raise _invalid()
    raw_date = lowered.get("x-amz-date", "")
    try:
        amz_date = datetime.strptime(raw_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise _incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        ) from None
    if match["date"] != raw_date[:8]:
        raise _invalid(
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{match['date']}' != '{raw_date[:8]}'"
        )
    if match["service"] != SERVICE:
        raise _invalid(f"Credential should be scoped to correct service: '{SERVICE}'.")
    if match["region"] != region:
        raise _invalid(f"Credential should be scoped to a valid region, not '{match['region']}'.")
    now = now or datetime.now(UTC)
    if abs(now - amz_date) > MAX_CLOCK_SKEW:
        raise _invalid(
            f"Signature expired: {raw_date} is now earlier than "
            f"{(now - MAX_CLOCK_SKEW):%Y%m%dT%H%M%SZ} ({now:%Y%m%dT%H%M%SZ} - 15 min.)"
        )
    return Authorization(
        access_key_id=match["key"],
        date=match["date"],
        region=match["region"],
        service=match["service"],
        signed_headers=signed,
        signature=match["signature"],
        amz_date=amz_date,
        session_token=lowered.get("x-amz-security-token"),
    )


def verify(
    authorization: Authorization,
    credentials: Credentials,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
) -> None:
    """Compares the request's signature with botocore's signature of the request as the client
    must have signed it."""
    lowered = {name.lower(): value for name, value in headers.items()}
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers={name: lowered[name] for name in authorization.signed_headers},
    )
    request.context["timestamp"] = authorization.amz_date.strftime("%Y%m%dT%H%M%SZ")
    signer = SigV4Auth(credentials, authorization.service, authorization.region)
    canonical_request = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical_request), request)
    if not hmac.compare_digest(expected, authorization.signature):
        raise _invalid()
