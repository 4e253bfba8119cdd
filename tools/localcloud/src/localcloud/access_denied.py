"""AWS's refusal of an unauthorized request, in the error shape of each API protocol.

- REST-XML (S3): HTTP 403, ``<Error><Code>AccessDenied</Code>...``; no body for HEAD.
  https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
- JSON and REST-JSON (DynamoDB, KMS, Logs, SQS, Lambda): ``AccessDeniedException`` in ``__type``
  and the x-amzn-ErrorType header; SQS, a former query service, also names the query-protocol
  code (AccessDenied) in x-amzn-query-error, as botocore reads it.
  https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html#operation-error-serialization
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
- Query (STS, IAM, SNS, CloudWatch): HTTP 403, ``<ErrorResponse>`` with code AccessDenied.
  https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html
"""

from __future__ import annotations

import json
import uuid
from html import escape

# JSON services that answer AccessDenied with 400 (DynamoDB, KMS, Logs) or 403 (Lambda, SQS).
_JSON_STATUS = {"lambda": 403, "sqs": 403}
_QUERY_COMPATIBLE = {"sqs"}


def response(
    service: str, protocol: str, method: str, message: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of AWS's AccessDenied for a request of ``service``."""
    status = _JSON_STATUS.get(service, 400) if protocol in ("json", "rest-json") else 403
    return error(service, protocol, method, status=status, code="AccessDenied", message=message)


def error(
    service: str, protocol: str, method: str, *, status: int, code: str, message: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of an AWS error ``code`` in ``service``'s protocol. JSON services
    name AccessDenied ``AccessDeniedException``; any other code is sent as given."""
    request_id = str(uuid.uuid4())
    fault = "Sender" if status < 500 else "Receiver"
    if protocol in ("json", "rest-json"):
        json_type = "AccessDeniedException" if code == "AccessDenied" else code
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", json_type),
        ]
        if service in _QUERY_COMPATIBLE:
            headers.append(("x-amzn-query-error", f"{code};{fault}"))
        payload = {"__type": json_type, "message": message}
        return status, headers, json.dumps(payload).encode()
    if protocol == "rest-xml":
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        if method == "HEAD":
            return status, headers, b""
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return status, headers, body.encode()
    query_error = (
        f"<ErrorResponse><Error><Type>{fault}</Type><Code>{escape(code)}</Code>"
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId>"
        "</ErrorResponse>"
    )
    headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    return status, headers, query_error.encode()
