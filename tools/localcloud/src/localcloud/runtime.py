"""What the Lambda sandbox is made of: the function's process environment, its code check, the
outcome of an invocation and the log lines Lambda writes around it. localcloud.environments runs
the processes (warm execution environments), localcloud.runtime_api is how they talk to it.

The process sees only what Lambda gives a function: its configured environment, credentials of
its execution role (assumed on the emulator), the runtime's reserved variables, and one addition,
AWS_ENDPOINT_URL, that sends its AWS calls to the emulator.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import math
import sysconfig
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud import interpreters
from localcloud.aws import Identity
from localcloud.model import Function, WiringError

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")


class InvocationError(RuntimeError):
    """The function could not be run, timed out, or failed the way Lambda reports as an error."""


@dataclass(frozen=True)
class Invocation:
    request_id: str
    outcome: dict[str, Any]
    logs: str
    duration_ms: float
    interpreter: interpreters.Interpreter
    """The Python the function ran on (its version checked when it was found)."""
    init_duration_ms: float | None = None
    """The Init phase's duration when this invocation started its environment (a cold start)."""


def code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256: base64 of the package's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()


def check_code(zip_path: Path, function: Function) -> None:
    if not zip_path.is_file():
        raise WiringError(f"{zip_path} does not exist: run `make build`")
    local = code_sha256(zip_path)
    if local != function.code_sha256:
        raise WiringError(
            f"{zip_path} (CodeSha256 {local}) is not the code deployed to function "
            f"{function.name} (CodeSha256 {function.code_sha256}): deploy it again (make demo)"
        )


def library_paths() -> list[str]:
    # The venv's boto3 stands in for the one the Lambda Python runtime ships; it is pure Python, so
    # it also serves a runtime interpreter of another version than the venv's.
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def log_stream(environment_id: str) -> str:
    """The log stream Lambda names for an execution environment: date, version, the environment's
    id. One environment writes to one stream for its whole life
    (https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html)."""
    return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{environment_id.replace('-', '')[:32]}"


@dataclass(frozen=True)
class Report:
    """The figures of Lambda's REPORT line for one invocation."""

    request_id: str
    duration_ms: float
    memory_size_mb: int
    max_memory_used_mb: int | None = None
    init_duration_ms: float | None = None

    def line(self) -> str:
        """Lambda's REPORT line: Init Duration only on the invocation that initialised its
        environment, the cold start (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html,
        "REPORT line data fields")."""
        fields = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {math.ceil(self.duration_ms)} ms",
            f"Memory Size: {self.memory_size_mb} MB",
        ]
        if self.max_memory_used_mb is not None:
            fields.append(f"Max Memory Used: {self.max_memory_used_mb} MB")
        if self.init_duration_ms is not None:
            fields.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        return "\t".join(fields)


@dataclass(frozen=True)
class InvocationLog:
    """What Lambda writes to an environment's log stream for one invocation."""

    stream: str
    report: Report
    output: str
    init_output: str = ""
    """A cold start's output of the Init phase, written before the START line."""

    def lines(self) -> list[str]:
        request_id = self.report.request_id
        return [
            *self.init_output.splitlines(),
            f"START RequestId: {request_id} Version: $LATEST",
            *self.output.splitlines(),
            f"END RequestId: {request_id}",
            self.report.line(),
        ]


def deliver_logs(function: Function, role: Identity, log: InvocationLog) -> None:
    """Writes an invocation's output to the function's log group the way Lambda does, between its
    START, END and REPORT lines (a cold start's Init output before them), so that `make logs`
    (aws logs tail), the saved Logs Insights queries and the runbook read the same lines here as
    on AWS. Written with the execution role's credentials: on AWS, the role's logs:CreateLogStream
    and logs:PutLogEvents are what let Lambda write them
    (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html)."""
    logs = role.logs()
    group = f"/aws/lambda/{function.name}"
    # The environment's stream is made by its first invocation, the one that ran its Init phase.
    if log.report.init_duration_ms is not None:
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_stream(logGroupName=group, logStreamName=log.stream)
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=log.stream,
        logEvents=[{"timestamp": now, "message": line} for line in log.lines()],
    )


def environment(
    function: Function, role: Identity, task_root: Path, stream: str, runtime_api: str
) -> dict[str, str]:
    """The variables Lambda sets for a Python function's execution environment, then the
    function's own. The trace header changes per invocation: the runtime client sets
    _X_AMZN_TRACE_ID from the Runtime API's Lambda-Runtime-Trace-Id."""
    reserved = {
        "_HANDLER": function.handler,
        "AWS_REGION": role.region,
        "AWS_DEFAULT_REGION": role.region,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": function.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": stream,
        "AWS_LAMBDA_RUNTIME_API": runtime_api,
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        **role.credentials.as_environment(),
        "AWS_ENDPOINT_URL": role.endpoint_url,
    }
    # Lambda refuses reserved names in the function's configuration, so they cannot collide.
    return {**function.environment, **reserved}


def trace_id(function: Function) -> str | None:
    """An X-Ray trace header for one invocation of an actively traced function."""
    if function.tracing_mode != "Active":
        return None
    return (
        f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
        f"Parent={uuid.uuid4().hex[:16]};Sampled=1"
    )
