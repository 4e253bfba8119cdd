"""Where moto answers differently from AWS in a way the Terraform AWS provider trips over.

Each patch makes moto return what AWS returns; none of them changes what Terraform sends, so the
stack is deployed exactly as written. They are applied inside the emulator process only.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any, cast

from moto.apigateway.models import RestAPI, UsagePlan
from moto.core.compat import HAS_CRT
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.logs.responses import LogsResponse
from moto.s3.exceptions import S3ClientError
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response
from moto.s3.utils import compute_checksum
from moto.servicequotas.exceptions import NoSuchResource
from moto.servicequotas.models import ServiceQuotasBackend
from moto.servicequotas.responses import ServiceQuotasResponse
from moto.sqs.models import Queue


def _escape_rest_api_policy() -> None:
    """GetRestApi returns the resource policy as an escaped JSON string on AWS.

    The provider reads ``policy`` by wrapping it in quotes and unquoting it; moto returns the raw
    document, so every read of ``aws_api_gateway_rest_api_policy`` fails with "invalid character".
    """
    original = RestAPI.to_dict

    def to_dict(self: RestAPI) -> dict[str, Any]:
        result: dict[str, Any] = original(self)
        policy = result.get(RestAPI.PROP_POLICY)
        if policy:
            result[RestAPI.PROP_POLICY] = json.dumps(policy)[1:-1]
        return result

    RestAPI.to_dict = to_dict  # type: ignore[method-assign]


def _bucket_policy_conditions_do_not_deny() -> None:
    """moto evaluates bucket policies without a request context and, when a statement's
    Condition cannot be checked, answers DENIED whatever the statement's Effect.

    The stack's policy has an Allow conditioned on aws:PrincipalArn and a Deny conditioned on
    aws:SecureTransport = false, so every PutObject would be refused. On AWS a statement whose
    condition does not hold does not apply; lacking the context, conditional statements are left
    out here, and the unconditional ones are evaluated by moto as before.
    """

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        document = json.loads(self.policy.decode())
        statements = document.get("Statement", [])
        if isinstance(statements, dict):
            statements = [statements]
        unconditional = [statement for statement in statements if "Condition" not in statement]
        if not unconditional:
            return PermissionResult.NEUTRAL
        policy = IAMPolicy(json.dumps({**document, "Statement": unconditional}))
        return policy.is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


LAMBDA_CONCURRENCY_QUOTA_CODE = "L-B99A9384"
# The "Concurrent executions" quota of a new account, which is what a first deploy meets: the
# emulator answers it so the stack's plan-time reservation check runs against a realistic value.
NEW_ACCOUNT_LAMBDA_CONCURRENCY = 10.0
DEFAULT_LAMBDA_CONCURRENCY = 1000.0
LAMBDA_CONCURRENCY_VARIABLE = "LOCALCLOUD_LAMBDA_CONCURRENCY_QUOTA"


def _lambda_quota(region: str, account_id: str, value: float) -> dict[str, Any]:
    return {
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaArn": (
            f"arn:aws:servicequotas:{region}:{account_id}:lambda/{LAMBDA_CONCURRENCY_QUOTA_CODE}"
        ),
        "QuotaCode": LAMBDA_CONCURRENCY_QUOTA_CODE,
        "QuotaName": "Concurrent executions",
        "ServiceCode": "lambda",
        "ServiceName": "AWS Lambda",
        "Unit": "None",
        "Value": value,
    }


def _lambda_concurrency_quota() -> None:
    """moto's Service Quotas knows only VPC quotas; AWS answers Lambda's too.

    The value is the new-account one unless LOCALCLOUD_LAMBDA_CONCURRENCY_QUOTA says otherwise
    (an account whose quota was raised).
    """
    original = ServiceQuotasBackend.get_service_quota

    def get_service_quota(
        self: ServiceQuotasBackend, service_code: str, quota_code: str
    ) -> dict[str, Any]:
        if (service_code, quota_code) != ("lambda", LAMBDA_CONCURRENCY_QUOTA_CODE):
            quota: dict[str, Any] = original(self, service_code, quota_code)
            return quota
        value = float(os.environ.get(LAMBDA_CONCURRENCY_VARIABLE, NEW_ACCOUNT_LAMBDA_CONCURRENCY))
        return _lambda_quota(self.region_name, self.account_id, value)

    ServiceQuotasBackend.get_service_quota = get_service_quota  # type: ignore[method-assign]

    # The provider's aws_servicequotas_service_quota also reads the AWS default (default_value),
    # which moto does not implement: its 500s would be retried until the plan times out.
    def get_aws_default_service_quota(self: ServiceQuotasResponse) -> str:
        params = json.loads(self.body)
        if (params.get("ServiceCode"), params.get("QuotaCode")) != (
            "lambda",
            LAMBDA_CONCURRENCY_QUOTA_CODE,
        ):
            raise NoSuchResource
        quota = _lambda_quota(self.region, self.current_account, DEFAULT_LAMBDA_CONCURRENCY)
        return json.dumps({"Quota": quota})

    ServiceQuotasResponse.get_aws_default_service_quota = get_aws_default_service_quota  # type: ignore[attr-defined]


def _usage_plan_patches_keep_numbers() -> None:
    """UpdateUsagePlan: AWS keeps the throttle rate a double and the quota an integer.

    moto parses the rate with int() (a rate of 0.5 fails) and stores the quota limit as the
    patch's string, which the provider then cannot read ("expected Integer ... got string"), so
    the next plan or destroy of the stack fails.
    """
    original = UsagePlan.apply_patch_operations

    def apply_patch_operations(self: UsagePlan, patch_operations: Any) -> None:
        rates = [op for op in patch_operations if op.get("path") == "/throttle/rateLimit"]
        original(self, [op for op in patch_operations if op not in rates])
        for op in rates:
            if op["op"] in ("add", "replace"):
                self.throttle["rateLimit"] = float(op["value"])
        for name in ("limit", "offset"):
            if isinstance(self.quota.get(name), str):
                self.quota[name] = int(self.quota[name])

    UsagePlan.apply_patch_operations = apply_patch_operations  # type: ignore[method-assign]


def _logs_query_definitions() -> None:
    """Logs Insights saved queries (aws_cloudwatch_query_definition), which moto does not have.

    Kept per account and region with AWS's shapes: PutQueryDefinition creates, or with
    queryDefinitionId replaces; DescribeQueryDefinitions filters by name prefix;
    DeleteQueryDefinition answers success false for an unknown id.
    https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutQueryDefinition.html
    """
    store: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def definitions(response: LogsResponse) -> dict[str, dict[str, Any]]:
        return store.setdefault((response.current_account, response.region), {})

    def put_query_definition(self: LogsResponse) -> str:
        params = json.loads(self.body)
        query_id = params.get("queryDefinitionId") or str(uuid.uuid4())
        definitions(self)[query_id] = {
            "queryDefinitionId": query_id,
            "name": params["name"],
            "queryString": params["queryString"],
            "logGroupNames": params.get("logGroupNames", []),
            "lastModified": int(time.time() * 1000),
        }
        return json.dumps({"queryDefinitionId": query_id})

    def describe_query_definitions(self: LogsResponse) -> str:
        prefix = json.loads(self.body).get("queryDefinitionNamePrefix", "")
        found = [d for d in definitions(self).values() if d["name"].startswith(prefix)]
        return json.dumps({"queryDefinitions": found})

    def delete_query_definition(self: LogsResponse) -> str:
        query_id = json.loads(self.body)["queryDefinitionId"]
        return json.dumps({"success": definitions(self).pop(query_id, None) is not None})

    LogsResponse.put_query_definition = put_query_definition  # type: ignore[attr-defined]
    LogsResponse.describe_query_definitions = describe_query_definitions  # type: ignore[attr-defined]
    LogsResponse.delete_query_definition = delete_query_definition  # type: ignore[attr-defined]


def _sqs_redrive_attributes_as_aws_answers() -> None:
    """GetQueueAttributes answers RedriveAllowPolicy when it is set, and both redrive policies as
    compact JSON, as SQS does
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html).
    moto stores RedriveAllowPolicy but never answers it, so the AWS provider waits for it to
    read back forever; it answers RedrivePolicy with spaces, which the next plan shows as a
    change."""
    if "RedriveAllowPolicy" in Queue.BASE_ATTRIBUTES:
        return  # applied already
    original = cast("property", Queue.__dict__["attributes"]).fget
    if original is None:
        raise RuntimeError("moto's Queue.attributes is no longer a property")
    # A name GetQueueAttributes accepts, unset (None) on a queue that has none.
    Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    Queue.redrive_allow_policy = None  # type: ignore[attr-defined]

    def attributes(self: Queue) -> dict[str, Any]:
        result: dict[str, Any] = original(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        allow = result.pop("RedriveAllowPolicy", None)
        if allow:
            document = json.loads(allow) if isinstance(allow, str) else allow
            result["RedriveAllowPolicy"] = json.dumps(document, separators=(",", ":"))
        return result

    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]


_CHECKSUM_HEADER = "x-amz-checksum-"
_NOT_A_CHECKSUM = frozenset(
    {"x-amz-checksum-mode", "x-amz-checksum-type", "x-amz-checksum-algorithm"}
)
_CHECKED_ALGORITHMS = frozenset({"CRC32", "SHA1", "SHA256"} | ({"CRC64NVME"} if HAS_CRT else set()))
"""What moto computes as S3 does: its CRC64NVME needs awscrt (a dependency of this package) and
its CRC32C the crc32c library (not one), else it computes a CRC32 in their place."""


class BadDigestError(S3ClientError):
    def __init__(self, algorithm: str) -> None:
        super().__init__(
            "BadDigest", f"The {algorithm} you specified did not match the calculated checksum."
        )


def _sent_checksums(headers: Any) -> dict[str, str]:
    """The x-amz-checksum-<algorithm> headers of a request: algorithm -> base64 value."""
    return {
        name.lower().removeprefix(_CHECKSUM_HEADER).upper(): str(value)
        for name, value in headers.items()
        if name.lower().startswith(_CHECKSUM_HEADER) and name.lower() not in _NOT_A_CHECKSUM
    }


def _s3_checks_the_checksums_it_is_sent() -> None:
    """S3 recomputes the checksum a PutObject or UploadPart sends in an x-amz-checksum-<algorithm>
    header, refuses the request when it differs (400 BadDigest), and stores a PutObject's with the
    object even without x-amz-sdk-checksum-algorithm beside it; a FULL_OBJECT
    CompleteMultipartUpload's checksum must be that of the whole object
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html). moto
    takes any value, stores a PutObject's only with x-amz-sdk-checksum-algorithm, and ignores a
    completion's (it stores the one it computes)."""
    if getattr(S3Response, "_localcloud_checksums", False):
        return  # applied already
    original_get = S3Response._get_checksum
    original_put = S3Response.put_object
    original_part = S3Response.upload_part
    original_post = S3Response._key_response_post

    def check_body(self: S3Response) -> None:
        for algorithm, sent in _sent_checksums(self.headers).items():
            if algorithm not in _CHECKED_ALGORITHMS:
                continue
            if compute_checksum(self.body or b"", algorithm).decode() != sent:
                raise BadDigestError(algorithm)

    def get_checksum(self: S3Response, response_headers: dict[str, Any]) -> tuple[str, str | None]:
        if not self.headers.get("x-amz-sdk-checksum-algorithm"):
            sent = _sent_checksums(self.headers)
            if len(sent) == 1:
                [(algorithm, value)] = sent.items()
                response_headers[f"{_CHECKSUM_HEADER}{algorithm.lower()}"] = value
                return algorithm, value
        return original_get(self, response_headers)

    def put_object(self: S3Response) -> Any:
        check_body(self)
        return original_put(self)

    def upload_part(self: S3Response) -> Any:
        check_body(self)
        return original_part(self)

    def key_response_post(self: S3Response, *arguments: Any) -> Any:
        request, body, bucket_name, query, _key_name = arguments
        sent = _sent_checksums(request.headers).get("CRC64NVME")
        upload_id = (query.get("uploadId") or [None])[0]
        full_object = request.headers.get("x-amz-checksum-type", "").upper() == "FULL_OBJECT"
        if sent and upload_id and full_object and "CRC64NVME" in _CHECKED_ALGORITHMS:
            multipart = self.backend.get_bucket(bucket_name).multiparts.get(upload_id)
            if multipart is not None:
                listed = [number for number, _ in self._complete_multipart_body(body)]
                whole = b"".join(multipart.parts[n].value for n in listed if n in multipart.parts)
                if compute_checksum(whole, "CRC64NVME").decode() != sent:
                    raise BadDigestError("CRC64NVME")
        return original_post(self, *arguments)

    S3Response._get_checksum = get_checksum  # type: ignore[method-assign]
    S3Response.put_object = put_object  # type: ignore[method-assign]
    S3Response.upload_part = upload_part  # type: ignore[method-assign]
    S3Response._key_response_post = key_response_post  # type: ignore[method-assign,assignment]
    S3Response._localcloud_checksums = True  # type: ignore[attr-defined]


def apply() -> None:
    """Apply every patch; the emulator process calls this once, before serving."""
    _sqs_redrive_attributes_as_aws_answers()
    _escape_rest_api_policy()
    _bucket_policy_conditions_do_not_deny()
    _lambda_concurrency_quota()
    _usage_plan_patches_keep_numbers()
    _logs_query_definitions()
    _s3_checks_the_checksums_it_is_sent()
