"""The client's default wait for a job is the longest Lambda may go on trying it, as the
function module configures the worker: its event's maximum age plus the worker's timeout. A
change to either there must move the client's default (and its docs) with it."""

from __future__ import annotations

import re
from pathlib import Path

from randfile_client.client import DEFAULT_JOB_TIMEOUT_SECONDS

MODULE = Path(__file__).resolve().parents[2] / "infra" / "modules" / "function"


def _number(text: str, pattern: str) -> int:
    found = re.search(pattern, text, re.DOTALL)
    assert found is not None, pattern
    return int(found.group(1))


def test_the_default_wait_is_the_event_age_plus_the_worker_timeout() -> None:
    main = (MODULE / "main.tf").read_text()
    variables = (MODULE / "variables.tf").read_text()
    event_age = _number(main, r"maximum_event_age_in_seconds\s*=\s*(\d+)")
    worker_timeout = _number(variables, r'variable "worker_timeout" \{.*?default\s*=\s*(\d+)')
    assert event_age + worker_timeout == DEFAULT_JOB_TIMEOUT_SECONDS
