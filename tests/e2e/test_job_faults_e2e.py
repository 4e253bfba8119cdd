"""The jobs' fault matrix on the local cloud: at each step of a job, the worker's process is killed
hard (SIGKILL, from the local cloud's fault injection, when the process makes the AWS request that
marks the step), the start of a job fails or times out, DynamoDB throttles, two deliveries run at
once, a POST is retried with its Idempotency-Key; and every job must then end within the bound
docs/operations.md states, with the bucket agreeing with its status: at most one object at its
key, exactly one when `succeeded`, of the reported size and SHA-256, and no upload left open.

All the worker's cases run at once: the jobs are accepted while the queue's event source mapping
is disabled, each gets its own rule (matched by its job id or object key), then the mapping is
enabled. Lambda's and SQS's timings are scaled down by the local cloud's time scale (the worker's
900 s timeout runs in 13.5 s), so the bound is seconds, not the hour it is on AWS.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from localcloud.endpoint import Published
from localcloud.faults import FaultClient, FaultRule
from randfile_client import AcceptedJob, ApiError, RetryPolicy
from randfile_localcloud.cloud import Cloud
from tests.e2e.api_client import api_client
from tests.e2e.jobs_mapping import jobs_waiting

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_jobs")]

MIB = 2**20
SIZE = 17 * MIB
"""Three parts (8 + 8 + 1 MiB): there is a step between parts."""
TIME_SCALE = 0.015
SDK_ATTEMPTS = 3
"""The SDK's standard retry mode tries a failed request three times (src/randfile/aws.py)."""
WORKER_TIMEOUT = 900
MAX_RECEIVE_COUNT = 3
VISIBILITY_MARGIN = 1.1
ATTEMPT_SECONDS = WORKER_TIMEOUT * TIME_SCALE * VISIBILITY_MARGIN + 1
BOUND_SECONDS = MAX_RECEIVE_COUNT * ATTEMPT_SECONDS + 45
"""docs/operations.md's bound, scaled: job_max_receive_count x (worker timeout x 1.1 + 1 s),
with room for the dead-letter mapping's poll and a busy machine."""
MATRIX_DEADLINE_SECONDS = 3 * BOUND_SECONDS
"""Every job of the matrix final by then, waits for a worker included."""


@dataclass
class Case:
    """One cell of the matrix: the fault, and how its job must end."""

    name: str
    ends: str
    seed: int
    rules: list[FaultRule] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    job: AcceptedJob | None = None
    extra_jobs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Fault:
    """A rule for the worker, matched by the job's id (DynamoDB's requests name the item) or its
    object key (S3's requests name the key), and anything else in `also`."""

    action: str
    on: str  # "job" or "key"
    effect: str = "kill"
    when: str = "before"
    also: tuple[str, ...] = ()
    times: int = 1
    occurrence: int = 1
    status: int = 500
    code: str = "InternalError"
    message: str = "We encountered an internal error. Please try again."

    def rule(self, worker: str, job: AcceptedJob) -> FaultRule:
        return FaultRule(
            function=worker,
            action=self.action,
            effect=self.effect,  # type: ignore[arg-type]
            when=self.when,  # type: ignore[arg-type]
            contains=[job.job_id if self.on == "job" else job.key, *self.also],
            times=self.times,
            occurrence=self.occurrence,
            status=self.status,
            code=self.code,
            message=self.message,
        )


EVERY_ATTEMPT = 100
"""Every delivery of the job, however many: SQS delivers at least once, so a job may have more
messages than one (an SDK retry of a SendMessage that SQS had stored), each received up to
job_max_receive_count times
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/standard-queues-at-least-once-delivery.html)."""

THROTTLED = Fault(
    "dynamodb:UpdateItem",
    "job",
    effect="error",
    times=4,
    status=400,
    code="ProvisionedThroughputExceededException",
    message="The level of configured provisioned throughput for the table was exceeded.",
)
"""Four: one past the three attempts of the SDK's standard retry mode."""

WORKER_CASES: list[tuple[str, str, list[Fault]]] = [
    ("killed before the job is claimed", "succeeded", [Fault("dynamodb:UpdateItem", "job")]),
    ("killed during generation", "succeeded", [Fault("s3:CreateMultipartUpload", "key")]),
    (
        "killed between parts",
        "succeeded",
        [Fault("s3:UploadPart", "key", when="after", occurrence=2)],
    ),
    (
        "killed after CompleteMultipartUpload, before recording",
        "succeeded",
        [Fault("s3:CompleteMultipartUpload", "key", when="after")],
    ),
    (
        "killed while recording, before the write",
        "succeeded",
        [Fault("dynamodb:UpdateItem", "job", also=(":succeeded",))],
    ),
    (
        "killed while recording, after the write",
        "succeeded",
        [Fault("dynamodb:UpdateItem", "job", when="after", also=(":succeeded",))],
    ),
    ("DynamoDB throttling past the SDK's retries", "succeeded", [THROTTLED]),
    (
        "killed in every attempt: the dead-letter queue ends it",
        "failed",
        [Fault("s3:UploadPart", "key", times=EVERY_ATTEMPT)],
    ),
    ("two deliveries at once", "succeeded", []),
]


def _objects(local: Cloud, bucket: str, key: str) -> list[dict[str, Any]]:
    versions = local.data().s3().list_object_versions(Bucket=bucket, Prefix=key)
    return [dict(v) for v in versions.get("Versions", []) if v["Key"] == key]


def _open_uploads(local: Cloud, bucket: str, key: str) -> list[str]:
    uploads = local.data().s3().list_multipart_uploads(Bucket=bucket, Prefix=key)
    return [u["UploadId"] for u in uploads.get("Uploads", []) if u["Key"] == key]


class ThrottledOnly(RetryPolicy):
    """Calls again after the usage plan's 429 only, as a caller would: the 503s are the cases'
    own answers, which a retry would hide."""

    def should_retry(self, error: BaseException) -> bool:
        return isinstance(error, ApiError) and error.status == 429 and super().should_retry(error)


def _job_status(published: Published, job_id: str) -> dict[str, Any]:
    with api_client(published, retry=ThrottledOnly()) as client:
        return client.job_status(job_id)


def _job_ids_with_seed(local: Cloud, table: str, seed: int) -> list[str]:
    items = local.workload().dynamodb().scan(TableName=table)["Items"]
    return [
        item["job_id"]["S"]
        for item in items
        if item["id"]["S"].startswith("job#") and item["seed"]["N"] == str(seed)
    ]


@pytest.fixture(scope="module")
def faults(local: Cloud) -> Iterator[FaultClient]:
    client = FaultClient(local.endpoint_url)
    client.clear()
    try:
        yield client
    finally:
        client.clear()


@pytest.fixture(scope="module")
def matrix(
    local: Cloud, published: Published, outputs: dict[str, Any], faults: FaultClient
) -> list[Case]:
    worker, api = outputs["worker_function_name"], outputs["function_name"]
    cases: list[Case] = []
    with (
        jobs_waiting(local, outputs),
        api_client(published, poll_interval=0.5, retry=ThrottledOnly()) as client,
    ):
        for seed, (name, ends, planned) in enumerate(WORKER_CASES, start=9100):
            job = client.submit(SIZE, "binary", seed=seed, mode="async")
            assert isinstance(job, AcceptedJob)
            rules = [fault.rule(worker, job) for fault in planned]
            case = Case(name, ends, seed, rules, job=job)
            case.rule_ids = [faults.add(rule) for rule in case.rules]
            cases.append(case)
            if name == "two deliveries at once":
                local.workload().sqs().send_message(
                    QueueUrl=outputs["jobs_queue_url"],
                    MessageBody=json.dumps({"job_id": job.job_id}),
                )
        cases.extend(_api_cases(local, published, outputs, faults, client, api))
        # Scaled once every job waits in the queue, and back before the API is called again:
        # the scale shortens the API function's 29 s too.
        before = faults.status()["time_scale"]
        faults.settings(time_scale=TIME_SCALE)
    try:
        _until_final(local, outputs, cases, time.monotonic())
    finally:
        faults.settings(time_scale=before)
    return cases


def _api_cases(
    local: Cloud,
    published: Published,
    outputs: dict[str, Any],
    faults: FaultClient,
    client: Any,
    api: str,
) -> list[Case]:
    """The start of a job failing (nothing queued), timing out (queued, but the API was told
    otherwise) and a POST retried with its Idempotency-Key after such a timeout."""
    cases = []
    starts: list[tuple[str, Literal["before", "after"]]] = [
        ("the start of the job fails", "before"),
        ("the start of the job times out", "after"),
    ]
    for seed, (name, when) in enumerate(starts, start=9200):
        rule = faults.add(
            FaultRule(
                function=api,
                action="sqs:SendMessage",
                effect="error",
                when=when,
                times=SDK_ATTEMPTS,
            )
        )
        with pytest.raises(ApiError) as refused:
            client.submit(SIZE, "binary", seed=seed, mode="async")
        assert faults.rule(rule)["hits"] == SDK_ATTEMPTS
        faults.remove(rule)
        assert (refused.value.status, refused.value.code) == (503, "jobs_unavailable")
        [job_id] = _job_ids_with_seed(local, outputs["jobs_table_name"], seed)
        status = _job_status(published, job_id)
        job = AcceptedJob.from_json({**status, "status_url": f"/files/{job_id}"})
        cases.append(Case(name, "failed", seed, job=job))
    seed = 9300
    rule = faults.add(
        FaultRule(
            function=api,
            action="sqs:SendMessage",
            effect="error",
            when="after",
            times=SDK_ATTEMPTS,
        )
    )
    with pytest.raises(ApiError):
        client.submit(SIZE, "binary", seed=seed, mode="async", idempotency_key="faults-9300")
    faults.remove(rule)
    # The caller retries with the same key: a failed first attempt left no answer to repeat.
    job = client.submit(SIZE, "binary", seed=seed, mode="async", idempotency_key="faults-9300")
    assert isinstance(job, AcceptedJob)
    first = [
        j for j in _job_ids_with_seed(local, outputs["jobs_table_name"], seed) if j != job.job_id
    ]
    cases.append(Case("a POST retried with its Idempotency-Key", "succeeded", seed, job=job,
                      extra_jobs=first))  # fmt: skip
    return cases


def _until_final(local: Cloud, outputs: dict[str, Any], cases: list[Case], started: float) -> None:
    """Until every job is final, read from the job table (the API function is not called while
    the time scale shortens its timeout).

    The bound counts from a job's first claim, as docs/operations.md states it: before that a job
    waits for one of the worker's `worker_max_concurrency` slots behind the matrix's other jobs,
    a wait that depends on the machine's load, so the whole matrix gets a looser deadline of its
    own (every job must still end)."""
    names = {case.job.job_id: case.name for case in cases if case.job is not None}
    names |= {job_id: f"{case.name} (earlier)" for case in cases for job_id in case.extra_jobs}
    pending = set(names)
    claimed: dict[str, float] = {}
    over: dict[str, float] = {}
    dynamodb = local.workload().dynamodb()
    while pending:
        now = time.monotonic()
        for job_id in sorted(pending):
            item = dynamodb.get_item(
                TableName=outputs["jobs_table_name"],
                Key={"id": {"S": f"job#{job_id}"}},
                ConsistentRead=True,
            )["Item"]
            status = item["status"]["S"]
            if status != "queued" or "attempt" in item:
                claimed.setdefault(job_id, now)
            if status in ("succeeded", "failed"):
                pending.discard(job_id)
                if now - claimed[job_id] >= BOUND_SECONDS:
                    over[job_id] = now - claimed[job_id]
        waited = time.monotonic() - started
        assert waited < MATRIX_DEADLINE_SECONDS, (
            f"jobs not final after {waited:.0f} s: {sorted(names[job] for job in pending)}"
        )
        time.sleep(1)
    assert not over, {names[job]: f"{seconds:.0f} s" for job, seconds in over.items()}


def _case_ids() -> list[str]:
    names = [name for name, _, _ in WORKER_CASES]
    return [*names, "the start of the job fails", "the start of the job times out",
            "a POST retried with its Idempotency-Key"]  # fmt: skip


@pytest.mark.parametrize("name", _case_ids())
def test_every_job_ends_within_the_bound_and_the_bucket_agrees(
    name: str, matrix: list[Case], local: Cloud, published: Published, faults: FaultClient
) -> None:
    [case] = [case for case in matrix if case.name == name]
    assert case.job is not None
    status = _job_status(published, case.job.job_id)
    assert status["status"] == case.ends, (status, [faults.rule(r) for r in case.rule_ids])
    objects = _objects(local, case.job.bucket, case.job.key)
    assert _open_uploads(local, case.job.bucket, case.job.key) == []
    if case.ends == "failed":
        assert objects == []
        return
    [version] = objects
    assert (version["VersionId"], version["Size"]) == (status["version_id"], SIZE)
    body = (
        local.data()
        .s3()
        .get_object(Bucket=case.job.bucket, Key=case.job.key, VersionId=version["VersionId"])[
            "Body"
        ]
        .read()
    )
    assert hashlib.sha256(body).hexdigest() == status["sha256"]
    for rule_id, rule in zip(case.rule_ids, case.rules, strict=True):
        # The fault hit the step it names, as often as it says: a case that passed without its
        # fault would prove nothing.
        hits = faults.rule(rule_id)["hits"]
        if rule.times == EVERY_ATTEMPT:
            assert MAX_RECEIVE_COUNT <= hits < EVERY_ATTEMPT, faults.rule(rule_id)
        else:
            assert hits == rule.times, faults.rule(rule_id)
    for other in case.extra_jobs:
        earlier = _job_status(published, other)
        assert earlier["status"] == "failed"
        assert _objects(local, earlier["bucket"], earlier["key"]) == []
