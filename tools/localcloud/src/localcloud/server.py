"""Entry point of the emulator process: moto's server app with localcloud's compatibility patches.

Run as ``python -m localcloud.server --port-file FILE --api-port-file FILE --zip ZIP --region
REGION --gateway-role-arn ARN``;
localcloud.emulator starts and stops it. Beside moto it serves the stack's REST APIs over HTTP
(localcloud.http_api) and runs Lambda's asynchronous invocations (localcloud.async_invoke), which
must run here: only this process knows the secrets moto issued.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from localcloud import async_invoke, authorizer, compat, moto_speedups, snapshots, sqs_event_source
from localcloud.aws import Identities
from localcloud.concurrency import AccountConcurrency
from localcloud.control import ControlEndpoint
from localcloud.emulator import HOST
from localcloud.environments import Environments, FunctionHost
from localcloud.fault_injection import FaultInjector, FaultRules
from localcloud.http_api import FrontDoor
from localcloud.recorder import RECORD_FILE_VARIABLE, Recorder


def _stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise SystemExit(0)


def reservations(account_id: str) -> dict[str, int]:
    """The reserved concurrency of the account's functions (those that have one), from moto."""
    found: dict[str, int] = {}
    # .get and .values(), never [...]: indexing moto's backend dicts would create backends.
    regions = lambda_backends.get(account_id)
    for backend in list(regions.values()) if regions is not None else []:
        for function in backend.list_functions():
            if function.reserved_concurrency is not None:
                found[function.function_name] = int(function.reserved_concurrency)
    return found


def serve(
    port_file: Path, api_port_file: Path, zip_path: Path, *, region: str, gateway_role_arn: str
) -> None:
    compat.apply()
    moto_speedups.apply()
    snapshots.install()
    sqs_event_source.install()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # One pool of warm execution environments serves API requests, Event invokes and event
    # source mappings alike, within one account concurrency.
    concurrency = AccountConcurrency(reservations=reservations)
    environments = Environments(concurrency=concurrency)
    rules = FaultRules()
    app: Any = DomainDispatcherApplication(create_backend_app)
    # Inside the recorder, so that the record shows the refusals with their status.
    app = authorizer.Authorizer(app, authorizer.role_patterns())
    # Outside the authorizer: a fault stands for the network or the service failing, whoever
    # would have been allowed; inside the recorder, which shows the injected errors.
    app = FaultInjector(app, rules, environments)
    record_file = os.environ.get(RECORD_FILE_VARIABLE)
    if record_file:
        app = Recorder(app, Path(record_file))
    # Outside the recorder: reading a deployment's snapshot is API Gateway's own work, no AWS call.
    app = snapshots.SnapshotEndpoint(app)
    control = app = ControlEndpoint(app, rules, concurrency)
    server = make_server(HOST, 0, app, threaded=True, request_handler=MotoRequestHandler)
    endpoint_url = f"http://{HOST}:{server.server_port}"
    host = FunctionHost(Identities(endpoint_url, region), zip_path, environments)
    async_invoke.install(async_invoke.EventInvoker(host))
    poller = sqs_event_source.SqsPoller(host)
    control.poller_status = poller.status
    poller.start()
    front_door = FrontDoor(host, gateway_role_arn=gateway_role_arn)
    api = make_server(HOST, 0, front_door, threaded=True)
    signal.signal(signal.SIGTERM, _stop)
    threading.Thread(target=api.serve_forever, name="localcloud-api", daemon=True).start()
    # The API's port first: the emulator counts as started once the moto port is written.
    api_port_file.write_text(str(api.server_port))
    port_file.write_text(str(server.server_port))
    try:
        server.serve_forever()
    finally:
        api.shutdown()
        poller.stop()
        server.server_close()
        # No function process outlives the emulator.
        environments.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a moto server for localcloud.")
    parser.add_argument("--port-file", type=Path, required=True)
    parser.add_argument("--api-port-file", type=Path, required=True)
    parser.add_argument("--zip", type=Path, required=True, help="the built function package")
    parser.add_argument("--region", required=True, help="the region the stack is deployed in")
    parser.add_argument(
        "--gateway-role-arn",
        required=True,
        help="a role in the APIs' account, which the local API Gateway reads them with",
    )
    args = parser.parse_args()
    serve(
        args.port_file,
        args.api_port_file,
        args.zip,
        region=args.region,
        gateway_role_arn=args.gateway_role_arn,
    )


if __name__ == "__main__":
    main()
