"""Run the deployed function's handler from the built zip, as Lambda would, in its own process.

The process sees only what Lambda gives a function: its configured environment, credentials of
its execution role (assumed on the emulator), the runtime's reserved variables, and one addition,
AWS_ENDPOINT_URL, that sends its AWS calls to the emulator.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import math
import subprocess  # nosec B404
import sysconfig
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud import interpreters
from localcloud.aws import Identity
from localcloud.model import Function, WiringError

BOOTSTRAP = Path(__file__).with_name("lambda_bootstrap.py")
# Time for the interpreter to start, on top of the function's own timeout.
STARTUP_ALLOWANCE_SECONDS = 10


class InvocationError(RuntimeError):
    """The function could not be run, timed out, or failed the way Lambda reports as an error."""


@dataclass(frozen=True)
class Invocation:
    request_id: str
    outcome: dict[str, Any]
    logs: str
    duration_ms: float
    interpreter: interpreters.Interpreter
    """The Python the function ran on, with the version that process reported."""


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


def _library_paths() -> list[str]:
    # The venv's boto3 stands in for the one the Lambda Python runtime ships; it is pure Python, so
    # it also serves a runtime interpreter of another version than the venv's.
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def log_stream(request_id: str) -> str:
    """The log stream Lambda names for an execution environment: date, version, an id."""
    return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{request_id.replace('-', '')[:32]}"


def deliver_logs(
    function: Function, role: Identity, request_id: str, output: str, duration_ms: float
) -> None:
    """Writes an invocation's output to the function's log group the way Lambda does, between its
    START, END and REPORT lines, so that `make logs` (aws logs tail), the saved Logs Insights
    queries and the runbook read the same lines here as on AWS. Written with the execution role's
    credentials: on AWS, the role's logs:CreateLogStream and logs:PutLogEvents are what let Lambda
    write them (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html)."""
    logs = role.logs()
    group, stream = f"/aws/lambda/{function.name}", log_stream(request_id)
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {function.memory_size} MB"
    )
    lines = [
        f"START RequestId: {request_id} Version: $LATEST",
        *output.splitlines(),
        f"END RequestId: {request_id}",
        report,
    ]
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now, "message": line} for line in lines],
    )


def environment(
    function: Function, role: Identity, task_root: Path, request_id: str
) -> dict[str, str]:
    """The variables Lambda sets for a Python function, then the function's own."""
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
        "AWS_LAMBDA_LOG_STREAM_NAME": log_stream(request_id),
        "LAMBDA_TASK_ROOT": str(task_root),
        "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONDONTWRITEBYTECODE": "1",
        **role.credentials.as_environment(),
        "AWS_ENDPOINT_URL": role.endpoint_url,
    }
    if function.tracing_mode == "Active":
        reserved["_X_AMZN_TRACE_ID"] = (
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=1"
        )
    # Lambda refuses reserved names in the function's configuration, so they cannot collide.
    return {**function.environment, **reserved}


def invoke(
    zip_path: Path,
    function: Function,
    role: Identity,
    event: Any,
    *,
    request_id: str | None = None,
) -> Invocation:
    """Unpack the zip and call its handler once in a separate interpreter, of the function's
    runtime's Python version where this machine has one. ``request_id``: an asynchronous event's,
    which Lambda keeps over its retries; otherwise a new one."""
    check_code(zip_path, function)
    try:
        interpreter = interpreters.for_runtime(function.runtime)
    except ValueError as error:
        raise InvocationError(f"function {function.name}: {error}") from error
    request_id = request_id or str(uuid.uuid4())
    with tempfile.TemporaryDirectory(prefix="localcloud-task-") as scratch:
        task_root = Path(scratch) / "task"
        with zipfile.ZipFile(zip_path) as package:
            package.extractall(task_root)
        result_file = Path(scratch) / "result.json"
        started = time.monotonic()
        deadline_ms = time.time() * 1000 + function.timeout * 1000
        try:
            process = subprocess.run(  # noqa: S603  # nosec B603
                [
                    interpreter.executable,
                    "-S",
                    "-E",
                    "-s",
                    str(BOOTSTRAP),
                    str(result_file),
                    request_id,
                    function.arn,
                    f"{deadline_ms:.0f}",
                    *_library_paths(),
                ],
                input=json.dumps(event),
                capture_output=True,
                text=True,
                env=environment(function, role, task_root, request_id),
                cwd=task_root,
                timeout=function.timeout + STARTUP_ALLOWANCE_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            message = f"Task timed out after {function.timeout} seconds"
            output = error.output if isinstance(error.output, str) else ""
            deliver_logs(function, role, request_id, f"{output}{message}", function.timeout * 1000)
            raise InvocationError(f"function {function.name}: {message}") from error
        duration_ms = (time.monotonic() - started) * 1000
        logs = process.stdout + process.stderr
        deliver_logs(function, role, request_id, logs, duration_ms)
        if process.returncode != 0 or not result_file.is_file():
            raise InvocationError(
                f"function {function.name}'s runtime exited with {process.returncode}:\n{logs}"
            )
        outcome: dict[str, Any] = json.loads(result_file.read_text())
    ran_on = dataclasses.replace(interpreter, version=outcome.pop("python_version"))
    return Invocation(
        request_id=request_id,
        outcome=outcome,
        logs=logs,
        duration_ms=duration_ms,
        interpreter=ran_on,
    )
