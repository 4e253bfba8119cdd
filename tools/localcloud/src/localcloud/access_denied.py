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
_QUERY_COMPATIBLE = {"sqs": "AccessDenied;Sender"}


def response(
    service: str, protocol: str, method: str, message: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of AWS's AccessDenied for a request of ``service``."""
    request_id = str(uuid.uuid4())
    if protocol in ("json", "rest-json"):
        headers = [
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", "AccessDeniedException"),
        ]
        if service in _QUERY_COMPATIBLE:
            headers.append(("x-amzn-query-error", _QUERY_COMPATIBLE[service]))
        payload = {"__type": "AccessDeniedException", "message": message}
        return _JSON_STATUS.get(service, 400), headers, json.dumps(payload).encode()
    if protocol == "rest-xml":
        headers = [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)]
        if method == "HEAD":
            return 403, headers, b""
        error = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return 403, headers, error.encode()
    query_error = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
        f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId>"
        "</ErrorResponse>"
    )
    headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    return 403, headers, query_error.encode()
