"""The two member accounts as they exist before the stack: deploy roles, hosted zone, state bucket.

In real life these come from the organisation and from infra/bootstrap; here they are created
through the member-account access role, which moto lets the management account assume.
"""

from __future__ import annotations

import json

from localcloud.aws import Identities, Identity, role_arn
from randfile_localcloud.settings import (
    CALLER_ROLE,
    DATA_ACCOUNT_ID,
    DEPLOY_ROLE,
    HOSTED_ZONE,
    MANAGEMENT_ACCOUNT_ID,
    MEMBER_ACCESS_ROLE,
    REGION,
    STATE_BUCKET,
    WORKLOAD_ACCOUNT_ID,
)

_ADMINISTRATOR = "arn:aws:iam::aws:policy/AdministratorAccess"
# The longest session IAM allows; the caller's keys that `make demo` hands out last a work day.
MAX_SESSION_SECONDS = 12 * 60 * 60


def _trust_management_account() -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "sts:AssumeRole",
                    "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT_ACCOUNT_ID}:root"},
                }
            ],
        }
    )


def _ensure_role(member: Identity, name: str, policy_arn: str) -> None:
    iam = member.iam()
    existing = {role["RoleName"] for role in iam.list_roles()["Roles"]}
    if name not in existing:
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=_trust_management_account(),
            MaxSessionDuration=MAX_SESSION_SECONDS,
        )
    iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)


def _ensure_hosted_zone(workload: Identity) -> None:
    route53 = workload.route53()
    zones = route53.list_hosted_zones_by_name(DNSName=HOSTED_ZONE)["HostedZones"]
    if not any(zone["Name"] == f"{HOSTED_ZONE}." for zone in zones):
        route53.create_hosted_zone(Name=HOSTED_ZONE, CallerReference=f"localcloud-{HOSTED_ZONE}")


def _ensure_state_bucket(workload: Identity) -> None:
    s3 = workload.s3()
    if STATE_BUCKET not in {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(
            Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Enabled"})


def member(identities: Identities, account_id: str) -> Identity:
    """The member account as its administrator sees it."""
    return identities.assume(role_arn(account_id, MEMBER_ACCESS_ROLE), "localcloud-bootstrap")


def bootstrap(identities: Identities) -> None:
    """Create what the stack expects to exist already; safe to run again."""
    workload = member(identities, WORKLOAD_ACCOUNT_ID)
    data = member(identities, DATA_ACCOUNT_ID)
    for account in (workload, data):
        _ensure_role(account, DEPLOY_ROLE, _ADMINISTRATOR)
    # The caller needs nothing but execute-api:Invoke; the API's resource policy is what admits it.
    _ensure_role(workload, CALLER_ROLE, "arn:aws:iam::aws:policy/AmazonAPIGatewayInvokeFullAccess")
    _ensure_hosted_zone(workload)
    _ensure_state_bucket(workload)
