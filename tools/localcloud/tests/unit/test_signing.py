"""localcloud.signing: which role an access key stands for."""

from __future__ import annotations

import json

import boto3
import pytest
from moto.iam import models as iam_models

from localcloud import signing

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    ],
}


def test_an_assumed_role_s_key_is_found_once_and_a_static_key_never(
    moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = boto3.client("iam").create_role(
        RoleName="deployer", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    keys = boto3.client("sts").assume_role(RoleArn=arn, RoleSessionName="ci")["Credentials"]
    lookups: list[str] = []

    def counted(access_key_id: str) -> str:
        lookups.append(access_key_id)
        return found_by_moto(access_key_id)

    found_by_moto = iam_models.get_account_id_from
    monkeypatch.setattr(iam_models, "get_account_id_from", counted)

    first = signing.assumed_role(keys["AccessKeyId"])
    again = signing.assumed_role(keys["AccessKeyId"])

    assert first == again
    assert first is not None
    assert first.role_arn == arn
    assert first.session_arn.endswith(":assumed-role/deployer/ci")
    assert lookups == [keys["AccessKeyId"]]
    assert signing.assumed_role("test") is None
    assert signing.assumed_role("test") is None
    assert lookups == [keys["AccessKeyId"], "test", "test"]
