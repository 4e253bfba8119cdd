"""Waiting for what the emulator does in the background (Event invokes, event source mappings):
a probe asked again until it answers or the time is up."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    probe: Callable[[], T | None], what: str, timeout: float = 60, interval: float = 0.25
) -> T:
    """The probe's first answer other than None; TimeoutError naming ``what`` after ``timeout``
    seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(interval)
