"""The stage throttle and the usage plan's throttle and quota, as API Gateway applies them.

API Gateway throttles with the token bucket algorithm: a bucket of `burst` tokens refilled at
`rate` per second, one token per request, 429 when empty; a usage plan's quota counts requests per
key per period and answers 429 until the period restarts
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html).
AWS applies both on a best-effort basis; here they are exact, which a test can rely on.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class TokenBucket:
    rate: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    tokens: float = field(init=False)
    updated: float = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.updated = self.clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def quota_period(period: str, now: datetime) -> str:
    """The quota period a moment falls in (UTC), as a key for the request counter."""
    if period == "DAY":
        return f"{now:%Y-%m-%d}"
    if period == "WEEK":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "MONTH":
        return f"{now:%Y-%m}"
    raise ValueError(f"quota period {period!r} is not DAY, WEEK or MONTH")


class Limits:
    """Buckets and counters of one emulator's lifetime, keyed by what their settings apply to.

    Settings are read from the live resources on every request, so a changed limit applies at
    once; a bucket is recreated when its rate or burst changes.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._counts: dict[tuple[str, str], int] = {}

    def admit(self, name: str, rate: float, burst: int) -> bool:
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None or (bucket.rate, bucket.burst) != (rate, burst):
                bucket = self._buckets[name] = TokenBucket(rate, burst, self._clock)
            return bucket.take()

    def count(self, name: str, quota: dict[str, Any], now: datetime | None = None) -> bool:
        """Count one request against a quota ({"limit", "period"}); False once it is spent."""
        period = quota_period(str(quota.get("period", "DAY")), now or datetime.now(UTC))
        with self._lock:
            used = self._counts.get((name, period), 0)
            if used >= int(quota["limit"]):
                return False
            self._counts[(name, period)] = used + 1
            return True
