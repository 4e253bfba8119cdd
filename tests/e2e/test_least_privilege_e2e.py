"""Least privilege, read from `terraform show -json` of the stack deployed on the local cloud.

The state holds every policy as deployed, with ARNs resolved. One test audits all of them
generically, so a broad grant added anywhere fails it; the others pin each document's exact content.
The last test plans infra/bootstrap on the same emulator and checks the trust of every role in it.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from localcloud.iam.audit import (
    Document,
    Grant,
    as_list,
    attached_managed_policies,
    broad_grants,
    documents,
    managed,
    trust_problems,
    unexpected_lint_findings,
)
from randfile_localcloud.cloud import Cloud
from randfile_localcloud.settings import (
    DATA_ACCOUNT_ID,
    DEPLOY_ROLE,
    REGION,
    STACK,
    WORKLOAD_ACCOUNT_ID,
)
from tests.e2e.test_bootstrap_e2e import OIDC_HOST, bootstrap_copy, variables

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_traffic")]

FUNCTION_POLICY = "module.function.aws_iam_role_policy.this"
FUNCTION_ROLE = "module.function.aws_iam_role.this"
KMS_KEY = "module.data_bucket.aws_kms_key.this[0]"
ALARM_KEY = "module.monitoring.aws_kms_key.alarms"
BUCKET_POLICY = "module.data_bucket.aws_s3_bucket_policy.this"
API_POLICY = "module.api.aws_api_gateway_rest_api_policy.this"
ROUTES = {
    "post_files": "POST/files",
    "get_job": "GET/files/*",
    "post_datasets": "POST/datasets",
    "get_dataset": "GET/datasets/*",
}
"""The API's routes (by their key in infra/modules/api's `routes`), as execute-api ARNs end."""
WORKLOAD_ROOT = f"arn:aws:iam::{WORKLOAD_ACCOUNT_ID}:root"
DATA_ROOT = f"arn:aws:iam::{DATA_ACCOUNT_ID}:root"


# Every broad grant the deployed stack may hold. Anything else fails the audit, and so does an
# entry here that the stack no longer needs.
ALLOWED_BROAD_GRANTS = {
    # X-Ray's trace APIs have no resource-level permissions: AWS requires Resource "*".
    Grant(FUNCTION_POLICY, "SendTraces", "Resource", "*"),
    # In a key policy Resource "*" means this key and nothing else. The data account's root holds
    # kms:* so the key stays manageable through IAM (AWS's default key policy; without it a key
    # can become unmanageable). Both keys take these statements from infra/modules/_kms-key-policy.
    Grant(KMS_KEY, "AccountAdministers", "Action", "kms:*"),
    Grant(KMS_KEY, "AccountAdministers", "Resource", "*"),
    Grant(KMS_KEY, "WriterUsesKeyThroughS3", "Resource", "*"),
    Grant(KMS_KEY, "KeyAdministrators", "Resource", "*"),
    # The alarm topic's key: the same root statement, and the key actions SNS performs for
    # CloudWatch, as AWS's compatibility page writes them (GenerateDataKey*).
    # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    Grant(ALARM_KEY, "AccountAdministers", "Action", "kms:*"),
    Grant(ALARM_KEY, "AccountAdministers", "Resource", "*"),
    Grant(ALARM_KEY, "CloudWatchAlarmsPublish", "Action", "kms:GenerateDataKey*"),
    Grant(ALARM_KEY, "CloudWatchAlarmsPublish", "Resource", "*"),
}


@pytest.fixture(scope="module")
def state(local: Cloud) -> dict[str, Any]:
    return STACK.show(local.paths)


@pytest.fixture(scope="module")
def deployed(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Managed resources' values by address."""
    return {address: resource["values"] for address, resource in managed(state).items()}


def _of_type(state: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {
        address: resource["values"]
        for address, resource in managed(state).items()
        if resource["type"] == resource_type
    }


def _route_address(resource_type: str, route: str) -> str:
    """The address of a route's instance of one of the api module's per-route resources."""
    return f'module.api.{resource_type}.this["{route}"]'


def _document(state: dict[str, Any], address: str, attribute: str = "policy") -> Document:
    found = [d for d in documents(state) if (d.address, d.attribute) == (address, attribute)]
    assert len(found) == 1, f"no policy document at {address}.{attribute}"
    return found[0]


def _parsed(document: Any) -> Any:
    # IAM's API returns documents URL-encoded; boto3 decodes them into dicts, moto may not.
    return json.loads(urllib.parse.unquote(document)) if isinstance(document, str) else document


def _actions(statement: dict[str, Any]) -> set[str]:
    return set(as_list(statement["Action"]))


def _sids(document: Document) -> list[str]:
    return sorted(str(statement.get("Sid")) for statement in document.statements())


def test_no_policy_grants_more_than_the_allowed_wildcards(state: dict[str, Any]) -> None:
    found = documents(state)
    grants = {grant for document in found for grant in broad_grants(document)}

    # The audit saw the documents it must see (a change of state format would otherwise pass it).
    assert {(d.address, d.attribute) for d in found} >= {
        (FUNCTION_POLICY, "policy"),
        (FUNCTION_ROLE, "assume_role_policy"),
        (KMS_KEY, "policy"),
        (BUCKET_POLICY, "policy"),
        (API_POLICY, "policy"),
    }
    assert grants - ALLOWED_BROAD_GRANTS == set(), "broad grants not in the allow-list"
    assert ALLOWED_BROAD_GRANTS - grants == set(), "allow-list entries the stack no longer needs"


def test_no_stack_role_has_a_managed_policy(
    local: Cloud, state: dict[str, Any], deployed: dict[str, dict[str, Any]]
) -> None:
    """API Gateway's account-wide logging role is infra/bootstrap's, not the stack's."""
    function_role = deployed[FUNCTION_ROLE]["name"]

    assert attached_managed_policies(state) == set()
    assert [v["name"] for v in _of_type(state, "aws_iam_role").values()] == [function_role]
    inline = [values["role"] for values in _of_type(state, "aws_iam_role_policy").values()]
    assert inline == [function_role]
    assert _of_type(state, "aws_api_gateway_account") == {}
    # IAM agrees: nothing attached outside Terraform's view.
    iam = local.workload().iam()
    assert iam.list_attached_role_policies(RoleName=function_role)["AttachedPolicies"] == []


def test_the_function_role_writes_only_under_the_prefix_its_key_and_its_logs(
    local: Cloud,
    state: dict[str, Any],
    deployed: dict[str, dict[str, Any]],
    outputs: dict[str, Any],
) -> None:
    policy = _document(state, FUNCTION_POLICY)
    log_group = deployed["module.function.aws_cloudwatch_log_group.this"]["arn"]
    worker_log_group = deployed["module.function.aws_cloudwatch_log_group.worker"]["arn"]
    bucket_arn = f"arn:aws:s3:::{outputs['bucket_name']}"
    prefix = f"arn:aws:logs:{REGION}:{WORKLOAD_ACCOUNT_ID}:log-group:/aws/lambda/"

    assert log_group == f"{prefix}{outputs['function_name']}"
    assert worker_log_group == f"{prefix}{outputs['worker_function_name']}"
    assert outputs["kms_key_arn"] == deployed[KMS_KEY]["arn"]
    assert _sids(policy) == [
        "KeepJobs",
        "ListOwnUploads",
        "QueueJobs",
        "ReadBackUnderPrefix",
        "ReceiveJobs",
        "SendTraces",
        "UseBucketKey",
        "WriteOwnLogs",
        "WriteUnderPrefix",
    ]
    jobs_queue = deployed["module.function.aws_sqs_queue.jobs"]["arn"]
    dead_letter_queue = deployed["module.function.aws_sqs_queue.jobs_dead_letter"]["arn"]
    expected = {
        "WriteUnderPrefix": (
            {"s3:PutObject", "s3:AbortMultipartUpload"},
            [f"{bucket_arn}/{outputs['key_prefix']}*"],
        ),
        "ReadBackUnderPrefix": ({"s3:GetObject"}, [f"{bucket_arn}/{outputs['key_prefix']}*"]),
        "UseBucketKey": ({"kms:GenerateDataKey", "kms:Decrypt"}, [outputs["kms_key_arn"]]),
        "WriteOwnLogs": (
            {"logs:CreateLogStream", "logs:PutLogEvents"},
            [f"{log_group}:*", f"{worker_log_group}:*"],
        ),
        "SendTraces": ({"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, ["*"]),
        "KeepJobs": (
            {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"},
            [deployed["module.function.aws_dynamodb_table.jobs"]["arn"]],
        ),
        "QueueJobs": ({"sqs:SendMessage"}, [jobs_queue]),
        "ReceiveJobs": (
            {
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            },
            sorted([jobs_queue, dead_letter_queue]),
        ),
        "ListOwnUploads": ({"s3:ListBucketMultipartUploads"}, [bucket_arn]),
    }
    for sid, (actions, resources) in expected.items():
        statement = policy.statement(sid)
        assert statement["Effect"] == "Allow", sid
        assert _actions(statement) == actions, sid
        assert sorted(as_list(statement["Resource"])) == sorted(resources), sid
        assert "Condition" not in statement, sid
    # IAM holds exactly this one inline policy on the role.
    iam = local.workload().iam()
    role = deployed[FUNCTION_ROLE]["name"]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [
        deployed[FUNCTION_POLICY]["name"]
    ]
    inline = iam.get_role_policy(RoleName=role, PolicyName=deployed[FUNCTION_POLICY]["name"])
    assert _parsed(inline["PolicyDocument"]) == policy.policy


def test_only_lambda_may_assume_the_function_role(state: dict[str, Any]) -> None:
    [statement] = _document(state, FUNCTION_ROLE, "assume_role_policy").statements()

    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert "Condition" not in statement


def test_the_bucket_policy_is_the_writer_grant_the_overwrite_deny_and_the_tls_deny(
    state: dict[str, Any], outputs: dict[str, Any]
) -> None:
    policy = _document(state, BUCKET_POLICY)
    bucket_arn = f"arn:aws:s3:::{outputs['bucket_name']}"
    under_prefix = [f"{bucket_arn}/{outputs['key_prefix']}*"]
    pinned = {"ArnEquals": {"aws:PrincipalArn": outputs["function_role_arn"]}}

    assert _sids(policy) == [
        "DenyInsecureTransport",
        "DenyWriterOverwrites",
        "WriterListsUploads",
        "WriterPutsUnderPrefix",
        "WriterReadsBackUnderPrefix",
    ]
    lister = policy.statement("WriterListsUploads")
    assert (lister["Effect"], lister["Principal"], lister["Condition"]) == (
        "Allow",
        {"AWS": WORKLOAD_ROOT},
        pinned,
    )
    assert (_actions(lister), as_list(lister["Resource"])) == (
        {"s3:ListBucketMultipartUploads"},
        [bucket_arn],
    )
    reader = policy.statement("WriterReadsBackUnderPrefix")
    assert (reader["Effect"], reader["Principal"], reader["Condition"]) == (
        "Allow",
        {"AWS": WORKLOAD_ROOT},
        pinned,
    )
    assert (_actions(reader), as_list(reader["Resource"])) == ({"s3:GetObject"}, under_prefix)
    writer = policy.statement("WriterPutsUnderPrefix")
    assert writer["Effect"] == "Allow"
    assert writer["Principal"] == {"AWS": WORKLOAD_ROOT}
    assert _actions(writer) == {"s3:PutObject", "s3:AbortMultipartUpload"}
    assert as_list(writer["Resource"]) == under_prefix
    assert writer["Condition"] == pinned

    overwrite = policy.statement("DenyWriterOverwrites")
    assert overwrite["Effect"] == "Deny"
    assert overwrite["Principal"] == {"AWS": WORKLOAD_ROOT}
    assert _actions(overwrite) == {"s3:PutObject"}
    assert as_list(overwrite["Resource"]) == under_prefix
    assert overwrite["Condition"] == {
        **pinned,
        "Null": {"s3:if-none-match": "true"},
        "Bool": {"s3:ObjectCreationOperation": "true"},
    }

    tls = policy.statement("DenyInsecureTransport")
    assert tls["Effect"] == "Deny"
    assert tls["Principal"] == "*"
    assert _actions(tls) == {"s3:*"}
    assert sorted(as_list(tls["Resource"])) == [bucket_arn, f"{bucket_arn}/*"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_key_policy_lets_the_writer_use_the_key_only_through_s3(
    state: dict[str, Any], outputs: dict[str, Any]
) -> None:
    policy = _document(state, KMS_KEY)

    assert _sids(policy) == [
        "AccountAdministers",
        "KeyAdministrators",
        "WriterUsesKeyThroughS3",
    ]
    admin = policy.statement("AccountAdministers")
    assert admin["Effect"] == "Allow"
    assert admin["Principal"] == {"AWS": DATA_ROOT}
    assert "Condition" not in admin
    # The role Terraform runs as administers the key through the key policy alone, and may not
    # use it on data: no Encrypt, Decrypt or GenerateDataKey.
    administrators = policy.statement("KeyAdministrators")
    assert administrators["Principal"] == {
        "AWS": f"arn:aws:iam::{DATA_ACCOUNT_ID}:role/{DEPLOY_ROLE}"
    }
    assert "kms:PutKeyPolicy" in _actions(administrators)
    assert not {a for a in _actions(administrators) if "crypt" in a or "GenerateDataKey" in a}
    writer = policy.statement("WriterUsesKeyThroughS3")
    assert writer["Effect"] == "Allow"
    assert writer["Principal"] == {"AWS": WORKLOAD_ROOT}
    assert _actions(writer) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert writer["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": outputs["function_role_arn"]},
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"},
    }


def test_only_the_listed_principals_may_invoke_only_the_api_s_routes(
    state: dict[str, Any], deployed: dict[str, dict[str, Any]], outputs: dict[str, Any]
) -> None:
    execution_arn = deployed["module.api.aws_api_gateway_rest_api.this"]["execution_arn"]
    assert execution_arn == (
        f"arn:aws:execute-api:{REGION}:{WORKLOAD_ACCOUNT_ID}:{outputs['rest_api_id']}"
    )
    [statement] = _document(state, API_POLICY).statements()

    assert statement["Effect"] == "Allow"
    assert _actions(statement) == {"execute-api:Invoke"}
    assert sorted(as_list(statement["Resource"])) == [
        f"{execution_arn}/{outputs['stage_name']}/{route}" for route in sorted(ROUTES.values())
    ]
    # api_invoke_principals is empty in the local environment: the workload account alone.
    assert statement["Principal"] == {"AWS": WORKLOAD_ROOT}
    assert "Condition" not in statement


def test_the_method_requires_iam_authorization_and_an_api_key(state: dict[str, Any]) -> None:
    methods = _of_type(state, "aws_api_gateway_method")

    assert sorted(methods) == sorted(_route_address("aws_api_gateway_method", r) for r in ROUTES)
    for name, route in ROUTES.items():
        method = methods[_route_address("aws_api_gateway_method", name)]
        assert method["http_method"] == route.split("/")[0]
        assert method["authorization"] == "AWS_IAM"
        assert method["api_key_required"] is True


def test_the_lambda_permissions_are_limited_to_the_routes_of_this_api(
    state: dict[str, Any], deployed: dict[str, dict[str, Any]], outputs: dict[str, Any]
) -> None:
    execution_arn = deployed["module.api.aws_api_gateway_rest_api.this"]["execution_arn"]
    permissions = _of_type(state, "aws_lambda_permission")

    assert sorted(permissions) == sorted(_route_address("aws_lambda_permission", r) for r in ROUTES)
    for name, source in ROUTES.items():
        permission = permissions[_route_address("aws_lambda_permission", name)]
        assert permission["action"] == "lambda:InvokeFunction"
        assert permission["principal"] == "apigateway.amazonaws.com"
        assert permission["function_name"] == outputs["function_name"]
        assert permission["source_arn"] == f"{execution_arn}/*/{source}"


@pytest.fixture(scope="module")
def bootstrap_plan(local: Cloud, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A saved plan of infra/bootstrap on the local cloud's emulator, as JSON.

    With the OIDC provider taken as existing, its ARN is derived from the account id, so every
    trust policy is known at plan time; otherwise they would only be known after apply.
    """
    root = bootstrap_copy(tmp_path_factory.mktemp("bootstrap-plan"))
    workdir = root.workdir
    (workdir / "localcloud_override.tf").write_text(STACK.override_file(local.endpoint_url))
    (workdir / "test.auto.tfvars.json").write_text(
        json.dumps(variables(create_oidc_provider=False))
    )
    root.run("init", "-lockfile=readonly")
    root.run("plan", "-out=bootstrap.tfplan")
    return root.show("bootstrap.tfplan")


def test_every_bootstrap_role_trusts_only_pinned_github_subjects_or_workload_roles(
    bootstrap_plan: dict[str, Any],
) -> None:
    roles = _of_type(bootstrap_plan, "aws_iam_role")
    trusts = [d for d in documents(bootstrap_plan) if d.attribute == "assume_role_policy"]
    principals = {
        trust.address: [statement["Principal"] for statement in trust.statements()]
        for trust in trusts
    }

    # Every role's trust is known at plan time, so none escapes the check.
    assert sorted(trust.address for trust in trusts) == sorted(roles)
    assert [
        p for trust in trusts for p in trust_problems(trust, OIDC_HOST, WORKLOAD_ACCOUNT_ID)
    ] == []
    # API Gateway's account-wide logging role trusts API Gateway; GitHub's OIDC provider and
    # workload roles are the only principals the CI roles trust.
    logging_role = principals.pop("aws_iam_role.api_gateway_logging")
    assert logging_role == [{"Service": "apigateway.amazonaws.com"}]
    assert {kind for found in principals.values() for p in found for kind in p} == {
        "Federated",
        "AWS",
    }


def test_parliament_finds_nothing_in_the_deployed_stack_policies(state: dict[str, Any]) -> None:
    found = documents(state)
    # Identity, trust, key, bucket and REST API policies are all linted.
    assert {d.address for d in found} >= {FUNCTION_POLICY, KMS_KEY, BUCKET_POLICY, API_POLICY}
    assert unexpected_lint_findings(found) == set()
