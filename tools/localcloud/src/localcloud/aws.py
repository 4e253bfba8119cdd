"""boto3 sessions on the emulator, one per identity: nothing here can reach real AWS."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_acm import ACMClient
    from mypy_boto3_apigateway import APIGatewayClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_logs import CloudWatchLogsClient
    from mypy_boto3_route53 import Route53Client
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sts import STSClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5)


def role_arn(account_id: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{name}"


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def as_environment(self) -> dict[str, str]:
        environment = {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
        }
        if self.session_token:
            environment["AWS_SESSION_TOKEN"] = self.session_token
        return environment


# moto answers any access key it did not issue as its default account (123456789012): these keys
# stand for that account's administrator, the only identity there is before anything is created.
STATIC = Credentials("test", "test")


@dataclass(frozen=True)
class Identity:
    """One set of credentials on the emulator, with a typed client per service."""

    endpoint_url: str
    credentials: Credentials
    # The region of every client of this identity: the region the emulated stack lives in.
    region: str
    # Creating a boto3 client costs tens of milliseconds; each identity keeps one per service.
    _clients: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Clients are thread-safe once made, but a boto3 session is not while it makes them
    # (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html#multithreading-or-multiprocessing-with-clients).
    _making: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @cached_property
    def _session(self) -> boto3.session.Session:
        return boto3.session.Session(
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key,
            aws_session_token=self.credentials.session_token,
            region_name=self.region,
        )

    def _client(self, service: str) -> Any:
        with self._making:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,  # type: ignore[call-overload]
                    endpoint_url=self.endpoint_url,
                    config=_CONFIG,
                )
            return self._clients[service]

    # The stack's monitoring (alarms, dashboard, alarm topic); no stubs are installed for these two.
    def cloudwatch(self) -> Any:
        return self._client("cloudwatch")

    def sns(self) -> Any:
        return self._client("sns")

    # The asynchronous jobs' table and failed-jobs queue; no stubs are installed for these either.
    def dynamodb(self) -> Any:
        return self._client("dynamodb")

    def sqs(self) -> Any:
        return self._client("sqs")

    def acm(self) -> ACMClient:
        client: ACMClient = self._client("acm")
        return client

    def apigateway(self) -> APIGatewayClient:
        client: APIGatewayClient = self._client("apigateway")
        return client

    def iam(self) -> IAMClient:
        client: IAMClient = self._client("iam")
        return client

    def kms(self) -> KMSClient:
        client: KMSClient = self._client("kms")
        return client

    def lambda_(self) -> LambdaClient:
        client: LambdaClient = self._client("lambda")
        return client

    def logs(self) -> CloudWatchLogsClient:
        client: CloudWatchLogsClient = self._client("logs")
        return client

    def route53(self) -> Route53Client:
        client: Route53Client = self._client("route53")
        return client

    def s3(self) -> S3Client:
        client: S3Client = self._client("s3")
        return client

    def sts(self) -> STSClient:
        client: STSClient = self._client("sts")
        return client

    def account_id(self) -> str:
        return self.sts().get_caller_identity()["Account"]

    def arn(self) -> str:
        return self.sts().get_caller_identity()["Arn"]

    def assume(self, role_arn: str, session_name: str, duration_seconds: int = 3600) -> Identity:
        """AssumeRole; moto issues keys that it maps to the role's account."""
        issued = self.sts().assume_role(
            RoleArn=role_arn, RoleSessionName=session_name, DurationSeconds=duration_seconds
        )
        keys = issued["Credentials"]
        return Identity(
            self.endpoint_url,
            Credentials(keys["AccessKeyId"], keys["SecretAccessKey"], keys["SessionToken"]),
            self.region,
        )


@dataclass(frozen=True)
class Identities:
    """The identities the local cloud works with, on the emulator at ``endpoint_url``, with
    clients in ``region``."""

    endpoint_url: str
    region: str

    def management(self) -> Identity:
        return self._management

    @cached_property
    def _management(self) -> Identity:
        # One for all callers: every execution environment's start assumes its role through it,
        # and a new one would make a new session and STS client each time (a profile of the
        # jobs' tests put that at 3 % of the emulator's CPU).
        return Identity(self.endpoint_url, STATIC, self.region)

    def assume(self, role_arn: str, session_name: str, duration_seconds: int = 3600) -> Identity:
        return self.management().assume(role_arn, session_name, duration_seconds)
