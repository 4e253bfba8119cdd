"""`POST /files` made safe to retry with the `Idempotency-Key` request header (IETF httpapi
draft "The Idempotency-Key HTTP Header Field",
https://datatracker.ietf.org/doc/draft-ietf-httpapi-idempotency-key-header/).

The first request with a key runs; a retry with the same key and the same request gets the first
one's answer again (the same 201 file or 202 job, never a second object); the same key with
another request is 422, and a retry while the first is still running is 409 with Retry-After
(the draft's section "Error Scenarios"). A request that failed leaves no record, so its retry runs.

The records are Powertools' idempotency records in the jobs table (as the worker's are), kept as
long as jobs (`RANDFILE_JOB_RETENTION_DAYS`); a key is scoped to the caller's account and API key,
so two callers never share one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)

from randfile.aws import dynamodb_client
from randfile.errors import (
    BadRequestError,
    IdempotencyKeyInUseError,
    IdempotencyKeyReusedError,
    JobsUnavailableError,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext as PowertoolsContext

    from randfile.config import JobSettings

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
"""Long enough for any UUID or ULID a client makes, short enough to log."""
RETRY_AFTER_SECONDS = 2
SECONDS_PER_DAY = 86_400

# The draft makes the field a Structured Field String (RFC 9651, section 3.3.3): printable ASCII
# in double quotes, `"` and `\` escaped by a backslash. A bare value (what many clients send) is
# taken as it is when it has no quote, backslash or space.
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_BARE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")

Answer = dict[str, Any]
"""What is remembered of an answer: JSON, so that Powertools can store it."""


def idempotency_key(headers: Mapping[str, str] | None) -> str | None:
    """The request's key, None without the header; a malformed one is 400."""
    for name, value in (headers or {}).items():
        if name.lower() != HEADER:
            continue
        # Only spaces and tabs surround a field value (RFC 9110, section 5.5); str.strip() would
        # also take obs-text such as U+00A0 for white space and accept what the document refuses.
        text = value.strip(" \t")
        quoted = _SF_STRING.fullmatch(text)
        key = re.sub(r"\\(.)", r"\1", quoted.group(1)) if quoted else text
        if not (quoted or _BARE.fullmatch(text)) or not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise BadRequestError(
                f"Idempotency-Key: must be a string of 1 to {MAX_KEY_LENGTH} printable ASCII"
                ' characters, e.g. "8e03978e-40d5-43e8-bc93-6894a57f9324"'
            )
        return key
    return None


def caller_scope(event: Mapping[str, Any]) -> str:
    """Whose keys these are: the caller's account and API key, as API Gateway vouches for them
    (requestContext.identity). The API key, not the signing session, so a retry with refreshed
    credentials is still the same caller."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return f"{identity.get('accountId') or '-'}/{identity.get('apiKeyId') or '-'}"


def recorded(
    function: Callable[..., Any],
    *,
    data_keyword_argument: str,
    event_key_jmespath: str,
    jobs: JobSettings,
    context: object,
    payload_validation_jmespath: str = "",
) -> Callable[..., Any]:
    """`function` under Powertools' idempotency, its records in the jobs table and kept as long
    as jobs: the API function's Idempotency-Keys and the worker's job deliveries alike."""
    config = IdempotencyConfig(
        event_key_jmespath=event_key_jmespath,
        payload_validation_jmespath=payload_validation_jmespath,
        raise_on_no_idempotency_key=True,
        # As long as the job itself: a retry within the job's life gets its outcome.
        expires_after_seconds=jobs.retention_days * SECONDS_PER_DAY,
    )
    # A call in progress holds its record until the function's timeout, after which a retry of
    # a killed invocation may take it over.
    config.register_lambda_context(cast("PowertoolsContext", context))
    store = DynamoDBPersistenceLayer(
        table_name=jobs.table,
        key_attr="id",
        expiry_attr="expiration",
        boto3_client=dynamodb_client(),
    )
    wrapped: Callable[..., Any] = idempotent_function(
        function,
        data_keyword_argument=data_keyword_argument,
        persistence_store=store,
        config=config,
    )
    return wrapped


def once(
    key: str,
    *,
    scope: str,
    request: Mapping[str, Any],
    jobs: JobSettings,
    context: object,
    answer: Callable[[], Answer],
) -> Answer:
    """`answer()` the first time (scope, key) is seen with `request`; its remembered result for
    a retry with the same `request`. Raises IdempotencyKeyReusedError (422) for another request,
    IdempotencyKeyInUseError (409) while the first is running, JobsUnavailableError (503) when
    the records cannot be read or written."""

    def first(call: dict[str, Any]) -> Answer:
        del call
        return answer()

    run = recorded(
        first,
        data_keyword_argument="call",
        event_key_jmespath="[scope, key]",
        payload_validation_jmespath="request",
        jobs=jobs,
        context=context,
    )
    try:
        remembered: Answer = run(call={"scope": scope, "key": key, "request": dict(request)})
    except IdempotencyValidationError:
        raise IdempotencyKeyReusedError(
            "Idempotency-Key: this key was sent before with another request; use a new key for"
            " a new request"
        ) from None
    except IdempotencyAlreadyInProgressError:
        raise IdempotencyKeyInUseError(
            "Idempotency-Key: the first request with this key is still running; retry later",
            retry_after_seconds=RETRY_AFTER_SECONDS,
        ) from None
    except IdempotencyPersistenceLayerError as error:
        raise JobsUnavailableError(
            f"could not read or record the Idempotency-Key ({error}); retry",
            retry_after_seconds=RETRY_AFTER_SECONDS,
        ) from error
    return remembered
