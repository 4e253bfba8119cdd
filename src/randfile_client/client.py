"""`RandfileClient`: `POST /files`, `GET /files/{job_id}`, `POST /datasets` and
`GET /datasets/{dataset_id}`, signed with SigV4 by botocore,
sent by httpx, retried as its RetryPolicy says (retries.py). A file past the API's synchronous
limit is a job (202): the client polls its status until it has succeeded or failed; a dataset
(always 202) is polled the same way, its counters handed to a progress callback.

Credentials come from botocore's standard chain (environment, shared config and credentials
files, SSO, container and instance roles), the same as the AWS CLI's; requests are signed for
the `execute-api` service as API Gateway's IAM authorization expects.
"""

from __future__ import annotations

import ipaddress
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.session import Session

from randfile_client.errors import (
    ApiError,
    ConfigurationError,
    DatasetTimeoutError,
    JobFailedError,
    JobTimeoutError,
    RandfileError,
    TransportError,
)
from randfile_client.models import (
    AcceptedDataset,
    AcceptedJob,
    CreatedFile,
    DatasetStatus,
    RawResponse,
    is_dataset_id,
    is_job_id,
)
from randfile_client.retries import RetryPolicy

SERVICE = "execute-api"
FILES_PATH = "/files"
DATASETS_PATH = "/datasets"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_LOOPBACK_NAMES = frozenset({"localhost"})
# How long `wait` follows a job by default: above the bound docs/operations.md states for a job
# once a worker first receives it, job_max_receive_count x (worker_timeout x 1.1 + 1 s) = 2,973 s
# with infra/modules/function's defaults (tests/repository/test_client_job_timeout.py keeps the two
# in step), with 1,527 s more for the wait in the jobs queue and the dead-letter mapping's poll.
# 4,500 s is the default it has had since jobs ran on Lambda's asynchronous invoke.
DEFAULT_JOB_TIMEOUT_SECONDS = 4500.0


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

    def send(
        self,
        body: Mapping[str, Any],
        idempotency_key: str | None = None,
        path: str = FILES_PATH,
    ) -> RawResponse:
        """One signed POST of `path` (default /files), no retry: whatever the API answered."""
        payload = json.dumps(dict(body), separators=(",", ":")).encode()
        url = self.url if path == FILES_PATH else self.endpoint.rstrip("/") + path
        return self._exchange("POST", url, payload, idempotency_key)

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
        document = self.retry.retrying()(self._read, url)
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
        result: CreatedFile | AcceptedJob = self.retry.retrying()(self._attempt, body, key)
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

    def create_dataset(
        self,
        count: int,
        format: str | None = None,  # the API's field, as the contract names it
        *,
        size_bytes: int | None = None,
        min_size_bytes: int | None = None,
        max_size_bytes: int | None = None,
        seed: int | None = None,
        idempotency_key: str | None = None,
    ) -> AcceptedDataset:
        """POST /datasets once: `count` files of `size_bytes` each, or of sizes drawn from
        `min_size_bytes`..`max_size_bytes`. Retried as `submit` is, every try with the same
        `idempotency_key` (default: a new UUID), so one dataset is made however many are sent.
        Raises ApiError when the API refuses (a 400 names the limit), TransportError when it
        cannot be reached."""
        fixed = size_bytes is not None
        ranged = min_size_bytes is not None or max_size_bytes is not None
        if fixed == ranged or (ranged and (min_size_bytes is None or max_size_bytes is None)):
            raise RandfileError(
                "a dataset has either size_bytes or both min_size_bytes and max_size_bytes"
            )
        body: dict[str, Any] = {"count": count}
        if format is not None:
            body["format"] = format
        if fixed:
            body["size_bytes"] = size_bytes
        else:
            body["min_size_bytes"] = min_size_bytes
            body["max_size_bytes"] = max_size_bytes
        if seed is not None:
            body["seed"] = seed
        key = idempotency_key or str(uuid.uuid4())
        accepted: AcceptedDataset = self.retry.retrying()(self._accept_dataset, body, key)
        return accepted

    def _accept_dataset(self, body: Mapping[str, Any], idempotency_key: str) -> AcceptedDataset:
        response = self.send(body, idempotency_key, DATASETS_PATH)
        if response.status != 202:
            raise ApiError(response)
        return AcceptedDataset.from_json(_json_answer(response))

    def dataset_url(self, dataset: AcceptedDataset | str) -> str:
        """The dataset's status URL as a person reaches it: the API's domain and base path.
        (The 202's `status_url` is a path; the endpoint may be an address serving the domain.)"""
        dataset_id = self._dataset_id(dataset)
        base = urlsplit(self.endpoint)
        host = self.host or base.netloc
        scheme = "https" if self.host else base.scheme
        return f"{scheme}://{host}{base.path.rstrip('/')}{DATASETS_PATH}/{dataset_id}"

    @staticmethod
    def _dataset_id(dataset: AcceptedDataset | str) -> str:
        dataset_id = dataset.dataset_id if isinstance(dataset, AcceptedDataset) else dataset
        if not is_dataset_id(dataset_id):
            raise RandfileError(f"{dataset_id!r} is not a dataset id (26 characters, a ULID)")
        return dataset_id

    def dataset_status(self, dataset: AcceptedDataset | str) -> DatasetStatus:
        """GET /datasets/{dataset_id}, retried as a job's status is: reading changes nothing."""
        url = f"{self.endpoint.rstrip('/')}{DATASETS_PATH}/{self._dataset_id(dataset)}"
        return DatasetStatus.from_json(self.retry.retrying()(self._read, url))

    def wait_dataset(
        self,
        accepted: AcceptedDataset | str,
        *,
        timeout: float | None = None,
        on_progress: Callable[[DatasetStatus], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> DatasetStatus:
        """Polls the dataset every `poll_interval` seconds until it has ended, `succeeded` or
        `failed` (both returned: a failed dataset's status lists its failed files), for at most
        `timeout` seconds (default: the client's `job_timeout`), after which it raises
        DatasetTimeoutError; `on_progress` hears every status read."""
        limit = self.job_timeout if timeout is None else timeout
        started = time.monotonic()
        while True:
            status = self.dataset_status(accepted)
            if on_progress is not None:
                on_progress(status)
            if status.final:
                return status
            waited = time.monotonic() - started
            if waited >= limit:
                raise DatasetTimeoutError(
                    status.dataset_id, self.dataset_url(accepted), status.status, waited
                )
            sleep(min(self.poll_interval, limit - waited))


def _json_answer(response: RawResponse) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise RandfileError(
            f"the {response.status} answer is not JSON: {response.body[:200]!r}"
        ) from error
