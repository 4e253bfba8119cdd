"""Warm execution environments: a function's process is kept and reused, as Lambda keeps them.

Lambda runs a function in an execution environment whose lifecycle is Init (start the runtime,
import the handler's module: once), Invoke (the handler, once per event, one event at a time) and
Shutdown; an idle environment is kept for the next event, and a second one is started only when
events overlap
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html). Here:

- an environment is one process of the runtime's Python running the runtime interface client
  (lambda_bootstrap.py, localcloud.runtime_client) on its own Runtime API (localcloud.runtime_api),
  from its own unpacked copy of the zip, with a /tmp (TMPDIR) of its own that lasts as long as it;
- an idle environment of the same configuration (code, handler, runtime, memory, timeout, role,
  variables: the whole ``Function``) serves the next invocation; when all are busy a new one is
  started, up to ``max_per_function`` (beyond it an invocation waits for one to be free: the
  local cloud does not throttle);
- an environment is replaced after its runtime exits or an invocation times out (the process is
  killed), when the function's configuration changes, and before its role's credentials expire
  (they come from AssumeRole with a limited duration: it is not given an invocation that could
  outlast them); an idle one is stopped after ``idle_seconds``;
- each writes to its own log stream; the invocation that started it carries the Init output and
  the REPORT line's Init Duration;
- ``stop`` ends every process (the emulator calls it when it stops).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import select
import shutil
import subprocess  # nosec B404
import tempfile
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from localcloud import interpreters, native, runtime, runtime_client
from localcloud.aws import Identities, Identity
from localcloud.concurrency import AccountConcurrency, Slot
from localcloud.model import Function
from localcloud.runtime_api import Event, InitError, Outcome, RuntimeApiServer
from localcloud.timescale import scaled

logger = logging.getLogger(__name__)

# Lambda limits the Init phase to 10 s, then retries it on the first invocation within the
# function's timeout (the lifecycle page above): together, the longest an Init can take.
INIT_LIMIT_SECONDS = 10
_POLL_SECONDS = 0.1

AssumeRole = Callable[[int], Identity]
"""The execution role's credentials, valid for the given number of seconds."""
Deliver = Callable[[Function, Identity, runtime.InvocationLog], None]
"""Writes one invocation's log lines (runtime.deliver_logs)."""


@dataclass(frozen=True)
class EnvironmentLimits:
    """How many environments a function gets and how long one lives."""

    max_per_function: int = 10
    """A new account's Lambda concurrency quota."""
    idle_seconds: float = 600
    credentials_seconds: int = 3600
    """How long the execution role's credentials last (AssumeRole's DurationSeconds)."""
    credentials_margin_seconds: float = 60
    """Left over when an invocation that runs to its timeout ends."""


class RoleNotAssumed(RuntimeError):
    """Lambda could not assume the function's execution role to start an environment."""


class _Output:
    """The process's stdout and stderr, read as it writes them, taken per invocation.

    The runtime client flushes every write, so what the handler printed is in the pipe before it
    posts its response; ``take`` reads the pipe to its end under the same lock the reader thread
    holds while it reads, so no line of one invocation is left for the next."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._fd = stream.fileno()
        os.set_blocking(self._fd, False)
        self._lock = threading.Lock()
        self._buffer = bytearray()
        self._closed = False
        threading.Thread(target=self._pump, name="function-output", daemon=True).start()

    def _read_available(self) -> None:
        """Read what the pipe holds (the lock held); close it at its end."""
        while not self._closed:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            if not chunk:
                self._closed = True
                self._stream.close()
                return
            self._buffer += chunk

    def _pump(self) -> None:
        # poll, not select: the emulator's descriptors can pass select's limit of 1024.
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while not self._closed:
            poller.poll(500)
            with self._lock:
                self._read_available()

    def take(self) -> str:
        with self._lock:
            self._read_available()
            text = self._buffer.decode("utf-8", errors="replace")
            self._buffer.clear()
        return text


@dataclass(frozen=True)
class _Run:
    """One invocation in one environment, before its log lines are written."""

    invocation: runtime.Invocation
    report: runtime.Report
    init_output: str
    failure: str | None
    """Why the runtime failed (exit, timeout): raised as InvocationError once logged."""


def _outcome(report: Outcome | InitError) -> dict[str, Any]:
    """The runtime's answer as the gateway and the async invoker read it."""
    try:
        body: Any = json.loads(report.body) if report.body else None
    except ValueError:
        body = report.body.decode("utf-8", errors="replace")
    if isinstance(report, Outcome) and report.error_type is None:
        return {"result": body}
    if not isinstance(body, dict):
        body = {"errorType": report.error_type, "errorMessage": str(body)}
    return {"error": body}


def _max_memory_mb(pid: int) -> int | None:
    """The process's peak resident memory (VmHWM), Lambda's Max Memory Used."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return max(1, round(int(line.split()[1]) / 1024))
    return None


class ExecutionEnvironment:
    """One function process, its Runtime API and its files; one invocation at a time."""

    def __init__(
        self,
        zip_path: Path,
        function: Function,
        role: Identity,
        interpreter: interpreters.Interpreter,
        credentials_expire: float,
    ) -> None:
        self.zip_path = zip_path
        self.function = function
        self.role = role
        self.interpreter = interpreter
        self.credentials_expire = credentials_expire
        self.id = uuid.uuid4().hex
        self.stream = runtime.log_stream(self.id)
        self.last_used = time.monotonic()
        self._initialised = False
        self._max_memory_mb: int | None = None
        client = runtime_client.location(interpreter)
        self._scratch = Path(tempfile.mkdtemp(prefix="localcloud-environment-"))
        self._server = RuntimeApiServer()
        self._server.start()
        try:
            self.process = self._spawn(zip_path, client)
        except BaseException:
            self._server.stop()
            shutil.rmtree(self._scratch, ignore_errors=True)
            raise
        assert self.process.stdout is not None  # noqa: S101  # nosec B101  # stdout=PIPE
        self._output = _Output(self.process.stdout)

    def _spawn(self, zip_path: Path, client: Path) -> subprocess.Popen[bytes]:
        task_root = self._scratch / "task"
        with zipfile.ZipFile(zip_path) as package:
            package.extractall(task_root)
        # The package's native libraries are Lambda's architecture's; this machine runs its own.
        for swapped in native.substitute_foreign_extensions(task_root, runtime.library_paths()):
            logger.debug(
                "%s: %s runs as this machine's build", self.function.name, swapped.relative
            )
        tmp = self._scratch / "tmp"
        tmp.mkdir()
        variables = runtime.environment(
            self.function, self.role, task_root, self.stream, self._server.address
        )
        # Lambda's /tmp belongs to the environment: it lasts across invocations, no other sees it.
        variables["TMPDIR"] = str(tmp)
        self._started = time.monotonic()
        return subprocess.Popen(  # noqa: S603  # nosec B603
            [
                self.interpreter.executable,
                "-S",
                "-E",
                "-s",
                str(runtime.BOOTSTRAP),
                *runtime.library_paths(),
                str(client),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=variables,
            cwd=task_root,
        )

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _wait(self, deadline: float) -> str | Outcome | InitError | None:
        """The runtime's next report; None when it exited or the deadline passed."""
        reports = self._server.api.reports
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                return reports.get(timeout=min(_POLL_SECONDS, remaining))
            except queue.Empty:
                if not self.alive:
                    with contextlib.suppress(queue.Empty):
                        return reports.get_nowait()
                    return None

    def _failure(self, what: str) -> str:
        """Why the runtime stopped serving, killing it if it still runs."""
        name = self.function.name
        if self.alive:
            self.stop()
            return f"function {name}: Task timed out after {what}"
        return f"function {name}'s runtime exited with {self.process.returncode}"

    def invoke(self, payload: Any, request_id: str) -> _Run:
        # The timeout the runtime enforces and the context reports, in the local time scale.
        timeout = scaled(self.function.timeout)
        init_duration_ms: float | None = None
        init_output = ""
        if not self._initialised:
            report = self._wait(self._started + INIT_LIMIT_SECONDS + timeout)
            init_duration_ms = (time.monotonic() - self._started) * 1000
            init_output = self._output.take()
            if report != self._server.api.READY:
                return self._ended_in_init(report, request_id, init_duration_ms, init_output)
            self._initialised = True
        started = time.monotonic()
        self._server.api.hand(
            Event(
                request_id=request_id,
                payload=json.dumps(payload).encode(),
                deadline_ms=int(time.time() * 1000 + timeout * 1000),
                invoked_function_arn=self.function.arn,
                trace_id=runtime.trace_id(self.function),
            )
        )
        report = self._wait(started + timeout)
        while report == self._server.api.READY:
            report = self._wait(started + timeout)
        duration_ms = (time.monotonic() - started) * 1000
        failure = None
        if not isinstance(report, Outcome | InitError):
            failure = self._failure(f"{timeout:.2f} seconds")
        else:
            self._max_memory_mb = _max_memory_mb(self.process.pid) or self._max_memory_mb
        self.last_used = time.monotonic()
        output = self._output.take()
        if failure and "timed out" in failure:
            output += f"{failure.split(': ', 1)[1]}\n"
        return _Run(
            runtime.Invocation(
                request_id=request_id,
                outcome=_outcome(report) if isinstance(report, Outcome | InitError) else {},
                logs=output,
                duration_ms=duration_ms,
                interpreter=self.interpreter,
                init_duration_ms=init_duration_ms,
            ),
            runtime.Report(
                request_id,
                duration_ms,
                self.function.memory_size,
                self._max_memory_mb,
                init_duration_ms,
            ),
            init_output,
            failure,
        )

    def _ended_in_init(
        self,
        report: str | Outcome | InitError | None,
        request_id: str,
        init_duration_ms: float,
        init_output: str,
    ) -> _Run:
        """The Init phase failed: the invocation fails with its error (an exception raised while
        importing the handler is a function error, Runtime.ImportModuleError and the like), or
        with the runtime's exit or timeout; the environment is not reused."""
        failure = None
        if not isinstance(report, InitError):
            failure = self._failure(f"{INIT_LIMIT_SECONDS + self.function.timeout:.2f} seconds")
        self.stop()
        return _Run(
            runtime.Invocation(
                request_id=request_id,
                outcome=_outcome(report) if isinstance(report, InitError) else {},
                logs=init_output,
                duration_ms=0.0,
                interpreter=self.interpreter,
                init_duration_ms=init_duration_ms,
            ),
            runtime.Report(request_id, 0.0, self.function.memory_size, None, init_duration_ms),
            "",
            failure,
        )

    def stop(self) -> None:
        """Shutdown: the runtime is killed (Lambda sends SIGKILL to a runtime without
        extensions), then its Runtime API and files go."""
        if self.alive:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._server.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)


class Environments:
    """The execution environments of every function one process runs: the emulator's (API
    requests and Event invokes share them) or a test's."""

    def __init__(
        self,
        *,
        deliver: Deliver = runtime.deliver_logs,
        limits: EnvironmentLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        concurrency: AccountConcurrency | None = None,
    ) -> None:
        self._deliver = deliver
        self.concurrency = concurrency or AccountConcurrency()
        self._limits = limits or EnvironmentLimits()
        # What the credentials' lifetime is measured with (a test moves it on).
        self._clock = clock
        self._changed = threading.Condition()
        self._idle: list[ExecutionEnvironment] = []
        self._busy: list[ExecutionEnvironment] = []
        self._starting: dict[str, int] = {}
        self._current: dict[str, Function] = {}
        self._stopped = False

    def invoke(
        self,
        zip_path: Path,
        function: Function,
        event: Any,
        *,
        assume_role: AssumeRole,
        request_id: str | None = None,
        slot: Slot | None = None,
    ) -> runtime.Invocation:
        """Run the handler on ``event`` in a warm environment of ``function`` (or a new one),
        write its log lines, and answer its outcome. ``request_id``: an asynchronous event's,
        which Lambda keeps over its retries; otherwise a new one. Raises InvocationError when the
        runtime exits or times out, RoleNotAssumed when no environment could be started,
        concurrency.Throttled when the account's concurrency is spent (``slot``: one the caller
        already holds, as an event source mapping takes it before it receives)."""
        runtime.check_code(zip_path, function)
        request_id = request_id or str(uuid.uuid4())
        slot = slot or self.concurrency.acquire(function)
        try:
            environment = self._acquire(zip_path, function, assume_role)
            try:
                run = environment.invoke(event, request_id)
            finally:
                self._release(environment)
        finally:
            self.concurrency.release(slot)
        try:
            self._deliver(
                function,
                environment.role,
                runtime.InvocationLog(
                    environment.stream, run.report, run.invocation.logs, run.init_output
                ),
            )
        except Exception as error:
            # Lambda's log delivery never fails an invocation: without the log group (or the
            # role's logs: permissions) the lines are lost, the outcome stands.
            logger.warning("function %s: its log lines were not written: %s", function.name, error)
        if run.failure:
            raise runtime.InvocationError(f"{run.failure}:\n{run.invocation.logs}")
        return run.invocation

    def _usable(
        self, environment: ExecutionEnvironment, zip_path: Path, function: Function
    ) -> bool:
        return (
            environment.function == function
            and environment.zip_path == zip_path
            and environment.alive
            and self._clock() + function.timeout + self._limits.credentials_margin_seconds
            < environment.credentials_expire
        )

    def _count(self, name: str) -> int:
        return self._starting.get(name, 0) + sum(
            environment.function.name == name for environment in self._idle + self._busy
        )

    def _acquire(
        self, zip_path: Path, function: Function, assume_role: AssumeRole
    ) -> ExecutionEnvironment:
        with self._changed:
            self._current[function.name] = function
            while True:
                if self._stopped:
                    raise runtime.InvocationError("the local cloud is stopping")
                self._retire_idle(zip_path, function)
                for environment in self._idle:
                    if self._usable(environment, zip_path, function):
                        self._idle.remove(environment)
                        self._busy.append(environment)
                        return environment
                if self._count(function.name) < self._limits.max_per_function:
                    self._starting[function.name] = self._starting.get(function.name, 0) + 1
                    break
                self._changed.wait()
        try:
            environment = self._start(zip_path, function, assume_role)
        finally:
            with self._changed:
                self._starting[function.name] -= 1
                self._changed.notify_all()
        with self._changed:
            if self._stopped:
                environment.stop()
                raise runtime.InvocationError("the local cloud is stopping")
            self._busy.append(environment)
        return environment

    def _start(
        self, zip_path: Path, function: Function, assume_role: AssumeRole
    ) -> ExecutionEnvironment:
        try:
            interpreter = interpreters.for_runtime(function.runtime)
        except ValueError as error:
            raise runtime.InvocationError(f"function {function.name}: {error}") from error
        asked = self._clock()
        try:
            # Lambda runs the function with temporary credentials of its execution role.
            role = assume_role(self._limits.credentials_seconds)
        except Exception as error:
            raise RoleNotAssumed(f"cannot assume {function.role_arn}: {error}") from error
        try:
            return ExecutionEnvironment(
                zip_path, function, role, interpreter, asked + self._limits.credentials_seconds
            )
        except runtime_client.MissingRuntimeClient as error:
            raise runtime.InvocationError(str(error)) from error

    def _retire_idle(self, zip_path: Path, function: Function) -> None:
        """Stop idle environments that will not serve again (lock held): dead, too long idle,
        of an older configuration, or whose credentials are about to expire."""
        now = time.monotonic()
        retired = [
            environment
            for environment in self._idle
            if not environment.alive
            or now - environment.last_used > self._limits.idle_seconds
            or self._current.get(environment.function.name) != environment.function
            or (
                environment.function == function
                and not self._usable(environment, zip_path, function)
            )
        ]
        for environment in retired:
            self._idle.remove(environment)
            environment.stop()

    def _release(self, environment: ExecutionEnvironment) -> None:
        with self._changed:
            self._busy.remove(environment)
            current = self._current.get(environment.function.name) == environment.function
            if environment.alive and current and not self._stopped:
                self._idle.append(environment)
            else:
                environment.stop()
            self._changed.notify_all()

    def process_of(self, access_key_id: str) -> tuple[Function, int] | None:
        """The function and process of the environment whose credentials carry this access key
        (each environment assumes its role for itself), or None: the request is not a function's."""
        with self._changed:
            for environment in self._idle + self._busy:
                if environment.role.credentials.access_key_id == access_key_id:
                    return environment.function, environment.process.pid
        return None

    def pids(self) -> list[int]:
        """The processes of the environments alive now."""
        with self._changed:
            return [e.process.pid for e in self._idle + self._busy if e.alive]

    def stop(self) -> None:
        """Stop every environment; invocations under way fail, later ones are refused."""
        with self._changed:
            self._stopped = True
            environments = self._idle + self._busy
            self._idle = []
            self._changed.notify_all()
        for environment in environments:
            environment.stop()


@dataclass(frozen=True)
class FunctionHost:
    """What the emulator runs functions with, whichever way they are invoked (the API's
    integrations, Event invokes, SQS event source mappings): the emulator's identities, the zip
    the functions are deployed from, and their warm execution environments."""

    identities: Identities
    zip_path: Path
    environments: Environments

    def invoke(
        self, function: Function, event: Any, request_id: str, slot: Slot | None = None
    ) -> runtime.Invocation:
        """``Environments.invoke`` under the function's execution role, which Lambda assumes;
        ``request_id``: the one Lambda gave the event (an asynchronous event keeps it over its
        retries)."""
        return self.environments.invoke(
            self.zip_path,
            function,
            event,
            assume_role=lambda seconds: self.identities.assume(
                function.role_arn, function.name, seconds
            ),
            request_id=request_id,
            slot=slot,
        )
