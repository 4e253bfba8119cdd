"""One JSON object per log line, with the request id, the way CloudWatch Logs Insights likes it."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


class JsonFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self.request_id: str | None = None

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": self.request_id,
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stdout is at the time: runtimes and test harnesses replace it."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


_formatter = JsonFormatter()


def configure(level: int = logging.INFO) -> None:
    """Routes the package's logs through the JSON formatter, replacing the runtime's text lines."""
    package_logger = logging.getLogger("randfile")
    if not any(getattr(h, "formatter", None) is _formatter for h in package_logger.handlers):
        stream = _StdoutHandler()
        stream.setFormatter(_formatter)
        package_logger.addHandler(stream)
    package_logger.setLevel(level)
    package_logger.propagate = False


def bind_request(request_id: str | None) -> None:
    _formatter.request_id = request_id


def request_id() -> str | None:
    return _formatter.request_id
