"""Fault rules and the typed client of the emulator's control endpoint; standard library only.

A rule matches the AWS requests a function makes from its execution environments (signed with
the credentials that environment's execution role session holds; nobody else's requests ever
match) for one action, optionally only from the Nth matching request on and only when the body
contains a string; it fires on the next ``times`` of them:

- ``kill``: the environment's process gets SIGKILL ``before`` the request is served (nothing is
  done) or ``after`` it (served, then killed before it can read the answer). Its invocation ends
  as Lambda ends it (Runtime.ExitError) and the environment is replaced.
- ``error``: the request is answered with AWS's error shape for the service's protocol, with the
  rule's status and code (e.g. 400 ProvisionedThroughputExceededException for DynamoDB, 500
  InternalError for S3 or SQS), ``before`` serving it (nothing done) or ``after`` (done, but the
  caller is told it failed).

The control endpoint (localcloud.control, on the emulator's own port):
``POST /_localcloud/faults`` (a rule as JSON; answers it with its ``id``), ``GET
/_localcloud/faults`` (the rules with ``matched`` and ``hits`` counts), ``DELETE
/_localcloud/faults`` (clear all) and ``DELETE /_localcloud/faults/<id>``.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FAULTS_PATH = "/_localcloud/faults"
STATUS_PATH = "/_localcloud/status"
CONCURRENCY_RESET_PATH = "/_localcloud/concurrency/reset"
SETTINGS_PATH = "/_localcloud/settings"

Effect = Literal["kill", "error"]
When = Literal["before", "after"]


@dataclass(frozen=True)
class FaultRule:
    """What to match and what to do; see the module's docstring."""

    function: str
    """The calling function's name."""
    action: str
    """``<service>:<Operation>`` as the API names it (s3:UploadPart, s3:CompleteMultipartUpload,
    dynamodb:UpdateItem, sqs:SendMessage) or an IAM action the request is authorized as
    (s3:PutObject covers PutObject and UploadPart), per localcloud.iam.requests."""
    effect: Effect
    when: When = "before"
    times: int = 1
    occurrence: int = 1
    """Fire from the Nth matching request on (1: the first)."""
    body_contains: str | None = None
    contains: list[str] = field(default_factory=list)
    """Every one of these appears in the request's URL path, its query string or, but for S3
    (whose bodies are the objects' bytes), its body: e.g. an object's key, or a DynamoDB item's
    key, so that a rule takes one object's or one item's requests among many."""
    status: int = 500
    code: str = "InternalError"
    message: str = "We encountered an internal error. Please try again."

    def __post_init__(self) -> None:
        if self.effect not in ("kill", "error"):
            raise ValueError(f"effect {self.effect!r}: expected kill or error")
        if self.when not in ("before", "after"):
            raise ValueError(f"when {self.when!r}: expected before or after")
        if self.times < 1 or self.occurrence < 1:
            raise ValueError("times and occurrence count from 1")
        if ":" not in self.action:
            raise ValueError(f"action {self.action!r}: expected <service>:<Operation>")

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> FaultRule:
        known = set(cls.__dataclass_fields__)
        unknown = set(document) - known - {"id", "matched", "hits"}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}")
        return cls(**{k: v for k, v in document.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class InstalledRule:
    """A rule as the emulator holds it: its id and how often it matched and fired."""

    id: str
    rule: FaultRule
    matched: int = 0
    hits: int = 0
    pids_killed: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.rule.to_json(),
            "matched": self.matched,
            "hits": self.hits,
            "pids_killed": list(self.pids_killed),
        }


class FaultClient:
    """The control endpoint of an emulator (its ``endpoint_url``), typed."""

    def __init__(self, endpoint_url: str, timeout: float = 10) -> None:
        self._endpoint_url = endpoint_url.rstrip("/")
        self._timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310  # the emulator's own http URL
            f"{self._endpoint_url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self._timeout) as answer:  # noqa: S310  # nosec B310
            text = answer.read()
        return json.loads(text) if text else None

    def add(self, rule: FaultRule) -> str:
        """Install ``rule``; its id."""
        return str(self._call("POST", FAULTS_PATH, rule.to_json())["id"])

    def rules(self) -> list[dict[str, Any]]:
        """Every rule with its ``matched`` and ``hits`` counts and the pids it killed."""
        found: list[dict[str, Any]] = self._call("GET", FAULTS_PATH)["rules"]
        return found

    def rule(self, rule_id: str) -> dict[str, Any]:
        return next(rule for rule in self.rules() if rule["id"] == rule_id)

    def remove(self, rule_id: str) -> None:
        self._call("DELETE", f"{FAULTS_PATH}/{rule_id}")

    def clear(self) -> None:
        self._call("DELETE", FAULTS_PATH)

    def status(self) -> dict[str, Any]:
        """The emulator's status: ``event_source_mappings`` (``idle``, per mapping in-flight
        invocations), ``concurrency`` (per account and function: running, peak), the account
        limit and the time scale."""
        found: dict[str, Any] = self._call("GET", STATUS_PATH)
        return found

    def reset_concurrency_peaks(self) -> None:
        self._call("POST", CONCURRENCY_RESET_PATH, {})

    def settings(self, **changes: float) -> dict[str, Any]:
        """Change the emulator's ``time_scale`` or ``account_concurrency`` while it runs (what
        LOCALCLOUD_TIME_SCALE and LOCALCLOUD_ACCOUNT_CONCURRENCY set at its start); answers the
        settings now in force. A change applies to invocations and receives that start after it."""
        found: dict[str, Any] = self._call("PUT", SETTINGS_PATH, dict(changes))
        return found
