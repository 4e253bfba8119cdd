"""The runtime side of one invocation, run as a script in a fresh interpreter.

Started with ``python -S -E -s`` and an environment holding only what Lambda gives a function, so
nothing of the developer's machine leaks in: sys.path is the task root, then the runtime's
libraries (boto3, as the Lambda Python runtime provides it), both passed on the command line.
Reads the event from stdin and writes {"result": ...} or {"error": ...} to the result file, with
"python_version", the version this interpreter really is.
Standard library only: this file must not import localcloud.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method of the context object Lambda passes to Python handlers."""

    def __init__(self, request_id: str, invoked_arn: str, deadline_ms: float) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = request_id
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))


def _invoke(task_root: str, event: Any, context: LambdaContext) -> dict[str, Any]:
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name)
        origin = os.path.realpath(getattr(module, "__file__", None) or "")
        if not origin.startswith(os.path.realpath(task_root) + os.sep):
            raise ImportError(f"{module_name} was loaded from {origin}, not the deployment package")
        return {"result": getattr(module, function_name)(event, context)}
    except Exception as error:
        return {
            "error": {
                "errorType": type(error).__name__,
                "errorMessage": str(error),
                "stackTrace": traceback.format_exc().splitlines(),
            }
        }


def main() -> None:
    result_path, request_id, invoked_arn, deadline_ms, *library_paths = sys.argv[1:]
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    # Lambda's order: the package first, then the runtime's libraries, then the standard library.
    sys.path[:] = [task_root, *library_paths, *sys.path[1:]]
    os.chdir(task_root)
    context = LambdaContext(request_id, invoked_arn, float(deadline_ms))
    outcome = _invoke(task_root, json.load(sys.stdin), context)
    with open(result_path, "w", encoding="utf-8") as handle:
        json.dump({**outcome, "python_version": platform.python_version()}, handle)


if __name__ == "__main__":
    main()
