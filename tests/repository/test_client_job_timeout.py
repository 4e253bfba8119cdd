"""The client's default wait for a job covers the bound the function module gives a job: its
deliveries (the jobs queue's job_max_receive_count) each of the worker's timeout x 1.1 + 1 s (the
visibility a delivery sets before it claims the job), as docs/operations.md states. A change of
either default there that the client's wait no longer covers must move the client's default (and
its docs) with it."""

from __future__ import annotations

import re
from pathlib import Path

from randfile_client.client import DEFAULT_JOB_TIMEOUT_SECONDS

MODULE = Path(__file__).resolve().parents[2] / "infra" / "modules" / "function"


def _default(variables: str, name: str) -> int:
    found = re.search(rf'variable "{name}" \{{.*?default\s*=\s*(\d+)', variables, re.DOTALL)
    assert found is not None, name
    return int(found.group(1))


def test_the_default_wait_covers_the_bound_a_job_ends_within() -> None:
    variables = (MODULE / "variables.tf").read_text()
    receive_count = _default(variables, "job_max_receive_count")
    worker_timeout = _default(variables, "worker_timeout")
    assert (receive_count, worker_timeout) == (3, 900), "docs/operations.md states the bound"
    assert receive_count * (worker_timeout * 1.1 + 1) <= DEFAULT_JOB_TIMEOUT_SECONDS
