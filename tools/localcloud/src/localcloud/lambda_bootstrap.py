"""The runtime's entry point in the function's process: Lambda's bootstrap, for one execution
environment that serves invocation after invocation.

Started with ``python -S -E -s`` and an environment holding only what Lambda gives a function, so
nothing of the developer's machine leaks in. The arguments are the folders to import from after
the task root: the runtime's libraries (boto3, as the Lambda Python runtime provides it), then the
runtime interface client (awslambdaric) installed for this interpreter (localcloud.runtime_client).
The client then does what it does in the managed runtime: imports the handler's module once (the
Init phase) and loops on the Runtime API at AWS_LAMBDA_RUNTIME_API, running the handler once per
event. Standard library only until then: this file must not import localcloud.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    library_paths = sys.argv[1:]
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    # Lambda's order: the package first, then the runtime's libraries, then the standard library.
    sys.path[:] = [task_root, *library_paths, *sys.path[1:]]
    os.chdir(task_root)
    # Imported once sys.path holds the folder it is installed in.
    # It is installed for the runtime's interpreter, not in the virtualenv mypy checks against.
    from awslambdaric import (  # type: ignore[import-not-found]  # noqa: PLC0415
        __main__ as runtime_interface_client,
    )

    runtime_interface_client.main(["awslambdaric", os.environ["_HANDLER"]])


if __name__ == "__main__":
    main()
