"""Two environments in one account pair: no CI role of one reaches anything of the other.

infra/bootstrap is applied for dev and prod into one workload and one data account, then each
environment's stack is applied with its own apply roles, as the pipeline does. Then every CI role
of each environment (pull request, plan, apply; both accounts) tries to read, change, delete and
re-tag each of the other environment's resources: the API, its stage and deployment, the usage
plan and API key, the certificate and domain, the functions, the role, the log groups, the table,
the queue, the topic, the alarms, the dashboard, the query definitions, the bucket and the keys.

moto enforces no IAM, so each attempt is the request botocore's models describe, mapped to the
authorizations AWS performs (localcloud.iam.requests) and evaluated against the policies the
bootstrap put on the role, with the resources' key and bucket policies (localcloud.iam.evaluator):
each must be refused. The
same attempts by the resource's own apply role, where the stack needs them, must be allowed, so
a refusal is the other environment's and not a test that cannot pass.
"""

from __future__ import annotations

import concurrent.futures
import json
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from localcloud.iam.audit import managed
from localcloud.iam.evaluator import decide
from localcloud.iam.requests import Call, World, authorizations
from randfile_localcloud.settings import (
    DOMAIN,
    HOSTED_ZONE,
    REGION,
    WORKLOAD_ACCOUNT_ID,
)
from tests.e2e.test_ci_roles_e2e import (
    bootstrapped_emulator,
    ci_stack_copy,
    resource_policy_for,
    role_policies,
    terraform,
    tfvars_file,
    world_of,
)

# A group of its own (two bootstrapped environments, about 3 minutes alone): beside the bootstrap's
# group it would make that one the suite's longest chain; make test gives each group a worker.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("isolation")]

ENVIRONMENTS = ("dev", "prod")
DOMAINS = {"dev": DOMAIN, "prod": f"prod.{HOSTED_ZONE}"}
# Workload roles per environment, and the data roles they assume (pull requests use the plan one).
WORKLOAD_MODES = ("pr", "plan", "apply")
DATA_MODES = ("plan", "apply")


@dataclass
class SharedPair:
    states: dict[str, dict[str, Any]]
    bootstrap: dict[str, Any]
    policies: dict[str, list[dict[str, Any]]]
    world: World
    resource_policies: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Attempt:
    """One request against an environment's resource. ``owner_may``: the stack needs it, so the
    resource's own apply role must be allowed it."""

    name: str
    account: str  # "workload" or "data"
    service: str
    operation: str
    params: Mapping[str, Any] = field(default_factory=dict)
    method: str = "POST"
    path: str = "/"
    owner_may: bool = False

    def call(self, principal: str) -> Call:
        return Call(
            principal=principal,
            service=self.service,
            region=REGION,
            operation=self.operation,
            params=self.params,
            method=self.method,
            path=self.path,
            status=200,
        )


@dataclass(frozen=True)
class StackApply:
    """One environment's stack applied as its apply role, as its pipeline's apply job does."""

    stack_dir: Path
    backend: Path
    var_file_argument: str
    credentials: Mapping[str, str]

    def apply_and_show(self) -> dict[str, Any]:
        """init, apply; the state as `terraform show -json` gives it."""
        terraform(
            self.stack_dir,
            self.credentials,
            "init",
            "-input=false",
            f"-backend-config={self.backend}",
        )
        terraform(
            self.stack_dir,
            self.credentials,
            "apply",
            "-input=false",
            "-auto-approve",
            self.var_file_argument,
        )
        shown: dict[str, Any] = json.loads(
            terraform(self.stack_dir, self.credentials, "show", "-json").stdout
        )
        return shown


@pytest.fixture(scope="module")
def shared_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedPair]:
    state_dir = tmp_path_factory.mktemp("isolation")
    # A raised Lambda quota, so both stacks may reserve concurrency as tfvars_file asks.
    with bootstrapped_emulator(
        state_dir,
        environments=list(ENVIRONMENTS),
        api_domain_names=DOMAINS,
        unscoped_permissions=[],
    ) as (running, management, _, outputs):
        applies = {}
        for env in ENVIRONMENTS:
            stack_dir, backend = ci_stack_copy(
                state_dir / env, running.endpoint_url, f"randfile/{env}/terraform.tfstate"
            )
            variables = tfvars_file(
                state_dir / env / "apply.tfvars.json",
                outputs["data_apply_role_arns"][env],
                {
                    **outputs["stack_inputs"][env],
                    "environment": env,
                    "domain_name": DOMAINS[env],
                    # What a shared pair must leave out (the bootstrap grants no unscoped action).
                    "alarm_subscriptions": [],
                    "create_query_definitions": False,
                },
            )
            apply_role = outputs["workload_apply_role_arns"][env]
            credentials = management.assume(apply_role, f"github-{env}").credentials
            applies[env] = StackApply(stack_dir, backend, variables, credentials.as_environment())
        # Both environments at once, as their pipelines may run: most of an apply is the AWS
        # provider's fixed waits (an S3 lifecycle configuration's 55 s, a queue's 27 s), so the
        # second one's overlap the first's instead of following them (docs/performance.md).
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(applies)) as pool:
            shown = {env: pool.submit(each.apply_and_show) for env, each in applies.items()}
            states = {env: future.result() for env, future in shown.items()}
        world, resource_policies = world_of(*states.values())
        roles = [
            outputs[f"workload_{mode}_role_arns"][env]
            for env in ENVIRONMENTS
            for mode in WORKLOAD_MODES
        ] + [outputs[f"data_{mode}_role_arns"][env] for env in ENVIRONMENTS for mode in DATA_MODES]
        yield SharedPair(
            states, outputs, role_policies(management, roles), world, resource_policies
        )


def _values(state: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    found = [r["values"] for r in managed(state).values() if r["type"] == resource_type]
    assert found, f"the stack has no {resource_type}"
    return found


def _one(state: dict[str, Any], resource_type: str, **match: str) -> dict[str, Any]:
    [values] = [v for v in _values(state, resource_type) if match.items() <= v.items()]
    return values


def _apigateway(name: str, method: str, path: str, owner_may: bool, **body: Any) -> Attempt:
    return Attempt(name, "workload", "apigateway", name, body, method, path, owner_may)


def _tags_path(arn: str) -> str:
    return "/tags/" + urllib.parse.quote(arn, safe="")


def _workload_requests(
    service: str, params: dict[str, Any], operations: list[tuple[str, bool]]
) -> list[Attempt]:
    """``service``'s ``operations`` on one workload resource, which ``params`` name; each with
    whether the resource's owner may do it."""
    return [
        Attempt(service, "workload", service, op, params, owner_may=may) for op, may in operations
    ]


def attempts(state: dict[str, Any], intruder: str) -> list[Attempt]:
    """Reads, changes, deletions and re-tags of every resource of ``state``'s environment;
    ``intruder`` is the environment whose tag a re-tag would set."""
    api = _one(state, "aws_api_gateway_rest_api")
    rest = f"/restapis/{api['id']}"
    stage = f"{rest}/stages/{_one(state, 'aws_api_gateway_stage')['stage_name']}"
    deployment = f"{rest}/deployments/{_one(state, 'aws_api_gateway_deployment')['id']}"
    usage_plan = f"/usageplans/{_one(state, 'aws_api_gateway_usage_plan')['id']}"
    api_key = f"/apikeys/{_one(state, 'aws_api_gateway_api_key')['id']}"
    domain = f"/domainnames/{_one(state, 'aws_api_gateway_domain_name')['domain_name']}"
    retag = {"tags": {"environment": intruder}}
    untag = {"tagKeys": ["environment"]}
    found = [
        _apigateway("GetRestApi", "GET", rest, True),
        _apigateway("UpdateRestApi", "PATCH", rest, True, patchOperations=[]),
        _apigateway(
            "UpdateRestApiPolicy",
            "PATCH",
            rest,
            True,
            patchOperations=[{"op": "replace", "path": "/policy", "value": "{}"}],
        ),
        _apigateway("PutRestApi", "PUT", rest, True),
        _apigateway("DeleteRestApi", "DELETE", rest, True),
        _apigateway("GetStage", "GET", stage, True),
        _apigateway("UpdateStage", "PATCH", stage, True, patchOperations=[]),
        _apigateway("DeleteStage", "DELETE", stage, True),
        _apigateway("CreateDeployment", "POST", f"{rest}/deployments", True),
        _apigateway("GetDeployment", "GET", deployment, True),
        _apigateway("DeleteDeployment", "DELETE", deployment, True),
        _apigateway("GetUsagePlan", "GET", usage_plan, True),
        _apigateway("UpdateUsagePlan", "PATCH", usage_plan, True, patchOperations=[]),
        _apigateway("DeleteUsagePlan", "DELETE", usage_plan, True),
        _apigateway("CreateUsagePlanKey", "POST", f"{usage_plan}/keys", True, keyId="k"),
        _apigateway("GetApiKey", "GET", api_key, True, includeValue="true"),
        _apigateway("UpdateApiKey", "PATCH", api_key, True, patchOperations=[]),
        _apigateway("DeleteApiKey", "DELETE", api_key, True),
        _apigateway("GetDomainName", "GET", domain, True),
        _apigateway("UpdateDomainName", "PATCH", domain, True, patchOperations=[]),
        _apigateway("DeleteDomainName", "DELETE", domain, True),
        _apigateway("DeleteBasePathMapping", "DELETE", f"{domain}/basepathmappings/(none)", True),
    ]
    for tagged in (api["arn"], _one(state, "aws_api_gateway_stage")["arn"]):
        found += [
            _apigateway("TagResource", "PUT", _tags_path(tagged), False, **retag),
            _apigateway("UntagResource", "DELETE", _tags_path(tagged), False, **untag),
        ]
    for resource_type in ("aws_api_gateway_usage_plan", "aws_api_gateway_api_key"):
        arn = _one(state, resource_type)["arn"]
        found.append(_apigateway("TagResource", "PUT", _tags_path(arn), False, **retag))

    certificate = _one(state, "aws_acm_certificate")["arn"]
    tag = [{"Key": "environment", "Value": intruder}]
    found += [
        Attempt(
            "acm", "workload", "acm", op, {"CertificateArn": certificate, **extra}, owner_may=may
        )
        for op, extra, may in [
            ("DescribeCertificate", {}, True),
            ("DeleteCertificate", {}, True),
            ("AddTagsToCertificate", {"Tags": tag}, False),
            (
                "RemoveTagsFromCertificate",
                {"Tags": [{"Key": "environment", "Value": intruder}]},
                False,
            ),
        ]
    ]

    for function in _values(state, "aws_lambda_function"):
        name = function["function_name"]
        found += _workload_requests(
            "lambda",
            {"FunctionName": name},
            [
                ("GetFunction", True),
                ("UpdateFunctionCode", True),
                ("UpdateFunctionConfiguration", True),
                ("DeleteFunction", True),
                ("InvokeFunction", False),
            ],
        )
        found.append(
            Attempt(
                "lambda",
                "workload",
                "lambda",
                "TagResource",
                {"Resource": function["arn"], "Tags": {"environment": intruder}},
            )
        )

    role = _one(state, "aws_iam_role")["name"]
    found += [
        Attempt("iam", "workload", "iam", op, {"RoleName": role, **extra}, owner_may=may)
        for op, extra, may in [
            ("GetRole", {}, True),
            ("UpdateAssumeRolePolicy", {"PolicyDocument": "{}"}, True),
            ("PutRolePolicy", {"PolicyName": "x", "PolicyDocument": "{}"}, True),
            ("DeleteRole", {}, True),
            (
                "TagRole",
                {"Tags.member.1.Key": "environment", "Tags.member.1.Value": intruder},
                False,
            ),
        ]
    ]

    for group in _values(state, "aws_cloudwatch_log_group"):
        found += _workload_requests(
            "logs",
            {"logGroupName": group["name"]},
            [("PutRetentionPolicy", True), ("DeleteLogGroup", True), ("GetLogEvents", False)],
        )
        found.append(
            Attempt(
                "logs",
                "workload",
                "logs",
                "TagResource",
                {"resourceArn": group["arn"], "tags": {"environment": intruder}},
            )
        )
    # Query definitions support no resource-level permission: a shared pair grants none of them.
    found += [
        Attempt("logs", "workload", "logs", op, params)
        for op, params in [
            ("PutQueryDefinition", {"name": "randfile-x/q", "queryString": "fields @message"}),
            ("DeleteQueryDefinition", {"queryDefinitionId": "00000000"}),
            ("DescribeQueryDefinitions", {}),
        ]
    ]

    table = _one(state, "aws_dynamodb_table")
    found += _workload_requests(
        "dynamodb",
        {"TableName": table["name"]},
        [("DescribeTable", True), ("UpdateTable", True), ("DeleteTable", True), ("Scan", False)],
    )
    found.append(
        Attempt(
            "dynamodb",
            "workload",
            "dynamodb",
            "TagResource",
            {"ResourceArn": table["arn"], "Tags": tag},
        )
    )

    # The jobs queue and its dead-letter queue alike.
    found += [
        Attempt("sqs", "workload", "sqs", op, {"QueueUrl": queue["url"], **extra}, owner_may=may)
        for queue in _values(state, "aws_sqs_queue")
        for op, extra, may in [
            ("GetQueueAttributes", {}, True),
            ("SetQueueAttributes", {}, True),
            ("DeleteQueue", {}, True),
            ("ReceiveMessage", {}, False),
            ("TagQueue", {"Tags": {"environment": intruder}}, False),
        ]
    ]

    topic = _one(state, "aws_sns_topic")["arn"]
    found += [
        Attempt("sns", "workload", "sns", op, params, owner_may=may)
        for op, params, may in [
            ("GetTopicAttributes", {"TopicArn": topic}, True),
            ("SetTopicAttributes", {"TopicArn": topic}, True),
            ("DeleteTopic", {"TopicArn": topic}, True),
            ("Subscribe", {"TopicArn": topic}, True),
            (
                "TagResource",
                {
                    "ResourceArn": topic,
                    "Tags.member.1.Key": "environment",
                    "Tags.member.1.Value": intruder,
                },
                False,
            ),
            # Subscription actions support no resource-level permission: none in a shared pair.
            ("Unsubscribe", {"SubscriptionArn": f"{topic}:0"}, False),
            ("GetSubscriptionAttributes", {"SubscriptionArn": f"{topic}:0"}, False),
        ]
    ]

    alarms = [alarm["alarm_name"] for alarm in _values(state, "aws_cloudwatch_metric_alarm")]
    dashboard = _one(state, "aws_cloudwatch_dashboard")["dashboard_name"]
    monitoring = [
        *(
            request
            for name in alarms
            for request in [
                ("DescribeAlarms", {"AlarmNames.member.1": name}),
                ("PutMetricAlarm", {"AlarmName": name}),
                ("DeleteAlarms", {"AlarmNames.member.1": name}),
            ]
        ),
        ("GetDashboard", {"DashboardName": dashboard}),
        ("PutDashboard", {"DashboardName": dashboard}),
        ("DeleteDashboards", {"DashboardNames.member.1": dashboard}),
    ]
    found += [
        Attempt("cloudwatch", "workload", "monitoring", op, params, owner_may=True)
        for op, params in monitoring
    ]

    key_requests: list[tuple[str, dict[str, Any], bool]] = [
        ("DescribeKey", {}, True),
        ("PutKeyPolicy", {"PolicyName": "default", "Policy": "{}"}, True),
        ("ScheduleKeyDeletion", {}, True),
        ("Decrypt", {}, False),
        ("TagResource", {"Tags": [{"TagKey": "environment", "TagValue": intruder}]}, False),
    ]
    for key in _values(state, "aws_kms_key"):
        account = "data" if key["arn"].split(":")[4] != WORKLOAD_ACCOUNT_ID else "workload"
        found += [
            Attempt("kms", account, "kms", op, {"KeyId": key["arn"], **extra}, owner_may=may)
            for op, extra, may in key_requests
        ]

    bucket = _one(state, "aws_s3_bucket")["bucket"]
    found += [
        Attempt("s3", "data", "s3", op, {"Bucket": bucket, **extra}, owner_may=may)
        for op, extra, may in [
            ("GetBucketPolicy", {}, True),
            ("PutBucketPolicy", {}, True),
            ("PutBucketTagging", {}, True),
            ("DeleteBucket", {}, True),
            ("GetObject", {"Key": "files/x"}, False),
            ("PutObject", {"Key": "files/x"}, False),
            ("DeleteObject", {"Key": "files/x"}, True),
        ]
    ]
    return found


def _allowed(pair: SharedPair, attempt: Attempt, principal: str) -> tuple[bool, str]:
    """Whether AWS would let ``principal`` make the request: every authorization it implies."""
    for authorization in authorizations(attempt.call(principal), pair.world):
        decision = decide(
            authorization.request,
            pair.policies[principal],
            resource_policy_for(authorization, pair.resource_policies),
        )
        if not decision.allowed:
            request = authorization.request
            return False, f"{request.action} on {request.resource}: {decision.reason}"
    return True, "allowed"


def _roles(pair: SharedPair, env: str, account: str) -> list[str]:
    modes = WORKLOAD_MODES if account == "workload" else DATA_MODES
    return [pair.bootstrap[f"{account}_{mode}_role_arns"][env] for mode in modes]


@pytest.mark.parametrize(("intruder", "owner"), [("dev", "prod"), ("prod", "dev")])
def test_no_ci_role_reaches_the_other_environment(
    shared_pair: SharedPair, intruder: str, owner: str
) -> None:
    tried = attempts(shared_pair.states[owner], intruder)
    let_through = [
        f"{principal.rsplit('/', 1)[-1]}: {attempt.service} {attempt.operation} "
        f"{attempt.path if attempt.service == 'apigateway' else dict(attempt.params)}"
        for attempt in tried
        for principal in _roles(shared_pair, intruder, attempt.account)
        if _allowed(shared_pair, attempt, principal)[0]
    ]
    assert let_through == [], "another environment's role may:\n" + "\n".join(let_through)
    assert len(tried) > 80


@pytest.mark.parametrize("owner", ENVIRONMENTS)
def test_the_owners_apply_role_may_what_its_stack_needs(
    shared_pair: SharedPair, owner: str
) -> None:
    """The same requests by the resource's own apply role: the refusals above are not a test
    that cannot pass."""
    other = next(env for env in ENVIRONMENTS if env != owner)
    refused = []
    for attempt in attempts(shared_pair.states[owner], other):
        if not attempt.owner_may:
            continue
        principal = shared_pair.bootstrap[f"{attempt.account}_apply_role_arns"][owner]
        allowed, reason = _allowed(shared_pair, attempt, principal)
        if not allowed:
            refused.append(f"{attempt.service} {attempt.operation}: {reason}")
    assert refused == []


def test_both_stacks_were_applied_into_one_account_pair(shared_pair: SharedPair) -> None:
    for env in ENVIRONMENTS:
        function = _one(
            shared_pair.states[env], "aws_lambda_function", function_name=f"randfile-{env}"
        )
        assert function["arn"].split(":")[4] == WORKLOAD_ACCOUNT_ID
    # Each environment's API carries its own tag: the attribute every API Gateway grant tests.
    for env in ENVIRONMENTS:
        api = _one(shared_pair.states[env], "aws_api_gateway_rest_api")
        assert api["tags_all"]["environment"] == env
