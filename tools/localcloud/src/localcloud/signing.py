"""Who signed a request to the emulator: the SigV4 credential scope and the role behind its key.

Read in the emulator process, where moto's STS knows which role every temporary key was issued
for. Used by the request recorder (localcloud.recorder) and the runtime authorizer
(localcloud.authorizer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moto.iam import models as iam_models
from moto.sts.models import sts_backends
from werkzeug.wrappers import Request

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass(frozen=True)
class Scope:
    access_key_id: str
    region: str
    service: str


@dataclass(frozen=True)
class AssumedRole:
    role_arn: str
    # arn:aws:sts::<account>:assumed-role/<role name>/<session name>
    session_arn: str

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def account_id(self) -> str:
        return self.role_arn.split(":")[4]


def scope(request: Request) -> Scope | None:
    """The credential scope of a SigV4 request (header or presigned query), if it is signed."""
    match = _CREDENTIAL.search(request.headers.get("Authorization", "")) or _CREDENTIAL.search(
        "Credential=" + request.args.get("X-Amz-Credential", "")
    )
    return Scope(*match.groups()) if match else None


# The role each AssumeRole access key was issued for. The answer never changes once the key
# exists, and moto finds it by scanning every account's users and sessions (4 % of the emulator's
# CPU in a profile of the jobs' tests, where every request is authorized), so it is found once.
# A key not (yet) issued by AssumeRole is not remembered.
_ISSUED: dict[str, AssumedRole] = {}


def assumed_role(access_key_id: str) -> AssumedRole | None:
    """The role an access key was issued for by AssumeRole, or None for static test keys."""
    known = _ISSUED.get(access_key_id)
    if known is not None:
        return known
    account_id = iam_models.get_account_id_from(access_key_id)
    for partition_backend in sts_backends[account_id].values():
        assumed = partition_backend.get_assumed_role_from_access_key(access_key_id)
        if assumed is not None:
            _ISSUED[access_key_id] = AssumedRole(str(assumed.role_arn), str(assumed.arn))
            return _ISSUED[access_key_id]
    return None
