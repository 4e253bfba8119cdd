"""The whole system on its own local two-account cloud: deploy, call, check, re-plan, destroy.

The deployment is the session's `local` fixture (conftest.py), shared with the load and
least-privilege modules; the destroy test runs after all of them. The local cloud has its own port
and state directory, so a running `make demo` is untouched.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.iam import evaluator as policy
from localcloud.model import WiringError
from localcloud.state_moves import move_instances
from localcloud.terraform import Root
from randfile_localcloud.cloud import Cloud
from randfile_localcloud.settings import (
    CALLER_ROLE,
    DATA_ACCOUNT_ID,
    DEFAULT_ZIP,
    DEPLOY_ROLE,
    DOMAIN,
    LAMBDA_PYTHON,
    MEMBER_ACCESS_ROLE,
    STACK,
    STATE_BUCKET,
    STATE_KEY,
    TERRAFORM,
    WORKLOAD_ACCOUNT_ID,
)

# One deployment per worker serves every module of this group (conftest), so under pytest-xdist
# they stay on one worker (effective with --dist loadgroup).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud")]

# format -> (media type, file extension)
FORMATS = {
    "binary": ("application/octet-stream", ".bin"),
    "text": ("text/plain", ".txt"),
    "csv": ("text/csv", ".csv"),
    "jsonl": ("application/x-ndjson", ".jsonl"),
}


def _versions(local: Cloud, bucket: str) -> int:
    listed = local.data().s3().list_object_versions(Bucket=bucket)
    return len(listed.get("Versions", [])) + len(listed.get("DeleteMarkers", []))


def test_outputs_name_the_two_accounts(outputs: dict[str, Any]) -> None:
    assert outputs["workload_account_id"] == WORKLOAD_ACCOUNT_ID
    assert outputs["data_account_id"] == DATA_ACCOUNT_ID
    assert outputs["custom_domain_name"] == DOMAIN
    assert outputs["function_role_arn"].startswith(f"arn:aws:iam::{WORKLOAD_ACCOUNT_ID}:role/")


@pytest.mark.parametrize("file_format", FORMATS)
def test_every_format_lands_in_the_data_account(
    local: Cloud, outputs: dict[str, Any], file_format: str
) -> None:
    media_type, extension = FORMATS[file_format]
    size = 3000
    response = local.call(json.dumps({"size_bytes": size, "format": file_format}))

    assert response.status == 201, response.body
    reported = response.json()
    assert reported["format"] == file_format
    assert reported["content_type"].split(";")[0] == media_type
    assert reported["bucket"] == outputs["bucket_name"]
    assert reported["key"].startswith(outputs["key_prefix"])
    assert reported["key"].endswith(extension)
    stored = local.verify(response)
    assert stored.owner_account == DATA_ACCOUNT_ID
    assert stored.size_bytes == size
    assert stored.sha256 == reported["sha256"]
    # S3 keeps the full-object CRC64NVME the function sent, and answers it on HEAD in checksum mode.
    head = (
        local.data().s3().head_object(Bucket=stored.bucket, Key=stored.key, ChecksumMode="ENABLED")
    )
    assert head["ContentType"] == reported["content_type"]
    assert head["ChecksumCRC64NVME"] == reported["checksum_crc64nvme"]


def test_the_route_is_the_deployed_wiring(local: Cloud, outputs: dict[str, Any]) -> None:
    response = local.call(json.dumps({"size_bytes": 10, "format": "text"}))
    route = response.route

    assert route.rest_api_id == outputs["rest_api_id"]
    assert route.stage_name == outputs["stage_name"]
    assert route.authorization_type == "AWS_IAM"
    assert route.api_key_id == outputs["api_key_id"]
    assert route.function.name == outputs["function_name"]
    assert route.function.role_arn == outputs["function_role_arn"]
    assert route.function.handler == "randfile.handler.handler"
    # python-version names the runtime once: Terraform deployed it and the function ran on it
    # (make test needs that Python anyway, for test-unit-runtime).
    assert route.function.runtime == f"python{LAMBDA_PYTHON}"
    assert response.interpreter.runs(LAMBDA_PYTHON), response.interpreter
    assert route.function.environment["RANDFILE_BUCKET"] == outputs["bucket_name"]
    assert route.function.environment["RANDFILE_BUCKET_OWNER"] == DATA_ACCOUNT_ID


@pytest.mark.parametrize(
    "body",
    [
        '{"size_bytes": -1, "format": "csv"}',
        '{"size_bytes": 2048, "format": "pdf"}',
        '{"size_bytes": 104857601, "format": "binary", "mode": "sync"}',
        "not json",
    ],
)
def test_a_bad_request_is_a_4xx_and_writes_nothing(
    local: Cloud, outputs: dict[str, Any], body: str
) -> None:
    before = _versions(local, outputs["bucket_name"])

    response = local.call(body)

    assert 400 <= response.status < 500, response.body
    assert "error" in response.json()
    assert _versions(local, outputs["bucket_name"]) == before


@contextlib.contextmanager
def _mapping_to_decoy_api(local: Cloud, outputs: dict[str, Any]) -> Iterator[str]:
    """The domain's mapping re-pointed at another REST API, put back afterwards."""
    apigateway = local.workload().apigateway()
    decoy = apigateway.create_rest_api(name="decoy")["id"]
    apigateway.delete_base_path_mapping(domainName=DOMAIN, basePath="(none)")
    apigateway.create_base_path_mapping(domainName=DOMAIN, restApiId=decoy)
    try:
        yield decoy
    finally:
        apigateway.delete_base_path_mapping(domainName=DOMAIN, basePath="(none)")
        apigateway.create_base_path_mapping(
            domainName=DOMAIN, restApiId=outputs["rest_api_id"], stage=outputs["stage_name"]
        )
        apigateway.delete_rest_api(restApiId=decoy)


@contextlib.contextmanager
def _permission_for_another_api(local: Cloud, outputs: dict[str, Any]) -> Iterator[str]:
    """The function's API Gateway permission scoped to a different API id, put back afterwards."""
    lambda_ = local.workload().lambda_()
    function = outputs["function_name"]
    statements = json.loads(lambda_.get_policy(FunctionName=function)["Policy"])["Statement"]
    # The permission the call below goes through: POST /files (GET /files/{job_id} has its own).
    (statement,) = [
        s for s in statements if s["Condition"]["ArnLike"]["AWS:SourceArn"].endswith("/POST/files")
    ]
    original = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    wrong = original.replace(outputs["rest_api_id"], "0000000000")
    lambda_.remove_permission(FunctionName=function, StatementId=statement["Sid"])

    def grant(source_arn: str) -> None:
        lambda_.add_permission(
            FunctionName=function,
            StatementId=statement["Sid"],
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn,
        )

    grant(wrong)
    try:
        yield wrong
    finally:
        lambda_.remove_permission(FunctionName=function, StatementId=statement["Sid"])
        grant(original)


@pytest.mark.parametrize(
    ("broken_link", "named"),
    [
        pytest.param(
            _mapping_to_decoy_api,
            lambda decoy: [f"REST API {decoy}"],
            id="a-mapping-to-the-wrong-api",
        ),
        pytest.param(
            _permission_for_another_api,
            lambda wrong: ["lambda permission", wrong],
            id="a-permission-with-the-wrong-source-arn",
        ),
    ],
)
def test_a_broken_link_is_named(
    local: Cloud,
    outputs: dict[str, Any],
    broken_link: Callable[[Cloud, dict[str, Any]], contextlib.AbstractContextManager[str]],
    named: Callable[[str], list[str]],
) -> None:
    """``broken_link`` breaks one link and yields what it broke it with; ``named`` is what the
    error must say about it."""
    before = _versions(local, outputs["bucket_name"])

    with broken_link(local, outputs) as broken, pytest.raises(WiringError) as raised:
        local.call('{"size_bytes": 10, "format": "text"}')

    message = str(raised.value)
    for part in named(broken):
        assert part in message
    assert _versions(local, outputs["bucket_name"]) == before


def test_a_zip_that_is_not_the_deployed_code_is_refused(local: Cloud, tmp_path: Path) -> None:
    other = tmp_path / "other.zip"
    other.write_bytes(DEFAULT_ZIP.read_bytes() + b"\0")
    stale = Cloud(local.paths, other)

    with pytest.raises(WiringError, match="is not the code deployed"):
        stale.call('{"size_bytes": 10, "format": "text"}')


def test_the_bucket_is_configured_as_deployed(local: Cloud, outputs: dict[str, Any]) -> None:
    s3 = local.data().s3()
    bucket = outputs["bucket_name"]

    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert [rule["ObjectOwnership"] for rule in ownership] == ["BucketOwnerEnforced"]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Expiration"]["Days"] > 0
    assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] > 0
    assert rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 1
    (encryption,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
        "Rules"
    ]
    assert encryption["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": outputs["kms_key_arn"],
    }
    assert encryption["BucketKeyEnabled"] is True


def test_the_bucket_policy_admits_only_the_function_role_under_the_prefix(
    local: Cloud, outputs: dict[str, Any]
) -> None:
    bucket = outputs["bucket_name"]
    document = local.data().s3().get_bucket_policy(Bucket=bucket)["Policy"]
    role = outputs["function_role_arn"]

    def put(
        key: str, principal: str, *, secure: bool = True, create_only: bool = True
    ) -> policy.Decision:
        context = {
            "aws:PrincipalArn": principal,
            "aws:SecureTransport": str(secure).lower(),
            "s3:ObjectCreationOperation": "true",
        }
        if create_only:
            context["s3:if-none-match"] = "*"
        return policy.evaluate(
            json.loads(document),
            policy.Request(
                principal=principal,
                action="s3:PutObject",
                resource=f"arn:aws:s3:::{bucket}/{key}",
                context=context,
            ),
        )

    prefix = outputs["key_prefix"]
    other_role = f"arn:aws:iam::{WORKLOAD_ACCOUNT_ID}:role/{CALLER_ROLE}"
    assert put(f"{prefix}x.csv", role).allowed
    assert not put("elsewhere/x.csv", role).allowed
    assert not put(f"{prefix}x.csv", other_role).allowed
    assert not put(f"{prefix}x.csv", role, secure=False).allowed
    assert not put(f"{prefix}x.csv", role, create_only=False).allowed


def test_the_state_lock_file_on_the_emulator_blocks_a_concurrent_run(local: Cloud) -> None:
    s3 = local.workload().s3()
    lock_key = f"{STATE_KEY}.tflock"
    # Conditional create, as Terraform takes the lock: fails if a finished run left a lock behind.
    s3.put_object(
        Bucket=STATE_BUCKET,
        Key=lock_key,
        Body=json.dumps({"ID": "e2e", "Operation": "OperationTypeApply", "Who": "e2e-test"}),
        IfNoneMatch="*",
    )
    try:
        result = STACK.run(
            local.paths,
            "plan",
            "-input=false",
            "-no-color",
            "-lock-timeout=0s",
            f"-var-file={local.paths.tfvars}",
            check=False,
        )
    finally:
        s3.delete_object(Bucket=STATE_BUCKET, Key=lock_key)

    assert result.returncode == 1
    assert "Error acquiring the state lock" in result.stderr + result.stdout


def test_a_reservation_a_new_account_cannot_grant_is_refused_at_plan_time(
    local: Cloud,
) -> None:
    # The emulator answers Service Quotas like a new account (10 concurrent executions), which the
    # defaults deployed on; the provider reads it through the real API call.
    result = STACK.run(
        local.paths,
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        f"-var-file={local.paths.tfvars}",
        "-var=function_reserved_concurrency=5",
        check=False,
    )
    output = " ".join((result.stdout + result.stderr).replace("\u2502", " ").split())

    assert result.returncode == 1
    assert "reserved_concurrency = 5 cannot be granted" in output
    assert "quota (Service Quotas L-B99A9384) is 10" in output
    assert "at most 0 can be reserved" in output


def _plan_changes(output: str) -> list[str]:
    """The plan's resource headers and changed attributes, i.e. what exactly would change."""
    pattern = re.compile(r"^\s*(# \S+ .*|[~+-] [a-z_]+\s+=.*)$")
    return [line.strip() for line in output.splitlines() if pattern.match(line)]


def test_a_second_plan_has_no_changes(local: Cloud) -> None:
    result = STACK.plan_exit_code(local.paths)

    assert result.returncode != 1, result.stderr
    assert result.returncode == 0, "\n".join(_plan_changes(result.stdout))


# The api module's per-route resources as they were declared before its routes became one map
# (old name -> route key), which infra/modules/api/moved.tf moves.
API_ROUTES_BEFORE_THE_MAP = {
    "aws_api_gateway_method": {
        "post": "post_files",
        "get_job": "get_job",
        "post_datasets": "post_datasets",
        "get_dataset": "get_dataset",
    },
    "aws_api_gateway_integration": {
        "lambda": "post_files",
        "get_job": "get_job",
        "post_datasets": "post_datasets",
        "get_dataset": "get_dataset",
    },
    "aws_lambda_permission": {
        "api": "post_files",
        "get_job": "get_job",
        "post_datasets": "post_datasets",
        "get_dataset": "get_dataset",
    },
}

# Every api module address moved.tf moves (current -> former): the routes' above, then the
# resource tree's and the stage's log groups', declared one by one before they became maps.
API_ADDRESSES_BEFORE_THE_MAPS = {
    **{
        f'{resource_type}.this["{route}"]': f"{resource_type}.{old}"
        for resource_type, routes in API_ROUTES_BEFORE_THE_MAP.items()
        for old, route in routes.items()
    },
    'aws_api_gateway_resource.collection["files"]': "aws_api_gateway_resource.files",
    'aws_api_gateway_resource.collection["datasets"]': "aws_api_gateway_resource.datasets",
    'aws_api_gateway_resource.item["job"]': "aws_api_gateway_resource.job",
    'aws_api_gateway_resource.item["dataset"]': "aws_api_gateway_resource.dataset",
    'aws_cloudwatch_log_group.stage["access"]': "aws_cloudwatch_log_group.access",
    'aws_cloudwatch_log_group.stage["execution"]': "aws_cloudwatch_log_group.execution",
}


def test_a_state_from_before_the_api_s_maps_moves_without_change(
    local: Cloud, tmp_path: Path
) -> None:
    """The deployed state, its api resources moved back to their former addresses (routes,
    resource tree, stage log groups), plans with the current configuration as moves alone:
    moved.tf covers every one, and nothing is replaced.

    On a copy of the stack with a local backend, so the shared deployment's state is untouched.
    """
    root = Root.copy(local.paths.working_copy, tmp_path / "infra", executable=TERRAFORM)
    stack = Root(root.workdir / STACK.root, executable=TERRAFORM)
    (stack.workdir / "localcloud_override.tf").write_text(STACK.override_file(local.endpoint_url))
    (stack.workdir / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    (stack.workdir / "terraform.tfstate").write_text(STACK.run(local.paths, "state", "pull").stdout)
    stack.run("init", "-input=false", "-no-color", "-lockfile=readonly")
    move_instances(
        stack.workdir / "terraform.tfstate",
        {
            f"module.api.{current}": f"module.api.{former}"
            for current, former in API_ADDRESSES_BEFORE_THE_MAPS.items()
        },
    )

    planned = stack.run(
        "plan", "-input=false", "-no-color", "-refresh=false", f"-var-file={local.paths.tfvars}"
    )

    changes = "\n".join(_plan_changes(planned.stdout))
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in planned.stdout, changes
    assert planned.stdout.count("has moved to") == 18, changes


# The modules take the default `aws` provider and the stack passes each call its account's
# configuration, so the state records every module resource under that root configuration, the
# address it had when the modules declared configuration_aliases: a stack deployed with either
# shape plans no change with the other (issue 15, checked by planning against main's state).
MODULE_ACCOUNTS = {
    "module.data_bucket": "data",
    "module.function": "workload",
    "module.api": "workload",
    "module.monitoring": "workload",
}


def test_the_state_records_each_module_under_its_accounts_provider(local: Cloud) -> None:
    state = json.loads(STACK.run(local.paths, "state", "pull").stdout)
    recorded = {
        (resource["module"], resource["provider"])
        for resource in state["resources"]
        if "module" in resource
    }
    assert recorded == {
        (module, f'provider["registry.terraform.io/hashicorp/aws"].{account}')
        for module, account in MODULE_ACCOUNTS.items()
    }


@pytest.mark.destroys_localcloud
def test_destroy_leaves_nothing_behind(local: Cloud, outputs: dict[str, Any]) -> None:
    local.destroy()

    workload, data = local.workload(), local.data()
    apigateway = workload.apigateway()
    assert apigateway.get_rest_apis()["items"] == []
    assert apigateway.get_domain_names()["items"] == []
    assert apigateway.get_usage_plans()["items"] == []
    assert apigateway.get_api_keys()["items"] == []
    assert workload.lambda_().list_functions()["Functions"] == []
    assert workload.acm().list_certificates()["CertificateSummaryList"] == []
    remaining_roles = {role["RoleName"] for role in workload.iam().list_roles()["Roles"]}
    assert remaining_roles <= {MEMBER_ACCESS_ROLE, DEPLOY_ROLE, CALLER_ROLE}
    zone_id = workload.route53().list_hosted_zones()["HostedZones"][0]["Id"]
    records = workload.route53().list_resource_record_sets(HostedZoneId=zone_id)
    assert {record["Type"] for record in records["ResourceRecordSets"]} == {"NS", "SOA"}
    assert data.s3().list_buckets().get("Buckets", []) == []
    kms = data.kms()
    assert [
        alias["AliasName"]
        for alias in kms.list_aliases()["Aliases"]
        if "randfile" in alias["AliasName"]
    ] == []
    key_states = {
        kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
        for key in kms.list_keys()["Keys"]
    }
    assert key_states <= {"PendingDeletion"}
    assert workload.logs().describe_log_groups()["logGroups"] == []
