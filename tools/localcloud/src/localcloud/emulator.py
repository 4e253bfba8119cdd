"""The moto server process: started in the background, found again through its state directory.

The server (localcloud.server) binds port 0 and writes the port it got to a file, so two emulators
(a running demo and the end-to-end test) never race for the same port.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess  # nosec B404
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# The variable localcloud.recorder reads; named here so starting a recorder needs no moto import.
RECORD_FILE_VARIABLE = "LOCALCLOUD_RECORD_FILE"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 30.0

# Settings of the emulator process. ACM issues DNS-validated certificates after this many seconds
# (the validation records are created by Terraform; moto does not resolve them). AWS managed
# policies are loaded so attaching e.g. AmazonAPIGatewayPushToCloudWatchLogs works as on AWS.
EMULATOR_ENVIRONMENT = {
    "MOTO_ACM_VALIDATION_WAIT": "0",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",
}


class EmulatorError(RuntimeError):
    """The emulator could not be started, found or stopped."""


@dataclass(frozen=True)
class Emulator:
    """A running moto server: its process and where it listens."""

    pid: int
    port: int
    # The stack's REST APIs served as API Gateway serves their custom domains (localcloud.http_api);
    # 0 for an emulator started before it had one.
    api_port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"


def _info_path(state_dir: Path) -> Path:
    return state_dir / "emulator.json"


def _healthy(endpoint_url: str) -> bool:
    # moto's dashboard: cheap, and its title proves the port is a moto server. (data.json is not:
    # once a Lambda function exists it asks Docker for details and fails.)
    try:
        with urllib.request.urlopen(f"{endpoint_url}/moto-api/", timeout=2) as response:  # noqa: S310  # nosec B310
            return response.status == 200 and b"<title>Moto</title>" in response.read()
    except (urllib.error.URLError, OSError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _port_file(state_dir: Path) -> Path:
    return state_dir / "emulator.port"


def _api_port_file(state_dir: Path) -> Path:
    return state_dir / "api.port"


def log_file(state_dir: Path) -> Path:
    """Where the emulator of ``state_dir`` writes its log: each request it served, with its
    status, and what it raised."""
    return state_dir / "emulator.log"


def _is_ours(pid: int, state_dir: Path) -> bool:
    """Whether ``pid`` is the emulator of ``state_dir``: a recorded pid may have been reused."""
    try:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(_port_file(state_dir)).encode() in command_line.split(b"\0")


def find(state_dir: Path) -> Emulator | None:
    """The emulator recorded in ``state_dir`` if its process is alive and answering."""
    path = _info_path(state_dir)
    if not path.is_file():
        return None
    info = json.loads(path.read_text())
    emulator = Emulator(
        pid=int(info["pid"]), port=int(info["port"]), api_port=int(info.get("api_port", 0))
    )
    if _is_ours(emulator.pid, state_dir) and _healthy(emulator.endpoint_url):
        return emulator
    return None


def start(
    state_dir: Path,
    zip_path: Path,
    *,
    region: str,
    gateway_role_arn: str,
    record_to: Path | None = None,
) -> Emulator:
    """Start a moto server (and the API's HTTP endpoint) in the background, wait until it
    answers; the endpoint runs the function from ``zip_path`` in ``region``, reading the APIs
    with ``gateway_role_arn`` (localcloud.http_api). With ``record_to``, every request the
    emulator serves is appended there (localcloud.recorder)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    port_file = _port_file(state_dir)
    port_file.unlink(missing_ok=True)
    api_port_file = _api_port_file(state_dir)
    log = log_file(state_dir).open("ab")
    # A developer's MOTO_ACCOUNT_ID would put every request into one account; AWS_* settings are
    # none of the emulator's business either.
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MOTO_", "AWS_", "TEST_SERVER_MODE"))
    }
    environment.update(EMULATOR_ENVIRONMENT)
    if record_to is not None:
        environment[RECORD_FILE_VARIABLE] = str(record_to)
    package_parent = str(Path(__file__).resolve().parent.parent)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_parent, environment.get("PYTHONPATH")])
    )
    process = subprocess.Popen(  # noqa: S603  # nosec B603
        [
            sys.executable,
            "-m",
            "localcloud.server",
            "--port-file",
            str(port_file),
            "--api-port-file",
            str(api_port_file),
            "--zip",
            str(zip_path.resolve()),
            "--region",
            region,
            "--gateway-role-arn",
            gateway_role_arn,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=environment,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(
                f"moto server exited with {process.returncode}; see {log_file(state_dir)}"
            )
        if port_file.is_file() and port_file.read_text().strip():
            emulator = Emulator(
                pid=process.pid,
                port=int(port_file.read_text()),
                api_port=int(api_port_file.read_text()),
            )
            if _healthy(emulator.endpoint_url):
                _info_path(state_dir).write_text(
                    json.dumps(
                        {"pid": emulator.pid, "port": emulator.port, "api_port": emulator.api_port}
                    )
                )
                return emulator
        time.sleep(0.2)
    stop_process(process.pid)
    raise EmulatorError(f"moto server did not answer within {STARTUP_TIMEOUT_SECONDS:.0f}s")


def stop_process(pid: int, timeout: float = 10.0) -> None:
    """Stop the emulator process: SIGTERM (it stops its function processes), then SIGKILL to its
    process group if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        if not _alive(pid):
            return
        time.sleep(0.1)
    # It lingers: kill its process group (started as a session of its own), so the function
    # processes it runs (localcloud.environments) go with it rather than outlive it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def stop(state_dir: Path) -> bool:
    """Stop the emulator recorded in ``state_dir``; False when none was running."""
    path = _info_path(state_dir)
    if not path.is_file():
        return False
    pid = int(json.loads(path.read_text())["pid"])
    running = _is_ours(pid, state_dir)
    if running:
        stop_process(pid)
    path.unlink()
    return running
