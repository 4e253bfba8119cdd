"""An account's Lambda concurrency, as Lambda counts it: concurrent executions across all the
functions of an account, with reserved concurrency set aside.

A function with reserved concurrency R runs at most R executions at once and is always able to
run them; the others share what is left of the account's limit (limit - the sum of every
reservation). An invocation beyond its share is throttled: a synchronous Invoke answers 429
TooManyRequestsException, Lambda retries an asynchronous event, an event source mapping waits
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html,
https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
LOCALCLOUD_ACCOUNT_CONCURRENCY sets the limit (default 1000, AWS's default quota; a new account
may have 10). The highest concurrency each function reached is kept, so a test can assert that a
cap held.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from localcloud.model import Function

ACCOUNT_CONCURRENCY_VARIABLE = "LOCALCLOUD_ACCOUNT_CONCURRENCY"
DEFAULT_ACCOUNT_CONCURRENCY = 1000

Reservations = Callable[[str], dict[str, int]]
"""An account id -> the reserved concurrency of its functions by name (those that have one)."""


def account_limit(value: str | None = None) -> int:
    raw = os.environ.get(ACCOUNT_CONCURRENCY_VARIABLE, "") if value is None else value
    if not raw.strip():
        return DEFAULT_ACCOUNT_CONCURRENCY
    limit = int(raw)
    if limit < 1:
        raise ValueError(f"{ACCOUNT_CONCURRENCY_VARIABLE}={raw!r}: expected a positive integer")
    return limit


class Throttled(RuntimeError):
    """Lambda throttles the invocation: the account (or the function's reservation) is at its
    concurrency limit."""


@dataclass(eq=False)
class Slot:
    """One concurrent execution of a function, held from admission until the invocation ends."""

    account_id: str
    function_name: str
    executing: bool = False


def _no_reservations(account_id: str) -> dict[str, int]:
    del account_id
    return {}


def _account(function: Function) -> str:
    return function.arn.split(":")[4]


class AccountConcurrency:
    """Admits executions per account; thread-safe."""

    def __init__(self, limit: int | None = None, reservations: Reservations | None = None) -> None:
        self.limit = account_limit() if limit is None else limit
        self._reservations = reservations or _no_reservations
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], int] = {}
        """Slots held: executions, and an event source poller's slot while it receives."""
        self._executing: dict[tuple[str, str], int] = {}
        """Executions only: what the figures report."""
        self._peaks: dict[tuple[str, str], int] = {}

    def _admissible(self, account_id: str, name: str) -> bool:
        reserved = self._reservations(account_id)
        running = self._running.get((account_id, name), 0)
        if name in reserved:
            return running < reserved[name]
        unreserved_pool = self.limit - sum(reserved.values())
        unreserved_running = sum(
            count
            for (account, function), count in self._running.items()
            if account == account_id and function not in reserved
        )
        return unreserved_running < unreserved_pool

    def try_acquire(self, function: Function, *, executing: bool = True) -> Slot | None:
        """A slot for one execution of ``function``, or None when Lambda would throttle it.
        ``executing=False`` holds the slot without counting an execution yet (an event source
        poller receiving: Lambda does not receive what it cannot invoke, but a receive that
        finds nothing starts nothing); ``executes`` counts it once it runs."""
        account_id = _account(function)
        key = (account_id, function.name)
        with self._lock:
            if not self._admissible(account_id, function.name):
                return None
            self._running[key] = self._running.get(key, 0) + 1
        slot = Slot(account_id, function.name)
        if executing:
            self.executes(slot)
        return slot

    def executes(self, slot: Slot) -> None:
        """The held slot's execution starts."""
        key = (slot.account_id, slot.function_name)
        with self._lock:
            self._executing[key] = self._executing.get(key, 0) + 1
            self._peaks[key] = max(self._peaks.get(key, 0), self._executing[key])
            slot.executing = True

    def acquire(self, function: Function) -> Slot:
        slot = self.try_acquire(function)
        if slot is None:
            raise Throttled(
                f"Rate Exceeded. (function {function.name}: the account's concurrency limit of "
                f"{self.limit} or the function's reserved concurrency is reached)"
            )
        return slot

    def release(self, slot: Slot) -> None:
        key = (slot.account_id, slot.function_name)
        with self._lock:
            self._running[key] -= 1
            if slot.executing:
                self._executing[key] -= 1

    def figures(self) -> dict[str, dict[str, dict[str, int]]]:
        """account -> function -> {"running", "peak"}: what the control endpoint reports."""
        with self._lock:
            found: dict[str, dict[str, dict[str, int]]] = {}
            for (account_id, name), peak in self._peaks.items():
                found.setdefault(account_id, {})[name] = {
                    "running": self._executing.get((account_id, name), 0),
                    "peak": peak,
                }
            return found

    def reset_peaks(self) -> None:
        """Forget the peaks (a test starting a new measurement)."""
        with self._lock:
            self._peaks = {key: count for key, count in self._executing.items() if count}
