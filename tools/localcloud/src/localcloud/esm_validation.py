"""What Lambda checks in CreateEventSourceMapping / UpdateEventSourceMapping for an SQS queue,
which moto does not check at all. Each refusal is AWS's exception and message:

- ScalingConfig.MaximumConcurrency in 2..1000: ValidationException (the API's range,
  https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html);
- BatchSize > 10 needs MaximumBatchingWindowInSeconds >= 1: InvalidParameterValueException
  "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
  (https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html, BatchSize;
  the message as AWS answers it: https://github.com/aws/chalice/issues/1778);
- the queue's visibility timeout must be >= the function's timeout:
  InvalidParameterValueException "Queue visibility timeout: 60 seconds is less than Function
  timeout: 120 seconds" (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html;
  the message: https://github.com/hashicorp/terraform-provider-aws/issues/18099,
  https://github.com/18F/identity-terraform/pull/27);
- the execution role must allow sqs:ReceiveMessage, sqs:DeleteMessage and sqs:GetQueueAttributes
  on the queue (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions):
  InvalidParameterValueException "The provided execution role does not have permissions to call
  ReceiveMessage on SQS". The AWS provider retries that one for IAM's eventual consistency, so a
  missing grant shows as a slow apply that then fails.

``problem`` is the pure decision; ``install`` puts it in front of moto's backend, deciding the
role's permissions with localcloud.iam (identity policies within the boundary, and the queue's
policy), as the authorizer does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from moto.awslambda.exceptions import InvalidParameterValueException, ValidationException

from localcloud import policy_store
from localcloud.authorizer import evaluate
from localcloud.iam.evaluator import Request
from localcloud.iam.requests import BASE_CONTEXT

# What Lambda's poller calls on the queue with the execution role, in the order it checks them.
REQUIRED_ACTIONS = ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
MAXIMUM_CONCURRENCY_RANGE = (2, 1000)
MAX_BATCH_WITHOUT_WINDOW = 10


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    # For ValidationException: the value and member AWS names.
    value: str = ""
    member: str = ""


def problem(
    spec: Mapping[str, Any],
    *,
    queue_visibility_seconds: int | None,
    function_timeout_seconds: int | None,
    role_allows: Callable[[str], bool] | None,
) -> Refusal | None:
    """Why Lambda refuses this mapping's settings; None when it accepts them. ``spec`` is the
    request's (or the merged, for an update); the other checks are skipped when their input is
    None (an update that changes neither queue nor function)."""
    maximum = (spec.get("ScalingConfig") or {}).get("MaximumConcurrency")
    if maximum is not None:
        low, high = MAXIMUM_CONCURRENCY_RANGE
        if int(maximum) < low:
            return Refusal(
                "ValidationException",
                f"Member must have value greater than or equal to {low}",
                str(maximum),
                "scalingConfig.maximumConcurrency",
            )
        if int(maximum) > high:
            return Refusal(
                "ValidationException",
                f"Member must have value less than or equal to {high}",
                str(maximum),
                "scalingConfig.maximumConcurrency",
            )
    batch_size = spec.get("BatchSize")
    window = spec.get("MaximumBatchingWindowInSeconds") or 0
    if batch_size is not None and int(batch_size) > MAX_BATCH_WITHOUT_WINDOW and int(window) < 1:
        return Refusal(
            "InvalidParameterValueException",
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10",
        )
    if (
        queue_visibility_seconds is not None
        and function_timeout_seconds is not None
        and queue_visibility_seconds < function_timeout_seconds
    ):
        return Refusal(
            "InvalidParameterValueException",
            f"Queue visibility timeout: {queue_visibility_seconds} seconds is less than Function "
            f"timeout: {function_timeout_seconds} seconds",
        )
    if role_allows is not None:
        for action in REQUIRED_ACTIONS:
            if not role_allows(action):
                return Refusal(
                    "InvalidParameterValueException",
                    f"The provided execution role does not have permissions to call {action} on "
                    "SQS",
                )
    return None


def role_allows(role_arn: str, queue_arn: str) -> Callable[[str], bool]:
    """Whether the role's policies (within its boundary) and the queue's policy allow an SQS
    action on the queue, as localcloud.authorizer decides a request."""
    identity = policy_store.identity_policies(role_arn)

    def allows(action: str) -> bool:
        request = Request(
            principal=role_arn,
            action=f"sqs:{action}",
            resource=queue_arn,
            context={
                **BASE_CONTEXT,
                "aws:PrincipalArn": [role_arn],
                "aws:PrincipalAccount": [role_arn.split(":")[4]],
                "aws:PrincipalType": ["AssumedRole"],
            },
        )
        return evaluate(request, identity).allowed

    return allows


def raise_refusal(refusal: Refusal | None) -> None:
    if refusal is None:
        return
    if refusal.code == "ValidationException":
        raise ValidationException(refusal.value, refusal.member, refusal.message)
    raise InvalidParameterValueException(refusal.message)
