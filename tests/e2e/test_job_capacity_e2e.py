"""Jobs never take what the API needs: on an account whose Lambda concurrency is 10 (a new
account's quota), with 20 jobs waiting, `POST /files` still answers 201, because the jobs queue's
event source mapping starts at most `worker_max_concurrency` (2) worker runs at once
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html#events-sqs-max-concurrency).
The local cloud counts concurrency per account as Lambda does and throttles past it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.endpoint import Published
from localcloud.faults import FaultClient
from randfile_client import AcceptedJob, CreatedFile, RetryPolicy
from randfile_localcloud.cloud import Cloud
from tests.e2e.api_client import api_client
from tests.e2e.jobs_mapping import jobs_waiting

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("localcloud_jobs")]

MIB = 2**20
NEW_ACCOUNT_CONCURRENCY = 10
WAITING_JOBS = 20
JOB_SIZE = 64 * MIB
WORKER_MAX_CONCURRENCY = 2
"""infra/stack's default worker_max_concurrency, which the local deployment keeps."""


@pytest.fixture
def small_account(local: Cloud) -> Iterator[FaultClient]:
    control = FaultClient(local.endpoint_url)
    before = control.status()["account_concurrency"]
    control.settings(account_concurrency=NEW_ACCOUNT_CONCURRENCY)
    control.reset_concurrency_peaks()
    try:
        yield control
    finally:
        control.settings(account_concurrency=before)


def _figure(control: FaultClient, account: str, function: str, name: str) -> int:
    figures: dict[str, Any] = control.status()["concurrency"].get(account, {})
    return int(figures.get(function, {}).get(name, 0))


def _peak(control: FaultClient, account: str, function: str) -> int:
    return _figure(control, account, function, "peak")


def _running(control: FaultClient, account: str, function: str) -> int:
    return _figure(control, account, function, "running")


def test_with_20_jobs_waiting_on_a_10_concurrency_account_post_files_answers_201(
    local: Cloud, published: Published, outputs: dict[str, Any], small_account: FaultClient
) -> None:
    # The usage plan throttles past 5 requests a second: the client waits out its 429s, as
    # callers do.
    with api_client(published, poll_interval=0.5, retry=RetryPolicy()) as client:
        with jobs_waiting(local, outputs):
            jobs = [
                client.submit(JOB_SIZE + seed, "binary", seed=seed, mode="async")
                for seed in range(WAITING_JOBS)
            ]
        job_ids = [job.job_id for job in jobs if isinstance(job, AcceptedJob)]
        assert len(job_ids) == WAITING_JOBS

        def statuses() -> list[str]:
            return [str(client.job_status(job_id)["status"]) for job_id in job_ids]

        # While jobs wait and the worker runs at its cap, the API keeps answering at once.
        account, worker = outputs["workload_account_id"], outputs["worker_function_name"]
        beside: list[int] = []
        while len(beside) < 60 and beside.count(WORKER_MAX_CONCURRENCY) < 3:
            running = _running(small_account, account, worker)
            written = client.submit(1024, "text", mode="sync")
            assert isinstance(written, CreatedFile)
            beside.append(running)
            time.sleep(0.25)
        assert beside.count(WORKER_MAX_CONCURRENCY) >= 3, (
            f"worker runs beside the API: {beside}; {small_account.status()}"
        )
        deadline = time.monotonic() + 300
        while {"queued", "running"} & set(statuses()) and time.monotonic() < deadline:
            time.sleep(1)
        ended = statuses()
    assert ended == ["succeeded"] * WAITING_JOBS
    # The cap was reached and held.
    assert _peak(small_account, account, outputs["worker_function_name"]) == WORKER_MAX_CONCURRENCY
    assert _peak(small_account, account, outputs["function_name"]) >= 1
