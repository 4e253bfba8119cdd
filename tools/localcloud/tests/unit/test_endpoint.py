"""What a local cloud hands to clients: the endpoint file and the credentials profiles."""

from __future__ import annotations

import configparser
import json
from pathlib import Path

from localcloud.aws import Credentials
from localcloud.endpoint import publish
from localcloud.paths import Paths


def test_the_published_endpoint_names_the_aws_endpoint_beside_the_other_profiles(
    tmp_path: Path,
) -> None:
    published = publish(
        Paths(tmp_path),
        api_url="http://127.0.0.1:1",
        domain="api.example.test",
        region="eu-west-1",
        profile="caller",
        api_key="k",
        credentials=Credentials("CALLER", "c", "t"),
        aws_endpoint="http://127.0.0.1:2",
        other_profiles={"owner": Credentials("OWNER", "o")},
    )

    saved = json.loads(published.endpoint_file.read_text())
    assert (saved["endpoint"], saved["host"], saved["api_key"]) == (
        "http://127.0.0.1:1",
        "api.example.test",
        "k",
    )
    assert saved["aws_endpoint"] == "http://127.0.0.1:2"
    profiles = configparser.ConfigParser()
    profiles.read(published.credentials_file)
    assert profiles["caller"]["aws_access_key_id"] == "CALLER"
    assert profiles["owner"]["aws_access_key_id"] == "OWNER"
    # Keys: readable by their owner only.
    assert published.credentials_file.stat().st_mode & 0o077 == 0
