"""Entry point of the emulator process: moto's server app with localcloud's compatibility patches.

Run as ``python -m localcloud.server --port-file FILE``; localcloud.emulator starts and stops it.
"""

from __future__ import annotations

import argparse
import os
import signal
from pathlib import Path
from types import FrameType
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from localcloud import compat
from localcloud.emulator import HOST
from localcloud.recorder import RECORD_FILE_VARIABLE, Recorder


def _stop(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise SystemExit(0)


def serve(port_file: Path) -> None:
    compat.apply()
    app: Any = DomainDispatcherApplication(create_backend_app)
    record_file = os.environ.get(RECORD_FILE_VARIABLE)
    if record_file:
        app = Recorder(app, Path(record_file))
    server = make_server(HOST, 0, app, threaded=True, request_handler=MotoRequestHandler)
    signal.signal(signal.SIGTERM, _stop)
    port_file.write_text(str(server.server_port))
    try:
        server.serve_forever()
    finally:
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a moto server for localcloud.")
    parser.add_argument("--port-file", type=Path, required=True)
    serve(parser.parse_args().port_file)


if __name__ == "__main__":
    main()
