"""`randfile verify` against moto: objects the service's writer made, listed in a manifest, checked
by HEAD and S3's CRC64NVME, or read and hashed where no checksum is stored."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from randfile.lambda_context import Deadline
from randfile.storage import PART_BYTES, BucketWriter, ObjectSpec
from randfile_client import cli, targets
from randfile_client.verify import (
    ManifestEntry,
    ManifestError,
    Mismatch,
    parse_manifest,
    read_manifest,
    s3_client,
    verify,
)
from tests.checksums import crc64nvme_of, put_with_crc64nvme
from tests.functional.conftest import BUCKET, DATA_ACCOUNT, REGION, TwoAccounts
from tests.local_checkout import local_checkout

REPLICA = "randfile-test-replica"
SIZES = {"random/a.bin": 1000, "random/b.bin": 1, "random/c.bin": PART_BYTES + 3}


def content(key: str, size: int) -> bytes:
    return hashlib.shake_128(key.encode()).digest(size)


def written(accounts: TwoAccounts, sizes: dict[str, int] = SIZES) -> list[dict[str, Any]]:
    """Objects written by the service's writer, as the dataset manifest lists them."""
    writer = BucketWriter(accounts.workload_s3(), BUCKET, DATA_ACCOUNT)
    lines = []
    for index, (key, size) in enumerate(sizes.items()):
        stored = writer.write(
            ObjectSpec(key, "application/octet-stream", {}), [content(key, size)], Deadline(None)
        )
        lines.append(
            {
                "index": index,
                "bucket": stored.bucket,
                "key": stored.key,
                "size_bytes": stored.size_bytes,
                "sha256": stored.sha256,
                "checksum_crc64nvme": stored.checksum_crc64nvme,
                "seed": 0,
                "etag": stored.etag,
                "version_id": stored.version_id,
            }
        )
    return lines


def entries(lines: list[dict[str, Any]]) -> list[ManifestEntry]:
    return parse_manifest(json.dumps(line) for line in lines)


def test_every_object_as_listed_is_ok_by_its_checksum_alone(accounts: TwoAccounts) -> None:
    s3 = accounts.data_s3()
    reads: list[str] = []
    s3.meta.events.register("before-call.s3.GetObject", lambda **_: reads.append("get"))
    result = verify(entries(written(accounts)), s3, parallel=4)
    assert (result.checked, result.ok, result.mismatches, result.unchecked) == (3, 3, [], [])
    assert result.bytes_ok == sum(SIZES.values())
    assert result.all_match
    assert (result.read, reads) == (0, [])


def test_a_missing_object_and_a_deleted_version_are_missing(accounts: TwoAccounts) -> None:
    lines = written(accounts)
    s3 = accounts.data_s3()
    s3.delete_object(Bucket=BUCKET, Key="random/a.bin", VersionId=lines[0]["version_id"])
    lines.append({**lines[1], "key": "random/never.bin", "version_id": None})
    result = verify(entries(lines), s3)
    assert result.mismatches == [
        Mismatch(BUCKET, "random/a.bin", "missing", 1000, None),
        Mismatch(BUCKET, "random/never.bin", "missing", 1, None),
    ]
    assert (result.ok, result.missing, result.different, result.all_match) == (2, 2, 0, False)


def test_another_size_is_a_size_mismatch(accounts: TwoAccounts) -> None:
    lines = written(accounts)
    lines[0]["size_bytes"] = 999
    result = verify(entries(lines), accounts.data_s3())
    assert result.mismatches == [Mismatch(BUCKET, "random/a.bin", "size", 999, 1000)]


def test_changed_content_of_the_same_size_is_a_checksum_mismatch(accounts: TwoAccounts) -> None:
    lines = written(accounts)
    changed = b"x" * 1000
    s3 = accounts.data_s3()
    # A later version under the key; a manifest line without a version checks the latest.
    put_with_crc64nvme(s3, BUCKET, "random/a.bin", changed)
    lines[0]["version_id"] = None
    result = verify(entries(lines), s3)
    assert result.mismatches == [
        Mismatch(
            BUCKET,
            "random/a.bin",
            "checksum",
            lines[0]["checksum_crc64nvme"],
            crc64nvme_of(changed),
        )
    ]
    assert result.read == 0


def test_an_object_without_a_checksum_is_read_and_hashed(accounts: TwoAccounts) -> None:
    lines = written(accounts, {"random/a.bin": 1000})
    s3 = accounts.data_s3()
    for key, body in {
        "random/plain.bin": content("random/a.bin", 1000),
        "random/bad.bin": b"y",
    }.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        assert "ChecksumCRC64NVME" not in s3.head_object(
            Bucket=BUCKET, Key=key, ChecksumMode="ENABLED"
        )
    plain = {**lines[0], "key": "random/plain.bin", "version_id": None}
    bad = {**lines[0], "key": "random/bad.bin", "version_id": None, "size_bytes": 1}
    result = verify(entries([plain, bad]), s3)
    assert (result.ok, result.read) == (1, 1)
    assert result.mismatches == [
        Mismatch(
            BUCKET, "random/bad.bin", "sha256", lines[0]["sha256"], hashlib.sha256(b"y").hexdigest()
        )
    ]


def test_a_replica_is_checked_by_key_in_its_own_bucket(accounts: TwoAccounts) -> None:
    lines = written(accounts)
    s3 = accounts.data_s3()
    s3.create_bucket(Bucket=REPLICA, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_versioning(Bucket=REPLICA, VersioningConfiguration={"Status": "Enabled"})
    for line in lines[:2]:
        # Replication keeps the object's checksum; its versions have ids of their own.
        body = s3.get_object(Bucket=BUCKET, Key=line["key"])["Body"].read()
        put_with_crc64nvme(s3, REPLICA, line["key"], body)
    result = verify(entries(lines), s3, bucket=REPLICA)
    assert result.ok == 2
    assert result.mismatches == [Mismatch(REPLICA, "random/c.bin", "missing", PART_BYTES + 3, None)]


def test_a_manifest_in_s3_is_read_from_there(accounts: TwoAccounts) -> None:
    lines = written(accounts)
    s3 = accounts.data_s3()
    body = "".join(json.dumps(line) + "\n" for line in lines)
    s3.put_object(Bucket=BUCKET, Key="datasets/x/manifest.jsonl", Body=body.encode())
    read = read_manifest(f"s3://{BUCKET}/datasets/x/manifest.jsonl", s3)
    assert [entry.key for entry in read] == list(SIZES)
    assert read[0] == ManifestEntry(
        BUCKET,
        "random/a.bin",
        1000,
        lines[0]["sha256"],
        lines[0]["checksum_crc64nvme"],
        lines[0]["version_id"],
    )
    with pytest.raises(ManifestError, match="cannot read the manifest"):
        read_manifest(f"s3://{BUCKET}/datasets/absent/manifest.jsonl", s3)


def test_the_create_command_s_manifest_is_read_too() -> None:
    # `randfile create --manifest` writes `size` where the dataset manifest has `size_bytes`.
    [entry] = parse_manifest(['{"key":"k","size":5,"sha256":"ab","seed":1,"bucket":"b"}', "  "])
    assert entry == ManifestEntry("b", "k", 5, "ab")


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json", "Expecting value"),
        ("[1, 2]", "not a JSON object"),
        ('{"bucket": "b", "key": "k"}', "size"),
        ('{"bucket": "b", "key": "k", "size_bytes": "9"}', "not a number of bytes"),
        ('{"bucket": "", "key": "k", "size_bytes": 9}', "bucket '' is not a name"),
        ('{"bucket": "b", "key": "k", "size_bytes": 9, "sha256": 5}', "sha256 5 is not a string"),
    ],
)
def test_a_malformed_line_is_named(line: str, reason: str) -> None:
    good = '{"bucket": "b", "key": "k", "size_bytes": 9}'
    with pytest.raises(
        ManifestError, match=f"m.jsonl line 3 does not describe an object.*{reason}"
    ):
        parse_manifest([good, "", line], "m.jsonl")


@pytest.fixture
def data_credentials(accounts: TwoAccounts, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command's standard credential chain: the data account's keys in the environment."""
    keys = accounts.data_session.get_credentials()
    assert keys is not None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", keys.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", keys.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", keys.token or "")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def test_the_command_exits_0_when_all_match_and_1_with_the_mismatches_written(
    accounts: TwoAccounts, data_credentials: None, tmp_path: Path
) -> None:
    lines = written(accounts)
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    runner = CliRunner()
    ok = runner.invoke(cli.main, ["verify", str(manifest), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["ok"] == 3

    lines[1]["size_bytes"] = 2
    manifest.write_text("".join(json.dumps(line) + "\n" for line in lines))
    found = tmp_path / "out" / "mismatches.jsonl"
    bad = runner.invoke(
        cli.main, ["verify", str(manifest), "--mismatches", str(found), "--parallel", "2"]
    )
    assert bad.exit_code == 1, bad.output
    assert "checked 3 objects" in bad.stdout
    assert "ok 2, missing 0, different 1" in bad.stdout
    assert [json.loads(line) for line in found.read_text().splitlines()] == [
        {"bucket": BUCKET, "key": "random/b.bin", "problem": "size", "expected": 2, "found": 1}
    ]


def test_the_command_exits_2_on_a_malformed_manifest(
    data_credentials: None, tmp_path: Path
) -> None:
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"bucket": "b", "key": "k", "size_bytes": 1}\n{oops\n')
    result = CliRunner().invoke(cli.main, ["verify", str(manifest)])
    assert result.exit_code == 2
    assert "manifest.jsonl line 2 does not describe an object" in result.stderr
    missing = CliRunner().invoke(cli.main, ["verify", str(tmp_path / "absent.jsonl")])
    assert missing.exit_code == 2
    assert "cannot read the manifest" in missing.stderr


def test_env_local_reads_with_the_local_cloud_s_data_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The files `make demo` writes (localcloud.endpoint): the emulator's URL in the endpoint file
    # and the data account's profile in its credentials file; a moto server stands in for it.
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        emulator = f"http://{host}:{port}"
        credentials = local_checkout(
            tmp_path,
            {"endpoint": "http://127.0.0.1:1", "region": REGION, "aws_endpoint": emulator},
            f"[{targets.LOCAL_DATA_PROFILE}]\n"
            "aws_access_key_id = data\naws_secret_access_key = s\n",
        )
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        s3 = s3_client(
            profile=targets.LOCAL_DATA_PROFILE,
            region=REGION,
            endpoint_url=emulator,
            credentials_file=credentials,
        )
        s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        body = b"z" * 100
        put_with_crc64nvme(s3, BUCKET, "k", body)
        manifest = tmp_path / "manifest.jsonl"
        line = {"bucket": BUCKET, "key": "k", "size_bytes": 100}
        manifest.write_text(json.dumps({**line, "checksum_crc64nvme": crc64nvme_of(body)}) + "\n")
        monkeypatch.chdir(tmp_path)

        result = CliRunner().invoke(cli.main, ["verify", str(manifest), "--env", "local", "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["ok"] == 1

        # A checksum the object does not have: exit 1, so the run above did compare it.
        manifest.write_text(json.dumps({**line, "checksum_crc64nvme": "AAAAAAAAAAA="}) + "\n")
        result = CliRunner().invoke(cli.main, ["verify", str(manifest), "--env", "local"])
        assert result.exit_code == 1, result.output
    finally:
        server.stop()


def test_the_command_exits_3_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text('{"bucket": "b", "key": "k", "size_bytes": 1}\n')
    runner = CliRunner()
    result = runner.invoke(cli.main, ["verify", str(manifest), "--region", REGION])
    assert result.exit_code == 3, result.output
    assert "no AWS credentials" in result.stderr
    unknown = runner.invoke(cli.main, ["verify", str(manifest), "--s3-profile", "nobody"])
    assert unknown.exit_code == 3, unknown.output
