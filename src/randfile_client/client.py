"""`POST /files` and `GET /files/{job_id}`, signed with SigV4 by botocore, sent by httpx,
retried by tenacity. A file past the API's synchronous limit is a job (202): the client polls its
status until it has succeeded or failed.

Credentials come from botocore's standard chain (environment, shared config and credentials
files, SSO, container and instance roles), the same as the AWS CLI's; requests are signed for
the `execute-api` service as API Gateway's IAM authorization expects.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import Session
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

SERVICE = "execute-api"
FILES_PATH = "/files"
# A throttled call (429) or a temporary failure the function reports with Retry-After (503: S3
# throttling, its own deadline) wrote nothing, so sending it again cannot duplicate a file; nor
# can a 409, the first request with the same Idempotency-Key still running: a retry gets its answer.
RETRYABLE_STATUSES = frozenset({429, 503})
IN_PROGRESS_CODE = "idempotency_key_in_use"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# ...except a spent usage-plan quota: it answers 429 until the quota period restarts.
FINAL_CODES = frozenset({"quota_exceeded"})
_LOOPBACK_NAMES = frozenset({"localhost"})
# How long `wait` follows a job by default: the longest the stack lets Lambda keep trying one. An
# asynchronous event is retried twice on errors and kept for at most maximum_event_age_in_seconds
# (3600 s in infra/modules/function), after which Lambda drops it
# (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html); its last
# attempt starts within that hour and runs at most the worker's timeout (900 s). A job still
# queued or running after 4500 s will not be finished by Lambda's retries.
DEFAULT_JOB_TIMEOUT_SECONDS = 3600.0 + 900.0
# A job id is a ULID (Crockford base32, 26 characters): nothing else is put into a URL path.
_JOB_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")


class RandfileError(Exception):
    """Anything the client could not do; the subclasses say why."""


class ConfigurationError(RandfileError):
    """The client lacks something to make the call: endpoint, region, credentials, API key."""


class TransportError(RandfileError):
    """The API could not be reached (connection refused, DNS, TLS, timeout)."""


@dataclass(frozen=True)
class RawResponse:
    status: int
    # Names in lower case.
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class JobFailedError(RandfileError):
    """A job the API accepted ended `failed`; `code` and `message` are the API's own."""

    def __init__(self, job_id: str, code: str, message: str) -> None:
        self.job_id = job_id
        self.code = code
        self.message = message
        super().__init__(f"job {job_id} failed: {code}: {message}")


class JobTimeoutError(RandfileError):
    """A job had not ended when the wait's limit came; it goes on, and `status_url` follows it."""

    def __init__(self, job_id: str, status_url: str, status: str, waited_seconds: float) -> None:
        self.job_id = job_id
        self.status_url = status_url
        self.status = status
        self.waited_seconds = waited_seconds
        super().__init__(
            f"job {job_id} still {status} after {waited_seconds:.0f} s; it goes on: {status_url}"
        )


class ApiError(RandfileError):
    """The API answered with an error; `code` and `message` are the API's own."""

    def __init__(self, response: RawResponse) -> None:
        self.status = response.status
        self.response = response
        self.code, self.message = _error_of(response)
        self.retry_after = retry_after_seconds(response.headers.get("retry-after"))
        self.request_id = response.headers.get("x-amzn-requestid")
        super().__init__(f"HTTP {self.status} {self.code}: {self.message}")


def _error_of(response: RawResponse) -> tuple[str, str]:
    """`{"error": {"code", "message"}}` (the function and the stack's gateway responses), or
    API Gateway's own `{"message": ...}` with its x-amzn-ErrorType header."""
    try:
        document = response.json()
    except ValueError:
        document = None
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and "code" in error:
            return str(error["code"]), str(error.get("message", ""))
        message = document.get("message", document.get("Message"))
        if message is not None:
            kind = response.headers.get("x-amzn-errortype", "").split(":")[0]
            return kind or f"http_{response.status}", str(message)
    text = response.body[:500].decode("utf-8", errors="replace")
    return f"http_{response.status}", text


def is_job_id(text: str) -> bool:
    return _JOB_ID.fullmatch(text) is not None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds (RFC 9110: delay-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class CreatedFile:
    """What `201 Created` reports about the new object."""

    bucket: str
    key: str
    size_bytes: int
    format: str
    seed: int
    sha256: str
    etag: str | None = None
    version_id: str | None = None
    content_type: str | None = None

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> CreatedFile:
        try:
            return cls(
                bucket=str(document["bucket"]),
                key=str(document["key"]),
                size_bytes=int(document["size_bytes"]),
                format=str(document["format"]),
                seed=int(document["seed"]),
                sha256=str(document["sha256"]),
                etag=document.get("etag"),
                version_id=document.get("version_id"),
                content_type=document.get("content_type"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RandfileError(f"the 201 answer does not describe a file: {document}") from error


@dataclass(frozen=True)
class AcceptedJob:
    """What `202 Accepted` reports: a job whose file is to be written under `key`."""

    job_id: str
    status_url: str
    bucket: str
    key: str
    size_bytes: int
    format: str
    seed: int

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> AcceptedJob:
        try:
            return cls(
                job_id=str(document["job_id"]),
                status_url=str(document["status_url"]),
                bucket=str(document["bucket"]),
                key=str(document["key"]),
                size_bytes=int(document["size_bytes"]),
                format=str(document["format"]),
                seed=int(document["seed"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise RandfileError(f"the 202 answer does not describe a job: {document}") from error


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; waits follow Retry-After, else exponential backoff with full
    jitter from `initial_wait`, each wait at most `max_wait` seconds. A Retry-After longer than
    `max_wait` ends the retries: the server says a retry now would be refused too."""

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 20.0


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class RandfileClient:
    """A client of one randfile API, thread-safe: one instance can serve a pool of workers.

    `endpoint` is the API's base URL (the stack's `api_url` output). `host` sends another Host
    header than the URL's, as for the local cloud, which serves the custom domain on 127.0.0.1.
    """

    endpoint: str
    region: str
    api_key: str | None = None
    credentials: Credentials | None = None
    host: str | None = None
    timeout: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    transport: httpx.BaseTransport | None = None
    max_connections: int = 10
    poll_interval: float = 2.0
    job_timeout: float = DEFAULT_JOB_TIMEOUT_SECONDS
    _http: httpx.Client = field(init=False, repr=False)
    _signer: SigV4Auth = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ConfigurationError(f"endpoint {self.endpoint!r} is not an http(s) URL")
        # Signed requests carry the credentials' key ID and a replayable signature.
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ConfigurationError(
                f"refusing to send a signed request over plain http to {parts.hostname}: "
                "use https (plain http only to a loopback address such as the local cloud)"
            )
        if not self.region:
            raise ConfigurationError("no region: pass --region or set AWS_REGION")
        credentials = self.credentials or Session().get_credentials()
        if credentials is None:
            raise ConfigurationError(
                "no AWS credentials found (environment, shared config or credentials file, SSO, "
                "instance or container role): the API requires SigV4-signed requests"
            )
        self._signer = SigV4Auth(credentials, SERVICE, self.region)
        self.url = self.endpoint.rstrip("/") + FILES_PATH
        self._http = httpx.Client(
            timeout=self.timeout,
            transport=self.transport,
            limits=httpx.Limits(max_connections=self.max_connections),
        )

    def __enter__(self) -> RandfileClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def signed_request(self, body: bytes, idempotency_key: str | None = None) -> AWSRequest:
        """POST /files with the API key and a fresh SigV4 signature over every header sent."""
        return self._signed("POST", self.url, body, idempotency_key)

    def _signed(
        self, method: str, url: str, body: bytes, idempotency_key: str | None = None
    ) -> AWSRequest:
        headers = {"Accept": "application/json"}
        if idempotency_key is not None:
            # A Structured Field String, as the IETF httpapi draft defines the field.
            escaped = idempotency_key.replace("\\", "\\\\").replace('"', '\\"')
            headers[IDEMPOTENCY_HEADER] = f'"{escaped}"'
        if body:
            headers["Content-Type"] = "application/json"
        if self.host:
            headers["Host"] = self.host
        if self.api_key:
            headers["x-api-key"] = self.api_key
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        self._signer.add_auth(request)
        return request

    def send(self, body: Mapping[str, Any], idempotency_key: str | None = None) -> RawResponse:
        """One signed POST /files, no retry: whatever the API answered."""
        payload = json.dumps(dict(body), separators=(",", ":")).encode()
        return self._exchange("POST", self.url, payload, idempotency_key)

    def _exchange(
        self, method: str, url: str, payload: bytes, idempotency_key: str | None = None
    ) -> RawResponse:
        request = self._signed(method, url, payload, idempotency_key)
        try:
            response = self._http.request(
                method, url, content=payload or None, headers=dict(request.headers.items())
            )
        except httpx.HTTPError as error:
            raise TransportError(f"{method} {url}: {type(error).__name__}: {error}") from error
        headers = {name.lower(): value for name, value in response.headers.items()}
        return RawResponse(response.status_code, headers, response.content)

    def _attempt(self, body: Mapping[str, Any], idempotency_key: str) -> CreatedFile | AcceptedJob:
        response = self.send(body, idempotency_key)
        if response.status not in (201, 202):
            raise ApiError(response)
        document = _json_answer(response)
        if response.status == 202:
            return AcceptedJob.from_json(document)
        return CreatedFile.from_json(document)

    def _poll_url(self, status_url: str) -> str:
        """Where to send GET for `status_url`: the API's own host only (the request is signed),
        reached through the endpoint, so a local cloud serving the API's domain on 127.0.0.1
        (`host`) is polled where it listens."""
        parts = urlsplit(status_url)
        endpoint = urlsplit(self.endpoint)
        api_host = self.host or endpoint.hostname
        if parts.hostname != api_host or not parts.path:
            raise RandfileError(
                f"the job's status URL {status_url!r} is not on the API's host {api_host}"
            )
        return f"{endpoint.scheme}://{endpoint.netloc}{parts.path}"

    def status_url(self, job: AcceptedJob | str) -> str:
        """Where the job's status is read: the 202's status_url, else the API's for a job id."""
        if isinstance(job, AcceptedJob):
            return job.status_url
        if not is_job_id(job):
            raise RandfileError(f"{job!r} is not a job id (26 characters, a ULID)")
        base = urlsplit(self.endpoint)
        host = self.host or base.netloc
        scheme = "https" if self.host else base.scheme
        return f"{scheme}://{host}{base.path.rstrip('/')}{FILES_PATH}/{job}"

    def job_status(self, job: AcceptedJob | str) -> dict[str, Any]:
        """GET the job's status (`job` a 202's job or a job id), retried like a POST, and on any
        transport error: reading changes nothing."""
        url = self._poll_url(self.status_url(job))
        document = self._retrying(self._should_retry)(self._read, url)
        if not isinstance(document, dict) or "status" not in document:
            raise RandfileError(f"the job's status is not a job: {document}")
        return document

    def _read(self, url: str) -> Any:
        response = self._exchange("GET", url, b"")
        if response.status != 200:
            raise ApiError(response)
        return _json_answer(response)

    def wait(
        self,
        job: AcceptedJob | str,
        on_status: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float | None = None,
    ) -> CreatedFile:
        """Polls the job every `poll_interval` seconds until it has succeeded (its file) or
        failed (JobFailedError), for at most `timeout` seconds (default: the client's
        `job_timeout`), after which it raises JobTimeoutError; `on_status` hears each status."""
        limit = self.job_timeout if timeout is None else timeout
        job_id = job.job_id if isinstance(job, AcceptedJob) else job
        started = time.monotonic()
        while True:
            document = self.job_status(job)
            status = str(document["status"])
            if on_status is not None:
                on_status(status)
            if status == "succeeded":
                return CreatedFile.from_json(document)
            if status == "failed":
                error = document.get("error") or {}
                raise JobFailedError(
                    job_id, str(error.get("code", "unknown")), str(error.get("message", ""))
                )
            waited = time.monotonic() - started
            if waited >= limit:
                raise JobTimeoutError(job_id, self.status_url(job), status, waited)
            sleep(min(self.poll_interval, limit - waited))

    def _should_retry(self, error: BaseException) -> bool:
        """Whether to send a request again. A GET changes nothing, and every POST carries an
        Idempotency-Key, so sending either again is safe whatever became of the first: a POST
        that reached the API is answered with its first outcome, never a second file."""
        if isinstance(error, TransportError):
            return True
        if not isinstance(error, ApiError):
            return False
        in_progress = error.status == 409 and error.code == IN_PROGRESS_CODE
        if not (error.status in RETRYABLE_STATUSES or in_progress) or error.code in FINAL_CODES:
            return False
        return error.retry_after is None or error.retry_after <= self.retry.max_wait

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, ApiError) and error.retry_after is not None:
            return error.retry_after
        backoff = wait_random_exponential(
            multiplier=self.retry.initial_wait, max=self.retry.max_wait
        )
        return float(backoff(state))

    def _retrying(self, should_retry: Callable[[BaseException], bool]) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(max(1, self.retry.attempts)),
            wait=self._wait,
            retry=retry_if_exception(should_retry),
            reraise=True,
        )

    def submit(
        self,
        size_bytes: int | None = None,
        file_format: str | None = None,
        seed: int | None = None,
        mode: str | None = None,
        idempotency_key: str | None = None,
    ) -> CreatedFile | AcceptedJob:
        """POST /files once (retried per `retry` on 429, 503, a 409 of its own key still in
        progress, and a lost connection): the file (201) or, past the synchronous limit or with
        mode `async`, the job (202). Every try carries the same `idempotency_key` (default: a new
        UUID), so however many are sent, one file or job is made; pass the same key again to
        retry a submit that raised. Raises ApiError with the API's code and message when it
        refuses, TransportError when it cannot be reached."""
        body: dict[str, Any] = {}
        if size_bytes is not None:
            body["size_bytes"] = size_bytes
        if file_format is not None:
            body["format"] = file_format
        if seed is not None:
            body["seed"] = seed
        if mode is not None:
            body["mode"] = mode
        key = idempotency_key or str(uuid.uuid4())
        result: CreatedFile | AcceptedJob = self._retrying(self._should_retry)(
            self._attempt, body, key
        )
        return result

    def create(
        self,
        size_bytes: int | None = None,
        file_format: str | None = None,
        seed: int | None = None,
        mode: str | None = None,
        on_status: Callable[[str], None] | None = None,
    ) -> CreatedFile:
        """Create one file, waiting for it (at most `job_timeout`) when the API makes it a job."""
        outcome = self.submit(size_bytes, file_format, seed, mode)
        if isinstance(outcome, AcceptedJob):
            return self.wait(outcome, on_status)
        return outcome


def _json_answer(response: RawResponse) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise RandfileError(
            f"the {response.status} answer is not JSON: {response.body[:200]!r}"
        ) from error
