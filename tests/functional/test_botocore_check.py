"""The runtime's botocore is checked for S3 conditional writes before any work is done.

An SDK from before August 2024 is reproduced with botocore itself: its own S3 model, with the
IfNoneMatch members removed, put first on botocore's data path (AWS_DATA_PATH), which is how an
older botocore's model differs for these two operations.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import boto3
import botocore
import pytest

from randfile.aws import s3_client
from randfile.botocore_check import CONDITIONAL_WRITE_OPERATIONS, require_conditional_writes
from tests.functional.conftest import BUCKET, REGION, TwoAccounts
from tests.functional.test_handler import call

S3_MODEL = Path(botocore.__file__).parent / "data" / "s3" / "2006-03-01" / "service-2.json.gz"


@pytest.fixture
def pre_conditional_write_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = json.loads(gzip.decompress(S3_MODEL.read_bytes()))
    for operation in CONDITIONAL_WRITE_OPERATIONS:
        input_shape = model["operations"][operation]["input"]["shape"]
        del model["shapes"][input_shape]["members"]["IfNoneMatch"]
    target = tmp_path / "s3" / "2006-03-01"
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    s3_client.cache_clear()


def test_the_bundled_botocore_supports_conditional_writes() -> None:
    require_conditional_writes(boto3.client("s3", region_name=REGION))


@pytest.mark.usefixtures("pre_conditional_write_sdk")
def test_an_sdk_without_conditional_writes_is_named_and_writes_nothing(
    deployed: TwoAccounts,
) -> None:
    status, body, _ = call({"size_bytes": 10})

    assert status == 500
    assert body["error"]["code"] == "runtime_outdated"
    message = body["error"]["message"]
    assert f"botocore {botocore.__version__}" in message
    assert "PutObject and CompleteMultipartUpload" in message
    assert deployed.data_s3().list_objects_v2(Bucket=BUCKET)["KeyCount"] == 0
