"""localcloud.moto_speedups: moto's work done once gives the answers moto gives."""

from __future__ import annotations

import inspect
import os
from typing import Any

import boto3
import pytest
from moto import backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.iam import models as iam_models
from moto.s3 import models as s3_models

from localcloud import moto_speedups


@pytest.fixture(autouse=True)
def restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """apply() replaces module attributes for the whole process: each is restored after a test."""
    monkeypatch.setattr(backends, "list_of_moto_modules", backends.list_of_moto_modules)
    monkeypatch.setattr(s3_models, "copy", s3_models.copy)  # type: ignore[attr-defined]
    monkeypatch.setattr(iam_models, "get_account_id_from", iam_models.get_account_id_from)


def test_moto_s_modules_are_listed_once_and_answer_as_moto_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed_by_moto = list(backends.list_of_moto_modules())
    moto_speedups.apply()
    listings: list[str] = []
    listdir = os.listdir

    def counted_listdir(path: str) -> list[str]:
        listings.append(path)
        return listdir(path)

    monkeypatch.setattr(os, "listdir", counted_listdir)

    assert list(backends.list_of_moto_modules()) == listed_by_moto
    assert list(backends.list_of_moto_modules()) == listed_by_moto
    assert listings == []
    assert {"s3", "sqs", "awslambda", "apigateway"} <= set(listed_by_moto)


def _listings(s3: Any) -> list[dict[str, Any]]:
    """Every page of a few ListObjectVersions requests, without their request ids."""
    pages = []
    for request in (
        {},
        {"Prefix": "a/"},
        {"Delimiter": "/"},
        {"MaxKeys": 2},
        {"MaxKeys": 2, "KeyMarker": "a/1", "VersionIdMarker": "null"},
    ):
        page = s3.list_object_versions(Bucket="versions", **request)
        page.pop("ResponseMetadata")
        pages.append(page)
    return pages


def test_object_versions_are_listed_as_moto_lists_them_without_copying_content(
    moto: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(
        Bucket="versions", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.put_bucket_versioning(Bucket="versions", VersioningConfiguration={"Status": "Enabled"})
    for key, body in [("a/1", b"one"), ("a/1", b"two"), ("a/2", b"x" * 70_000), ("b", b"b")]:
        s3.put_object(Bucket="versions", Key=key, Body=body)
    s3.delete_object(Bucket="versions", Key="b")
    by_moto = _listings(s3)

    moto_speedups.apply()
    content_copies: list[str] = []
    getstate = s3_models.FakeKey.__getstate__

    def counted_getstate(key: s3_models.FakeKey) -> dict[str, Any]:
        content_copies.append(key.name)
        return getstate(key)

    monkeypatch.setattr(s3_models.FakeKey, "__getstate__", counted_getstate)

    assert _listings(s3) == by_moto
    assert content_copies == []
    assert [v["IsLatest"] for v in by_moto[0]["Versions"]] == [True, False, True, False]
    assert by_moto[0]["DeleteMarkers"][0]["IsLatest"] is True
    # The versions listed are unchanged: their content reads back whole.
    assert s3.get_object(Bucket="versions", Key="a/2")["Body"].read() == b"x" * 70_000


def test_listing_is_moto_s3_models_only_deep_copy() -> None:
    """The patch gives moto.s3.models' one deep copy a shallow meaning for lists of versions; a
    moto that deep-copies elsewhere in the module must be read again before it is trusted."""
    source = inspect.getsource(s3_models)
    assert source.count("deepcopy(") == 1
    listing = inspect.getsource(s3_models.S3Backend.list_object_versions)
    assert "copy.deepcopy(version_key)" in listing


def _iam_backends_made() -> int:
    return sum(len(dict.keys(account)) for account in iam_models.iam_backends.values())


def test_an_access_key_s_account_is_found_as_moto_finds_it_without_making_iam_backends(
    moto: None,
) -> None:
    by_moto = iam_models.get_account_id_from
    iam = boto3.client("iam")
    iam.create_user(UserName="someone")
    user_key = iam.create_access_key(UserName="someone")["AccessKey"]["AccessKeyId"]
    assumed_key = boto3.client("sts").assume_role(
        RoleArn="arn:aws:iam::222222222222:role/writer", RoleSessionName="test"
    )["Credentials"]["AccessKeyId"]
    keys = [user_key, assumed_key, "AKIAIOSFODNN7NOTISSUED"]
    made = _iam_backends_made()

    moto_speedups.apply()
    found = [iam_models.get_account_id_from(key) for key in keys]

    assert _iam_backends_made() == made
    assert found == [by_moto(key) for key in keys]
    assert found == [DEFAULT_ACCOUNT_ID, "222222222222", DEFAULT_ACCOUNT_ID]
    # moto's own makes a backend for every partition of every account it reads.
    assert _iam_backends_made() > made
