"""One time scale for every Lambda and SQS timing the emulator controls.

LOCALCLOUD_TIME_SCALE (a float, default 1.0) multiplies the durations a stack *configures*: a
function's timeout (as the runtime enforces it and as the context's remaining time reports it),
a queue's visibility timeout as the event source mapping's receives apply it, the batching window,
Lambda's delays between the retries of an Event invoke. 0.01 runs a 900 s function's timeout in
9 s. What a function or a client asks for at run time (a VisibilityTimeout parameter, a
WaitTimeSeconds) is not scaled: the function already lives in scaled time, so what it computes
from its remaining time is scaled once, not twice.
"""

from __future__ import annotations

import os

TIME_SCALE_VARIABLE = "LOCALCLOUD_TIME_SCALE"


def time_scale(value: str | None = None) -> float:
    """The scale LOCALCLOUD_TIME_SCALE (or ``value``) sets; 1.0 when unset."""
    raw = os.environ.get(TIME_SCALE_VARIABLE, "") if value is None else value
    if not raw.strip():
        return 1.0
    scale = float(raw)
    if not 0 < scale <= 1000:
        raise ValueError(f"{TIME_SCALE_VARIABLE}={raw!r}: expected a number in (0, 1000]")
    return scale


def scaled(seconds: float) -> float:
    """A configured duration as the emulator applies it."""
    return seconds * time_scale()
