"""The job variables' validation messages say what is accepted and why.

`terraform test` can only expect a variable to fail (expect_failures), not read its message, so
this plans each module with bad values (mock providers, no expect_failures) and reads the
messages Terraform prints. The modules' own tests/validation.tftest.hcl check that every rule
fails; this checks what each one tells the person who set the value.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TERRAFORM = REPO / "scripts" / "terraform"
LOCK_FILE = REPO / "infra" / "stack" / ".terraform.lock.hcl"


def messages(module: str, bad_values: list[str], tmp_path: Path) -> str:
    """Plan a copy of the module with the bad values; what Terraform prints, whitespace collapsed.

    One run for all: a failed run skips the runs after it, and every validation is reported. The
    other inputs are the valid ones the module's tests start from (its tests/terraform.tfvars)."""
    # The modules beside it too (monitoring calls ../_kms-key-policy), and the shared mocks.
    shutil.copytree(
        REPO / "infra", tmp_path / "infra", ignore=shutil.ignore_patterns(".terraform*")
    )
    copy = tmp_path / "infra" / "modules" / module
    for test_file in (copy / "tests").glob("*.tftest.hcl"):
        test_file.unlink()
    blocks = ['mock_provider "aws" {\n  source = "../../tests/mocks/workload"\n}\n']
    assignments = "\n    ".join(bad_values)
    blocks.append(
        f'run "bad_values" {{\n  command = plan\n\n  variables {{\n    {assignments}\n  }}\n}}\n'
    )
    (copy / "tests" / "messages.tftest.hcl").write_text("\n".join(blocks), encoding="utf-8")
    shutil.copy(LOCK_FILE, copy / ".terraform.lock.hcl")
    environment = {**os.environ, "TF_DATA_DIR": str(copy / ".terraform")}

    def terraform(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(TERRAFORM), f"-chdir={copy}", *arguments, "-no-color"],
            capture_output=True,
            text=True,
            env=environment,
            check=False,
        )

    initialised = terraform("init", "-backend=false", "-input=false", "-lockfile=readonly")
    assert initialised.returncode == 0, initialised.stdout + initialised.stderr
    result = terraform("test")
    output = result.stdout + result.stderr
    assert 'run "bad_values"... fail' in output, output
    return " ".join(output.split())


def test_the_function_module_explains_the_job_limits(tmp_path: Path) -> None:
    found = messages(
        "function",
        ["max_job_bytes = 67080000001", "worker_max_concurrency = 1", "job_max_receive_count = 11"],
        tmp_path,
    )

    assert (
        "max_job_bytes 67080000001 cannot be written within worker_timeout: the worker writes "
        "about 86 MB/s with worker_memory_size 1769 MB (docs/performance.md) and keeps 120 s of "
        "its 900 s for CompleteMultipartUpload (min(120 s, 15 %), AWS documents that it can take "
        "minutes), so at most 67080000000 bytes in 780 s."
    ) in found
    assert (
        "worker_max_concurrency must be a whole number from 2 to 1000 (the range AWS accepts for "
        "an SQS event source mapping's maximum concurrency)."
    ) in found
    assert "job_max_receive_count must be a whole number from 1 to 10." in found


def test_the_monitoring_module_explains_the_job_alarm_limits(tmp_path: Path) -> None:
    found = messages(
        "monitoring",
        [
            "job_oldest_waiting_threshold_seconds = 299",
            "jobs_dead_letter_alarm_periods = 0",
            "jobs_failed_threshold = 0.5",
        ],
        tmp_path,
    )

    assert (
        "job_oldest_waiting_threshold_seconds must be a whole number of seconds from 300 (the "
        "alarm's period) to 1209600 (14 days, SQS's longest retention)."
    ) in found
    assert (
        "jobs_dead_letter_alarm_periods must be a whole number from 1 to 288 (a day of 5-minute "
        "periods)."
    ) in found
    assert "jobs_failed_threshold must be a whole number, 0 or more." in found
