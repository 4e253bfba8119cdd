"""The CI roles can do their job: the stack deployed, planned and destroyed as the pipeline does it.

infra/bootstrap is applied on a fresh local cloud; then infra/stack is applied, planned (as a pull
request does, without the lock) and destroyed with the credentials the workflows hold: the
workload role's in the environment, the data role assumed by the stack's provider, the state
backend with the ambient credentials. The emulator records every request with the role behind it
(localcloud.recorder); each is mapped to the IAM authorizations AWS performs
(localcloud.iam.requests) and evaluated against that role's policies as deployed, with the
resources' key and bucket policies (localcloud.iam.evaluator). moto would let every one of them
through; this test names each one AWS would refuse.

Between the apply and the plan, the deployed service runs under the roles and the permissions
boundary the bootstrap made: a file (POST /files), a job, and a retried job whose object an earlier
delivery wrote (the worker then reads it back with HEAD, which AWS authorizes as s3:GetObject).
The emulator authorizes each call of the function and the worker as AWS would
(localcloud.authorizer), so a boundary that lacks a permission fails them here as it would there.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from botocore.credentials import Credentials

from localcloud import compat, emulator, stack
from localcloud.aws import Identities, Identity, role_arn
from localcloud.iam.audit import managed
from localcloud.iam.evaluator import decide
from localcloud.iam.requests import (
    Authorization,
    UnmappedRequestError,
    World,
    authorizations,
    decode,
)
from localcloud.terraform import Root
from randfile.jobs import ITEM_PREFIX, JobStatus
from randfile_client import AcceptedJob, CreatedFile, RandfileClient, RandfileError, RetryPolicy
from randfile_localcloud.cloud import start_emulator
from randfile_localcloud.settings import (
    CALLER_ROLE,
    DATA_ACCOUNT_ID,
    DEFAULT_ZIP,
    DOMAIN,
    HOSTED_ZONE,
    MEMBER_ACCESS_ROLE,
    REGION,
    STACK,
    TERRAFORM,
    WORKLOAD_ACCOUNT_ID,
    stack_variables,
)
from tests.e2e.deploys import report_emulator_errors, sent_twice
from tests.e2e.test_bootstrap_e2e import REPO, bootstrap_copy, policy, variables

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("ci_roles")]

ENVIRONMENT = "dev"
STATE_KEY = f"randfile/{ENVIRONMENT}/terraform.tfstate"


@dataclass
class Phase:
    name: str
    roles: set[str]
    requests: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ServiceRuns:
    """What the deployed service answered under the bootstrap's roles and boundary."""

    file: CreatedFile | str
    job: CreatedFile | str
    # The retried job's status record once the redelivery ended.
    retried: dict[str, Any]
    # The emulator's refusals (localcloud.authorizer's log lines), to say why when one failed.
    refusals: list[str]


@dataclass
class Rehearsal:
    phases: dict[str, Phase]
    policies: dict[str, list[dict[str, Any]]]
    world: World
    resource_policies: dict[str, dict[str, Any]]
    outputs: dict[str, Any]
    service: ServiceRuns


def terraform(
    workdir: Path, credentials: Mapping[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return Root(workdir, executable=TERRAFORM).run(*args, "-no-color", credentials=credentials)


def _records(path: Path, start: int) -> tuple[list[dict[str, Any]], int]:
    """The requests recorded since `start`, but Lambda's own (its event source pollers receive
    with the function's role whatever the deployer does: localcloud.recorder marks them)."""
    data = path.read_bytes() if path.exists() else b""
    lines = data[start:].decode().splitlines()
    entries = [json.loads(line) for line in lines if line]
    return [entry for entry in entries if "service_principal" not in entry], len(data)


def _inline_policies(identity: Identity, role: str) -> list[dict[str, Any]]:
    name = role.rsplit("/", 1)[-1]
    iam = identity.iam()
    assert not iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    return [
        policy(identity, name, each)
        for each in iam.list_role_policies(RoleName=name)["PolicyNames"]
    ]


def role_policies(management: Identity, roles: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """Each role's inline policies as deployed, read by its account's administrator."""
    administrators = {
        account: management.assume(role_arn(account, MEMBER_ACCESS_ROLE), "admin")
        for account in (WORKLOAD_ACCOUNT_ID, DATA_ACCOUNT_ID)
    }
    return {arn: _inline_policies(administrators[arn.split(":")[4]], arn) for arn in roles}


def world_of(*states: dict[str, Any]) -> tuple[World, dict[str, dict[str, Any]]]:
    """What the authorizations depend on, and the key and bucket policies, from stack states."""
    world = World()
    resource_policies: dict[str, dict[str, Any]] = {}
    resources = [resource for state in states for resource in managed(state).values()]
    for resource in resources:
        values = resource["values"]
        arn = values.get("arn")
        if arn and values.get("tags_all"):
            world.tags[arn] = dict(values["tags_all"])
        if resource["type"] == "aws_iam_role" and values.get("permissions_boundary"):
            world.role_boundaries[arn] = values["permissions_boundary"]
        if resource["type"] == "aws_lambda_event_source_mapping":
            world.event_source_mappings[values["uuid"]] = values["function_arn"]
        if resource["type"] == "aws_kms_alias":
            world.key_aliases[arn] = values["target_key_arn"]
        if resource["type"] == "aws_kms_key":
            resource_policies[arn] = json.loads(values["policy"])
        if resource["type"] == "aws_s3_bucket_policy":
            resource_policies[f"arn:aws:s3:::{values['bucket']}"] = json.loads(values["policy"])
    return world, resource_policies


def resource_policy_for(
    authorization: Authorization, resource_policies: Mapping[str, dict[str, Any]]
) -> Sequence[Mapping[str, Any]]:
    if authorization.resource_policy is not None:
        return [authorization.resource_policy]
    resource = authorization.request.resource
    if resource.startswith("arn:aws:s3:::"):
        resource = "arn:aws:s3:::" + resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
    found = resource_policies.get(resource)
    return [found] if found else []


def apply_bootstrap(
    state_dir: Path,
    endpoint_url: str,
    credentials: Mapping[str, str],
    **overrides: Any,
) -> dict[str, Any]:
    """infra/bootstrap applied by the accounts' administrator; returns its outputs."""
    bootstrap_dir = bootstrap_copy(state_dir / "bootstrap-infra").workdir
    (bootstrap_dir / "localcloud_override.tf").write_text(STACK.override_file(endpoint_url))
    bootstrap_variables = variables(**overrides)
    (bootstrap_dir / "test.auto.tfvars.json").write_text(json.dumps(bootstrap_variables))
    terraform(bootstrap_dir, credentials, "init", "-lockfile=readonly")
    terraform(bootstrap_dir, credentials, "apply", "-auto-approve")
    return Root(bootstrap_dir, executable=TERRAFORM).outputs(credentials)


class Bootstrapped(NamedTuple):
    running: emulator.Emulator
    # The accounts' administrator, who applied infra/bootstrap.
    management: Identity
    # The workload account's administrator, who created its hosted zone.
    admin: Identity
    # infra/bootstrap's outputs.
    outputs: dict[str, Any]


@contextmanager
def bootstrapped_emulator(
    state_dir: Path, *, record_to: Path | None = None, **overrides: Any
) -> Iterator[Bootstrapped]:
    """An emulator for randfile's stack, its workload account's hosted zone and infra/bootstrap
    applied for that zone with ``overrides``; stopped when the block ends. The accounts' Lambda
    quota is raised, so the stack reserves concurrency and its plan reads the quota as the CI
    roles (a new account's 10 would admit no reservation)."""
    if not DEFAULT_ZIP.is_file():
        pytest.fail(f"{DEFAULT_ZIP} is missing: run `make build` first")
    # Made again, once, on a new emulator if a create was sent twice (tests/e2e/deploys.py).
    for attempt in (1, 2):
        with pytest.MonkeyPatch.context() as environment:
            environment.setenv(compat.LAMBDA_CONCURRENCY_VARIABLE, "1000")
            running = start_emulator(state_dir, record_to=record_to)
        try:
            management = Identities(running.endpoint_url, REGION).management()
            admin = management.assume(role_arn(WORKLOAD_ACCOUNT_ID, MEMBER_ACCESS_ROLE), "admin")
            zone = admin.route53().create_hosted_zone(
                Name=HOSTED_ZONE, CallerReference=state_dir.name
            )
            outputs = apply_bootstrap(
                state_dir,
                running.endpoint_url,
                management.credentials.as_environment(),
                hosted_zone_id=zone["HostedZone"]["Id"].rsplit("/", 1)[-1],
                **overrides,
            )
            break
        except Exception as error:
            report_emulator_errors(state_dir)
            emulator.stop(state_dir)
            if attempt == 2 or not sent_twice(error):
                raise
            print("a create was sent twice: bootstrapping again on a new emulator", file=sys.stderr)
            # The bootstrap's local state and the requests recorded belong to the failed attempt.
            shutil.rmtree(state_dir / "bootstrap-infra")
            if record_to is not None:
                record_to.unlink(missing_ok=True)
    try:
        yield Bootstrapped(running, management, admin, outputs)
    finally:
        emulator.stop(state_dir)


def ci_stack_copy(parent: Path, endpoint_url: str, state_key: str) -> tuple[Path, Path]:
    """infra copied under ``parent``, its stack set for the local cloud with the CI roles'
    credentials, and the S3 backend configuration of ``state_key`` as the pipeline's jobs use it:
    the stack's folder and the backend file."""
    infra = Root.copy(REPO / "infra", parent / "infra", executable=TERRAFORM)
    stack_dir = infra.workdir / "stack"
    (stack_dir / stack.OVERRIDE_FILE).write_text(
        STACK.override_file(endpoint_url, static_credentials=False)
    )
    backend = parent / "ci.s3.tfbackend"
    backend.write_text(STACK.backend_config(endpoint_url, key=state_key, ci=True))
    return stack_dir, backend


def tfvars_file(path: Path, data_role_arn: str, inputs: Mapping[str, Any]) -> str:
    """The stack's variables as a pipeline job passes them (``inputs`` adds to and overrides the
    defaults below); returns the -var-file argument."""
    values = stack_variables(
        DEFAULT_ZIP,
        {
            "environment": ENVIRONMENT,
            "data_role_arn": data_role_arn,
            "kms_encryption": True,
            "function_reserved_concurrency": 5,
            # A subscription, so its calls (SNS's subscription actions take "*" only) are checked.
            "alarm_subscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}],
            **inputs,
        },
    )
    # The job's own credentials are the workload role: the variable stays unset (it is ephemeral,
    # so a value given only at apply would be refused).
    del values["workload_role_arn"]
    path.write_text(json.dumps(values))
    return f"-var-file={path}"


def _outcome(client: RandfileClient, **request: Any) -> CreatedFile | str:
    """The created file, or the error that stopped it (asserted on by the tests, not here)."""
    try:
        return client.create(**request)
    except RandfileError as error:
        return f"{type(error).__name__}: {error}"


def _until_ended(client: RandfileClient, job: AcceptedJob, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status = client.job_status(job)
        if status["status"] in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            return status
        assert time.monotonic() < deadline, f"job {job.job_id} still {status['status']}"
        time.sleep(0.5)


def _retried_job(
    client: RandfileClient, admin: Identity, stack_outputs: Mapping[str, Any]
) -> dict[str, Any]:
    """A job run once, then redelivered while its record says it is still running, as if the
    delivery that wrote the object had died before recording its success: the redelivery finds
    the object and reads it back (HEAD) instead of writing it again. Its final status record."""
    try:
        job = client.submit(4096, "csv", seed=3, mode="async")
    except RandfileError as error:
        return {"status": f"not accepted: {error}"}
    assert isinstance(job, AcceptedJob)
    first = _until_ended(client, job, 120)
    if first["status"] != JobStatus.SUCCEEDED:
        return {**first, "status": f"first delivery {first['status']}"}
    # What a delivery killed after writing the object (its digest recorded) and before recording
    # its success leaves: the job `running` under a lease that has run out.
    admin.dynamodb().update_item(
        TableName=stack_outputs["jobs_table_name"],
        Key={"id": {"S": ITEM_PREFIX + job.job_id}},
        UpdateExpression="SET #status = :running, lease_expires_at = :past REMOVE etag, version_id",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={
            ":running": {"S": JobStatus.RUNNING.value},
            ":past": {"N": "1"},
        },
    )
    admin.sqs().send_message(
        QueueUrl=stack_outputs["jobs_queue_url"], MessageBody=json.dumps({"job_id": job.job_id})
    )
    return _until_ended(client, job, 120)


def _run_the_service(
    api_url: str, admin: Identity, caller: Identity, stack_outputs: Mapping[str, Any], log: Path
) -> ServiceRuns:
    """A file, a job and a retried job through the API, as the caller role."""
    api_key = admin.apigateway().get_api_key(apiKey=stack_outputs["api_key_id"], includeValue=True)
    keys = caller.credentials
    client = RandfileClient(
        api_url,
        region=REGION,
        host=stack_outputs["custom_domain_name"],
        api_key=api_key["value"],
        credentials=Credentials(keys.access_key_id, keys.secret_access_key, keys.session_token),
        retry=RetryPolicy(attempts=1),
        poll_interval=0.5,
    )
    with client:
        file = _outcome(client, size_bytes=1024, file_format="csv", seed=1)
        job = _outcome(client, size_bytes=2048, file_format="csv", seed=2, mode="async")
        retried = _retried_job(client, admin, stack_outputs)
    refusals = [line for line in log.read_text().splitlines() if "localcloud.authorizer" in line]
    return ServiceRuns(file, job, retried, refusals)


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    state_dir = tmp_path_factory.mktemp("ci-roles")
    record = state_dir / "requests.jsonl"
    # An account pair of its own for dev: the only layout where the actions that support no
    # resource-level permission (query definitions, SNS subscriptions) are granted.
    with bootstrapped_emulator(
        state_dir,
        record_to=record,
        environments=[ENVIRONMENT],
        api_domain_names={ENVIRONMENT: DOMAIN},
        unscoped_permissions=["logs-query-definitions", "sns-subscriptions"],
    ) as (running, management, admin, outputs):
        roles = {
            (account, mode): outputs[f"{account}_{mode}_role_arns"][ENVIRONMENT]
            for account in ("workload", "data")
            for mode in ("plan", "apply")
        }
        stack_dir, backend = ci_stack_copy(state_dir, running.endpoint_url, STATE_KEY)
        inputs = outputs["stack_inputs"][ENVIRONMENT]

        def tfvars(mode: str) -> str:
            return tfvars_file(state_dir / f"{mode}.tfvars.json", roles[("data", mode)], inputs)

        def as_role(mode: str) -> dict[str, str]:
            identity = management.assume(roles[("workload", mode)], f"github-{mode}")
            return identity.credentials.as_environment()

        phases: dict[str, Phase] = {}
        offset = record.stat().st_size

        def run(name: str, mode: str, *args: str) -> subprocess.CompletedProcess[str]:
            nonlocal offset
            credentials = as_role(mode)
            # The test's own AssumeRole is GitHub's part (OIDC), not the role's: not recorded.
            _, offset = _records(record, offset)
            result = terraform(stack_dir, credentials, *args)
            requests, offset = _records(record, offset)
            phase = phases.setdefault(
                name, Phase(name, {roles[("workload", mode)], roles[("data", mode)]})
            )
            phase.requests.extend(requests)
            return result

        backend_arg = f"-backend-config={backend}"
        run("apply", "apply", "init", "-input=false", backend_arg)
        run("apply", "apply", "apply", "-input=false", "-auto-approve", tfvars("apply"))
        state = json.loads(run("apply", "apply", "show", "-json").stdout)
        stack_outputs = {
            name: output["value"] for name, output in state["values"]["outputs"].items()
        }
        service = _run_the_service(
            running.api_url,
            admin,
            management.assume(role_arn(WORKLOAD_ACCOUNT_ID, CALLER_ROLE), "caller"),
            stack_outputs,
            emulator.log_file(state_dir),
        )
        run(
            "plan",
            "plan",
            "plan",
            "-input=false",
            "-lock=false",
            "-detailed-exitcode",
            tfvars("plan"),
        )
        run("destroy", "apply", "destroy", "-input=false", "-auto-approve", tfvars("apply"))

        world, resource_policies = world_of(state)
        policies = role_policies(management, roles.values())
        yield Rehearsal(phases, policies, world, resource_policies, outputs, service)


@pytest.mark.parametrize("phase", ["apply", "plan", "destroy"])
def test_every_request_is_made_by_the_phase_roles(rehearsal: Rehearsal, phase: str) -> None:
    recorded = rehearsal.phases[phase]
    principals = {request.get("principal") for request in recorded.requests}
    assert recorded.requests, "nothing was recorded"
    foreign = {
        f"{r.get('service')} {r['method']} {r['path']} ({r.get('access_key_id')})"
        for r in recorded.requests
        if r.get("principal") not in recorded.roles
    }
    assert foreign == set()
    assert principals <= recorded.roles, (
        f"requests by other identities: {principals - recorded.roles}"
    )


@pytest.mark.parametrize("phase", ["apply", "plan", "destroy"])
def test_the_roles_policies_allow_every_request(rehearsal: Rehearsal, phase: str) -> None:
    refused: list[str] = []
    unmapped: list[str] = []
    checked = 0
    for entry in rehearsal.phases[phase].requests:
        try:
            call = decode(entry)
            for authorization in authorizations(call, rehearsal.world):
                checked += 1
                decision = decide(
                    authorization.request,
                    rehearsal.policies[call.principal],
                    resource_policy_for(authorization, rehearsal.resource_policies),
                )
                if not decision.allowed:
                    request = authorization.request
                    refused.append(
                        f"{call.principal.rsplit('/', 1)[-1]} lacks {request.action} on "
                        f"{request.resource} for {call.describe()}: {decision.reason}"
                    )
        except UnmappedRequestError as error:
            unmapped.append(str(error))
    assert unmapped == []
    assert not refused, "AWS would refuse:\n" + "\n".join(sorted(set(refused)))
    assert checked > 20


def _why(rehearsal: Rehearsal) -> str:
    return "the emulator refused:\n" + "\n".join(rehearsal.service.refusals)


def test_a_file_is_created_under_the_bootstrap_roles_and_boundary(rehearsal: Rehearsal) -> None:
    file = rehearsal.service.file
    assert isinstance(file, CreatedFile), f"{file}; {_why(rehearsal)}"
    assert file.size_bytes == 1024


def test_a_job_succeeds_under_the_bootstrap_roles_and_boundary(rehearsal: Rehearsal) -> None:
    job = rehearsal.service.job
    assert isinstance(job, CreatedFile), f"{job}; {_why(rehearsal)}"
    assert job.size_bytes == 2048


def test_a_retried_job_reads_back_the_object_an_earlier_delivery_wrote(
    rehearsal: Rehearsal,
) -> None:
    """The worker's HEAD of the existing object is authorized as s3:GetObject: the boundary the
    bootstrap puts on the function's role must allow it, or the job ends failed."""
    status = rehearsal.service.retried
    assert status["status"] == JobStatus.SUCCEEDED, f"{status}; {_why(rehearsal)}"
