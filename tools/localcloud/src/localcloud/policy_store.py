"""The policies AWS would evaluate for a request, read in-process from moto's backends.

A role's identity policies (inline and attached managed) and its permissions boundary; the
resource-based policy of an S3 bucket, a KMS key, a DynamoDB table or an SQS queue, with the
account that owns the resource; the KMS key S3 uses for an object under SSE-KMS. moto stores all
of these and evaluates none of them the way AWS does: localcloud.authorizer does, with them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.iam.exceptions import NotFoundException
from moto.iam.models import iam_backends
from moto.kms.models import kms_backends
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends

PARTITION = "aws"
Document = Mapping[str, Any]


def _parsed(document: Any) -> dict[str, Any]:
    if isinstance(document, bytes):
        document = document.decode()
    parsed: dict[str, Any] = json.loads(document) if isinstance(document, str) else document
    return parsed


@dataclass(frozen=True)
class IdentityPolicies:
    policies: list[dict[str, Any]]
    # None: the role has no permissions boundary.
    boundary: list[dict[str, Any]] | None


def _managed_document(account_id: str, arn: str) -> dict[str, Any]:
    policy = iam_backends[account_id][PARTITION].get_policy(arn)
    default = next(v for v in policy.versions if v.version_id == policy.default_version_id)
    return _parsed(default.document)


def identity_policies(role_arn: str) -> IdentityPolicies:
    """The role's inline and attached managed policies, and its permissions boundary."""
    account_id = role_arn.split(":")[4]
    role = iam_backends[account_id][PARTITION].get_role_by_arn(role_arn)
    policies = [_parsed(document) for document in role.policies.values()]
    policies += [_managed_document(account_id, arn) for arn in role.managed_policies]
    boundary_arn = role.permissions_boundary_arn
    boundary = [_managed_document(account_id, boundary_arn)] if boundary_arn else None
    return IdentityPolicies(policies, boundary)


def trusts_service(role_arn: str, service: str) -> bool:
    """Whether the role's trust policy names ``service`` (e.g. lambda.amazonaws.com)."""
    account_id = role_arn.split(":")[4]
    try:
        role = iam_backends[account_id][PARTITION].get_role_by_arn(role_arn)
    except NotFoundException:
        # moto issues keys for roles that do not exist (the member-account access role).
        return False
    trust = _parsed(role.assume_role_policy_document)
    statements = trust.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        services = principal.get("Service", []) if isinstance(principal, Mapping) else []
        if service in (services if isinstance(services, list) else [services]):
            return True
    return False


@dataclass(frozen=True)
class ResourcePolicy:
    account_id: str | None
    documents: list[dict[str, Any]]
    # KMS keys: the key policy must allow, whatever the identity policies say.
    required: bool = False


def _bucket_owner(bucket: str) -> str | None:
    owner = s3_backends.bucket_accounts.get(bucket)
    return owner[1] if owner else None


def _bucket(bucket: str) -> Any:
    account_id = _bucket_owner(bucket)
    if account_id is None:
        return None
    return s3_backends[account_id][PARTITION].buckets.get(bucket)


def _s3(resource: str) -> ResourcePolicy:
    name = resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    found = _bucket(name)
    documents = [_parsed(found.policy)] if found is not None and found.policy else []
    return ResourcePolicy(_bucket_owner(name), documents)


def _kms(resource: str) -> ResourcePolicy:
    account_id, region = resource.split(":")[4], resource.split(":")[3]
    backend = kms_backends[account_id][region]
    key = backend.keys.get(resource.rsplit("/", 1)[-1])
    return ResourcePolicy(account_id, [_parsed(key.policy)] if key is not None else [], True)


def _dynamodb(resource: str) -> ResourcePolicy:
    account_id, region = resource.split(":")[4], resource.split(":")[3]
    table = resource.split("/index/", 1)[0].split("/stream/", 1)[0]
    policy = dynamodb_backends[account_id][region].resource_policies.get(table)
    return ResourcePolicy(account_id, [_parsed(policy.policy_doc)] if policy else [])


def _sqs(resource: str) -> ResourcePolicy:
    _, _, _, region, account_id, name = resource.split(":", 5)
    queue = sqs_backends[account_id][region].queues.get(name)
    policy = queue.policy if queue is not None else None
    return ResourcePolicy(account_id, [_parsed(policy)] if policy else [])


def resource_policy(resource: str) -> ResourcePolicy:
    """The resource-based policy on ``resource`` (an ARN), with its owner's account.

    Resources of other services, or named by "*", have none here: the resource's account is then
    the one in its ARN, or the caller's.
    """
    if resource.startswith("arn:aws:s3:::"):
        return _s3(resource)
    parts = resource.split(":")
    if resource.startswith("arn:aws:kms:") and parts[5].startswith("key/"):
        return _kms(resource)
    if resource.startswith("arn:aws:dynamodb:"):
        return _dynamodb(resource)
    if resource.startswith("arn:aws:sqs:"):
        return _sqs(resource)
    return ResourcePolicy(parts[4] if len(parts) > 4 and parts[4] else None, [])


def _kms_key_of_rule(encryption: Any) -> str | None:
    rules = encryption.get("Rule", []) if isinstance(encryption, Mapping) else []
    for rule in rules if isinstance(rules, list) else [rules]:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") == "aws:kms":
            # No key id: the AWS managed key aws/s3, whose policy lets S3 use it for the account.
            key = default.get("KMSMasterKeyID")
            return str(key) if key else None
    return None


def s3_kms_key(region: str, bucket: str, key: str | None, requested: str | None) -> str | None:
    """The ARN of the customer managed KMS key S3 uses for an object: the one the request names,
    else the object's own (reads), else the bucket's default encryption key; None for none."""
    found = _bucket(bucket)
    if found is None:
        return None
    chosen = requested
    if chosen is None and key is not None and key in found.keys:
        stored = found.keys[key]
        chosen = stored.kms_key_id if stored.encryption == "aws:kms" else None
        if stored.encryption != "aws:kms":
            return None
    if chosen is None:
        chosen = _kms_key_of_rule(found.encryption)
    if chosen is None:
        return None
    return _key_arn(chosen, region, _bucket_owner(bucket) or "")


def _key_arn(key: str, region: str, account_id: str) -> str:
    if key.startswith("arn:") and ":key/" in key:
        return key
    if key.startswith("arn:") and ":alias/" in key:
        account_id, region = key.split(":")[4], key.split(":")[3]
    backend = kms_backends[account_id][region]
    return f"arn:aws:kms:{region}:{account_id}:key/{backend.any_id_to_key_id(key)}"
