"""Warm execution environments (localcloud.environments): real function processes on the
runtime's Python, speaking the Runtime API through awslambdaric, on 127.0.0.1.

A small package built here stands in for a function: its module counts how often it was imported
and called, so a test sees whether the Init phase ran again and which process served a call.
No emulator: the execution role is a fixed set of credentials the handlers never use, and the log
lines Lambda would write are collected instead of sent.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud import runtime
from localcloud.aws import Credentials, Identity
from localcloud.environments import EnvironmentLimits, Environments, RoleNotAssumed
from localcloud.model import Function, function_from_configuration

HANDLERS = """
import os
import tempfile
import time

print("init ran in", os.getpid())
CALLS = 0


def count(event, context):
    global CALLS
    CALLS += 1
    marker = os.path.join(tempfile.gettempdir(), "marker")
    seen = os.path.exists(marker)
    open(marker, "w").close()
    if event.get("crash"):
        os._exit(3)
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        raise ValueError("failed on purpose")
    print("call", CALLS)
    return {"pid": os.getpid(), "calls": CALLS, "tmp_seen": seen, "id": context.aws_request_id}
"""

ROLE = Identity("http://127.0.0.1:9", Credentials("ASIAEXAMPLE", "secret", "token"), "eu-north-1")
# The function runs on the version of the Python running the tests.
RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


@dataclasses.dataclass
class Bench:
    zip_path: Path
    function: Function
    environments: Environments
    delivered: list[runtime.InvocationLog]
    assumed: list[int]

    def assume(self, seconds: int) -> Identity:
        self.assumed.append(seconds)
        return ROLE

    def invoke(self, event: dict[str, Any], function: Function | None = None) -> dict[str, Any]:
        invocation = self.environments.invoke(
            self.zip_path, function or self.function, event, assume_role=self.assume
        )
        result: dict[str, Any] = invocation.outcome["result"]
        return result


def _package(folder: Path, source: str) -> Path:
    zip_path = folder / "function.zip"
    with zipfile.ZipFile(zip_path, "w") as package:
        package.writestr("handlers.py", source)
    return zip_path


def _function(zip_path: Path) -> Function:
    """The function as Lambda's GetFunction describes it."""
    return function_from_configuration(
        {
            "FunctionName": "counter",
            "FunctionArn": "arn:aws:lambda:eu-west-1:111111111111:function:counter",
            "Handler": "handlers.count",
            "Runtime": RUNTIME,
            "Role": "arn:aws:iam::111111111111:role/counter",
            "Timeout": 30,
            "CodeSha256": runtime.code_sha256(zip_path),
        }
    )


def _bench(
    tmp_path: Path,
    source: str = HANDLERS,
    limits: EnvironmentLimits | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Bench]:
    delivered: list[runtime.InvocationLog] = []

    def deliver(function: Function, role: Identity, log: runtime.InvocationLog) -> None:
        del function, role
        delivered.append(log)

    zip_path = _package(tmp_path, source)
    environments = Environments(deliver=deliver, limits=limits, clock=clock)
    try:
        yield Bench(zip_path, _function(zip_path), environments, delivered, [])
    finally:
        environments.stop()


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    yield from _bench(tmp_path)


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_warm_environment_serves_the_next_call_and_the_module_is_imported_once(
    bench: Bench,
) -> None:
    first = bench.invoke({})
    second = bench.invoke({})

    assert second["pid"] == first["pid"]
    # Module globals and /tmp last as long as the environment, as on Lambda.
    assert (first["calls"], second["calls"]) == (1, 2)
    assert (first["tmp_seen"], second["tmp_seen"]) == (False, True)
    assert first["id"] != second["id"]
    assert len(bench.assumed) == 1
    cold, warm = bench.delivered
    assert cold.stream == warm.stream
    assert f"init ran in {first['pid']}" in cold.init_output
    assert warm.init_output == ""
    assert "call 2" in warm.output
    assert "call 1" not in warm.output
    assert cold.report.init_duration_ms is not None
    assert "\tInit Duration: " in cold.report.line()
    assert warm.report.init_duration_ms is None
    assert "Init Duration" not in warm.report.line()


def test_overlapping_calls_run_in_environments_of_their_own(bench: Bench) -> None:
    results: list[dict[str, Any]] = []

    def call() -> None:
        results.append(bench.invoke({"sleep": 1.5}))

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({result["pid"] for result in results}) == 2
    # Each environment has its own /tmp.
    assert not any(result["tmp_seen"] for result in results)
    assert len({report.stream for report in bench.delivered}) == 2
    # Both are then warm: the next call reuses one of them.
    assert bench.invoke({})["pid"] in {result["pid"] for result in results}
    assert len(bench.assumed) == 2


def test_a_handled_error_keeps_the_environment(bench: Bench) -> None:
    pid = bench.invoke({})["pid"]
    failed = bench.environments.invoke(
        bench.zip_path, bench.function, {"fail": True}, assume_role=bench.assume
    )
    assert failed.outcome["error"]["errorType"] == "ValueError"
    assert failed.outcome["error"]["errorMessage"] == "failed on purpose"
    assert "[ERROR] ValueError: failed on purpose" in bench.delivered[-1].output
    after = bench.invoke({})
    assert (after["pid"], after["calls"]) == (pid, 3)


def test_a_crashed_environment_is_replaced_and_initialised_again(bench: Bench) -> None:
    pid = bench.invoke({})["pid"]
    with pytest.raises(runtime.InvocationError, match="runtime exited with 3"):
        bench.invoke({"crash": True})
    assert _gone(pid)
    after = bench.invoke({})
    assert after["pid"] != pid
    assert after["calls"] == 1
    assert bench.delivered[-1].report.init_duration_ms is not None


def test_a_timed_out_environment_is_killed_and_replaced(tmp_path: Path) -> None:
    for bench in _bench(tmp_path):
        function = dataclasses.replace(bench.function, timeout=1)
        pid = bench.invoke({}, function)["pid"]
        with pytest.raises(runtime.InvocationError, match=r"Task timed out after 1\.00 seconds"):
            bench.invoke({"sleep": 5}, function)
        assert _gone(pid)
        assert "Task timed out after 1.00 seconds" in bench.delivered[-1].output
        assert bench.invoke({}, function)["pid"] != pid


def test_a_new_configuration_gets_a_new_environment_and_retires_the_old(bench: Bench) -> None:
    pid = bench.invoke({})["pid"]
    changed = dataclasses.replace(bench.function, environment={"SETTING": "new"})
    assert bench.invoke({}, changed)["pid"] != pid
    assert _gone(pid)


def test_new_code_gets_a_new_environment_that_runs_it(bench: Bench, tmp_path: Path) -> None:
    pid = bench.invoke({})["pid"]
    folder = tmp_path / "v2"
    folder.mkdir()
    new_zip = _package(folder, HANDLERS.replace('"calls": CALLS', '"calls": CALLS, "version": 2'))
    updated = dataclasses.replace(bench.function, code_sha256=runtime.code_sha256(new_zip))

    after = bench.environments.invoke(new_zip, updated, {}, assume_role=bench.assume)

    assert after.outcome["result"]["version"] == 2
    assert after.outcome["result"]["pid"] != pid
    assert _gone(pid)


def test_an_environment_is_not_given_a_call_that_could_outlast_its_credentials(
    tmp_path: Path,
) -> None:
    now = [1000.0]
    limits = EnvironmentLimits(credentials_seconds=900, credentials_margin_seconds=60)
    for bench in _bench(tmp_path, limits=limits, clock=lambda: now[0]):
        pid = bench.invoke({})["pid"]
        # Credentials from 1000 to 1900: a 30 s call with 60 s to spare may start until 1810.
        now[0] = 1809.0
        assert bench.invoke({})["pid"] == pid
        now[0] = 1811.0
        assert bench.invoke({})["pid"] != pid
        assert bench.assumed == [900, 900]
        assert _gone(pid)


def test_an_import_error_fails_the_call_as_lambdas_init_error(tmp_path: Path) -> None:
    for bench in _bench(tmp_path, source="import no_such_module\n"):
        invocation = bench.environments.invoke(
            bench.zip_path, bench.function, {}, assume_role=bench.assume
        )
        assert invocation.outcome["error"]["errorType"] == "Runtime.ImportModuleError"
        assert "no_such_module" in invocation.outcome["error"]["errorMessage"]
        assert bench.environments.pids() == []


def test_a_role_that_cannot_be_assumed_starts_no_environment(bench: Bench) -> None:
    def refuse(seconds: int) -> Identity:
        raise PermissionError(f"AccessDenied for {seconds} s")

    with pytest.raises(RoleNotAssumed, match="AccessDenied"):
        bench.environments.invoke(bench.zip_path, bench.function, {}, assume_role=refuse)
    assert bench.environments.pids() == []


def test_stop_ends_every_function_process(bench: Bench) -> None:
    bench.invoke({})
    pids = bench.environments.pids()
    assert len(pids) == 1

    bench.environments.stop()

    assert all(_gone(pid) for pid in pids)
    with pytest.raises(runtime.InvocationError, match="stopping"):
        bench.invoke({})
